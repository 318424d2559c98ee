/**
 * End to end: the unmodified `openai` SDK against a real `aigw serve`
 * process whose policy routes to OpenAI, Anthropic, Gemini, Vertex AI,
 * Bedrock and Azure targets (strict fakes on 127.0.0.1: Bedrock's checks
 * every SigV4 signature with aws4, Azure's the deployment URL and api-key,
 * Vertex's tokens come from the fake token endpoint). JSON and streams
 * straight to Bedrock and to Azure, a split across both, a fallback chain
 * Bedrock (throttled) → Azure (503) → Anthropic, one through five providers
 * failing their own ways to the sixth, and a split reaching all six.
 */
import OpenAI from "openai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { behave, closeAllUpstreams, startUpstream, type FakeUpstream } from "../support/upstreams.js";
import { startGoogleUpstream, type GoogleUpstream } from "../support/google-upstream.js";
import { serviceAccount, startTokenEndpoint, type ServiceAccountKey, type TokenEndpoint } from "../support/google-token.js";
import { azureBehave, startAzureUpstream, type AzureUpstream } from "../support/azure-upstream.js";
import { bedrockBehave, startBedrockUpstream, type BedrockUpstream } from "../support/bedrock-upstream.js";
import { closeStrictServers } from "../support/strict-upstream.js";
import { startServeChild, stopServeChildren, type ServeChild } from "../reliability/edge-helpers.js";
import { AWS_CREDS, BEDROCK_PROFILE } from "./harness.js";

const PROFILE = BEDROCK_PROFILE;
const AZ_KEY = "e2e-azure-key-0123456789abcdef";
const GEMINI_KEY = "AIzaSy-e2e-cloud-gemini-key-000111";
const dir = mkdtempSync(join(tmpdir(), "aigw-cloud-e2e-"));
let gemini: GoogleUpstream;
let vertex: GoogleUpstream;
let tokens: TokenEndpoint;
let account: ServiceAccountKey;
let openaiUp: FakeUpstream;
let anthropicUp: FakeUpstream;
let bedrock: BedrockUpstream;
let azure: AzureUpstream;
let gw: ServeChild;
let client: OpenAI;

beforeAll(async () => {
  openaiUp = await startUpstream("openai");
  anthropicUp = await startUpstream("anthropic");
  bedrock = await startBedrockUpstream(AWS_CREDS, [PROFILE, "amazon.titan-embed-text-v2:0"]);
  azure = await startAzureUpstream({ apiKey: AZ_KEY, deployments: ["gpt-4o-prod"] });
  tokens = await startTokenEndpoint(() => account);
  account = await serviceAccount(tokens.tokenUri);
  gemini = await startGoogleUpstream("gemini", { apiKey: GEMINI_KEY });
  vertex = await startGoogleUpstream("vertex", { tokenValid: (t) => tokens.isValid(t), project: "aigw-e2e", location: "us-central1" });
  writeFileSync(
    join(dir, "main.route"),
    `
gateway { auth none state memory }
provider oa { api openai base_url "${openaiUp.baseUrl}" key env("E2E_OA") }
provider an { api anthropic base_url "${anthropicUp.baseUrl}" key env("E2E_AN") }
provider aws {
  api bedrock
  region "${AWS_CREDS.region}"
  base_url "${bedrock.baseUrl}"
  access_key env("E2E_AK")
  secret_key env("E2E_SK")
  session_token env("E2E_ST")
}
provider az { api azure base_url "${azure.baseUrl}" key env("E2E_AZ") }
provider gm { api gemini base_url "${gemini.baseUrl}" key env("E2E_GM") }
provider vx { api vertex base_url "${vertex.baseUrl}" project "aigw-e2e" location "us-central1" key env("E2E_SA") }
model gpt = oa/"gpt-4o" { input $2.50/Mtok output $10/Mtok }
model claude = an/"claude-sonnet-4-5" { input $3/Mtok output $15/Mtok }
model br = aws/"${PROFILE}" { input $3/Mtok output $15/Mtok }
model azm = az/"gpt-4o-prod" { input $2.50/Mtok output $10/Mtok }
model flash = gm/"gemini-2.5-flash" { input $0.30/Mtok output $2.50/Mtok }
model pro = vx/"gemini-2.5-pro" { input $1.25/Mtok output $10/Mtok }
model titan = aws/"amazon.titan-embed-text-v2:0" { input $0.02/Mtok output $0/Mtok }
route to-bedrock { when model == "bedrock" to br }
route to-azure { when model == "azure" to azm }
route split { when model == "split" split { 50% br 50% azm } fallback gpt on 5xx }
route embed { when model == "embed" to titan }
route chain { when model == "chain" to br fallback azm, claude, gpt on 429, 5xx }
route six { when model == "six"  to gpt  fallback claude, flash, pro, br, azm on 429, 5xx }
route spread { when model == "spread"  split { 17% gpt 17% claude 17% flash 17% pro 16% br 16% azm }  fallback gpt on 5xx }
`,
  );
  gw = await startServeChild(join(dir, "main.route"), [], 60_000, {
    E2E_OA: "sk-e2e-openai",
    E2E_AN: "sk-e2e-anthropic",
    E2E_AK: AWS_CREDS.accessKeyId,
    E2E_SK: AWS_CREDS.secretAccessKey,
    E2E_ST: AWS_CREDS.sessionToken,
    E2E_AZ: AZ_KEY,
    E2E_GM: GEMINI_KEY,
    E2E_SA: account.json,
  });
  client = new OpenAI({ baseURL: `${gw.base}/v1`, apiKey: "unused", maxRetries: 0 });
}, 90_000);

afterAll(async () => {
  await stopServeChildren();
  await closeAllUpstreams();
  await closeStrictServers();
  await gemini.close();
  await vertex.close();
  await tokens.close();
  rmSync(dir, { recursive: true, force: true });
});

async function streamed(model: string): Promise<{ text: string; finish: string | null | undefined; usage: OpenAI.CompletionUsage | null | undefined }> {
  const stream = await client.chat.completions.create({ model, messages: [{ role: "user", content: "hi" }], stream: true, stream_options: { include_usage: true } });
  let text = "";
  let finish: string | null | undefined;
  let usage: OpenAI.CompletionUsage | null | undefined;
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta.content ?? "";
    finish ??= chunk.choices[0]?.finish_reason;
    if (chunk.usage) usage = chunk.usage;
  }
  return { text, finish, usage };
}

describe("the openai SDK through aigw serve to Bedrock and Azure", () => {
  it("Bedrock: JSON and stream, signed and valid", async () => {
    const done = await client.chat.completions.create({ model: "bedrock", messages: [{ role: "system", content: "be brief" }, { role: "user", content: "hi" }], max_tokens: 50 });
    expect(done.choices[0]!.message.content).toBe("hello from bedrock");
    expect(done.choices[0]!.finish_reason).toBe("stop");
    expect(done.usage).toMatchObject({ prompt_tokens: 13, completion_tokens: 5 });
    const s = await streamed("bedrock");
    expect(s).toEqual({ text: "hello from bedrock", finish: "stop", usage: expect.objectContaining({ prompt_tokens: 13, completion_tokens: 5 }) });
    expect(bedrock.violations).toEqual([]);
    expect(bedrock.requests.length).toBeGreaterThanOrEqual(2);
  });

  it("Azure: JSON and stream, at the deployment with api-key", async () => {
    const done = await client.chat.completions.create({ model: "azure", messages: [{ role: "user", content: "hi" }] });
    expect(done.choices[0]!.message.content).toBe("hello from openai");
    const s = await streamed("azure");
    expect(s).toMatchObject({ text: "hello from openai", finish: "stop", usage: expect.objectContaining({ prompt_tokens: 11 }) });
    expect(azure.violations).toEqual([]);
    expect(azure.requests.at(-1)!.url).toBe("/openai/deployments/gpt-4o-prod/chat/completions?api-version=2024-10-21");
  });

  it("a split reaches both Bedrock and Azure", async () => {
    const texts = new Set<string>();
    for (let i = 0; i < 16; i++) {
      const done = await client.chat.completions.create({ model: "split", messages: [{ role: "user", content: `hi ${i}` }] });
      texts.add(done.choices[0]!.message.content!);
    }
    expect(texts).toEqual(new Set(["hello from bedrock", "hello from openai"]));
  });

  it("falls back Bedrock (throttled) → Azure (503) → Anthropic, JSON and stream", async () => {
    const anthropicBefore = anthropicUp.requests.length;
    bedrock.next(bedrockBehave.fail(429, "ThrottlingException", { message: "Too many requests" }));
    azure.next(azureBehave.fail(503));
    const done = await client.chat.completions.create({ model: "chain", messages: [{ role: "user", content: "hi" }] });
    expect(done.choices[0]!.message.content).toBe("hello from anthropic");
    bedrock.next(bedrockBehave.streamException("throttlingException", "slow down", 0));
    azure.next(azureBehave.fail(503));
    const s = await streamed("chain");
    expect(s.text).toBe("hello from anthropic");
    expect(anthropicUp.requests.length - anthropicBefore).toBe(2);
  });

  it("embeds through Bedrock's Titan with InvokeModel", async () => {
    const res = await client.embeddings.create({ model: "embed", input: ["hello world", "bye"], dimensions: 256 });
    expect(res.data.map((d) => d.embedding.length)).toEqual([256, 256]);
    expect(res.usage).toMatchObject({ prompt_tokens: 3 });
    expect(bedrock.violations).toEqual([]);
  });

  it("a field Bedrock cannot honour is the caller's 400 naming it, and nothing is sent", async () => {
    const before = bedrock.requests.length;
    const err = await client.chat.completions.create({ model: "bedrock", messages: [{ role: "user", content: "hi" }], seed: 42 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).toContain("`seed`");
    expect(bedrock.requests.length).toBe(before);
  });

  it("never puts AWS, Azure or Google secrets in the gateway's output", () => {
    const out = gw.stdout() + gw.stderr();
    for (const secret of [AWS_CREDS.secretAccessKey, AWS_CREDS.sessionToken, AZ_KEY, GEMINI_KEY, account.privateKeyPem]) expect(out).not.toContain(secret);
  });
});

/** Five providers fail, each its own way: OpenAI 503, Anthropic 529 (overloaded), Gemini 429, Vertex 503, Bedrock throttled. */
function failAllButAzure(): void {
  openaiUp.next(behave.fail(503));
  anthropicUp.next(behave.fail(529));
  gemini.next({ kind: "fail", status: 429 });
  vertex.next({ kind: "fail", status: 503 });
  bedrock.next(bedrockBehave.fail(429, "ThrottlingException", { message: "Too many requests" }));
}

describe("one policy across OpenAI, Anthropic, Gemini, Vertex, Bedrock and Azure", () => {
  it("falls back through five failing providers to the sixth, JSON", async () => {
    failAllButAzure();
    const { data, response } = await client.chat.completions.create({ model: "six", messages: [{ role: "user", content: "hi" }] }).withResponse();
    expect(data.choices[0]!.message.content).toBe("hello from openai");
    expect(response.headers.get("x-aigw-target")).toBe("azm");
    expect(response.headers.get("x-aigw-attempts")).toBe("gpt:503,claude:529,flash:429,pro:503,br:429,azm:200");
  });

  it("falls back through five failing providers to the sixth, streamed", async () => {
    failAllButAzure();
    const { data: stream, response } = await client.chat.completions.create({ model: "six", messages: [{ role: "user", content: "hi" }], stream: true }).withResponse();
    let text = "";
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      finish ??= chunk.choices[0]?.finish_reason;
    }
    expect(text).toBe("hello from openai");
    expect(finish).toBe("stop");
    expect(response.headers.get("x-aigw-attempts")).toBe("gpt:503,claude:529,flash:429,pro:503,br:429,azm:200");
  });

  it("a split over all six reaches every provider, each on its own wire", async () => {
    const targets = new Set<string>();
    for (let i = 0; i < 90 && targets.size < 6; i++) {
      const { data, response } = await client.chat.completions.create({ model: "spread", messages: [{ role: "user", content: `hi ${i}` }] }).withResponse();
      expect(data.choices[0]!.finish_reason).toBe("stop");
      expect(response.headers.get("x-aigw-attempts")).toMatch(/^[a-z]+:200$/);
      targets.add(response.headers.get("x-aigw-target")!);
    }
    expect([...targets].sort()).toEqual(["azm", "br", "claude", "flash", "gpt", "pro"]);
    expect(bedrock.violations).toEqual([]);
    expect(azure.violations).toEqual([]);
  });
});
