/**
 * End to end across every provider at once: the unmodified `openai` SDK
 * through one real `aigw serve` whose policy splits over and falls back
 * across OpenAI, Anthropic, Gemini, Vertex AI, Bedrock and Azure targets
 * (each a strict fake of its real wire on 127.0.0.1: Vertex behind the fake
 * token endpoint, Bedrock checking SigV4 with aws4). One fallback chain
 * fails over five providers, each failing its own way, before the sixth
 * answers, JSON and stream; a split reaches all six.
 */
import OpenAI from "openai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { behave, closeAllUpstreams, startUpstream, type FakeUpstream } from "../support/upstreams.js";
import { startGoogleUpstream, type GoogleUpstream } from "../support/google-upstream.js";
import { serviceAccount, startTokenEndpoint, type ServiceAccountKey, type TokenEndpoint } from "../support/google-token.js";
import { startAzureUpstream, type AzureUpstream } from "../support/azure-upstream.js";
import { bedrockBehave, startBedrockUpstream, type BedrockUpstream } from "../support/bedrock-upstream.js";
import { closeStrictServers } from "../support/strict-upstream.js";
import { startServeChild, stopServeChildren, type ServeChild } from "../reliability/edge-helpers.js";
import { AWS_CREDS } from "./harness.js";

const PROFILE = "us.anthropic.claude-3-7-sonnet-20250219-v1:0";
const AZ_KEY = "e2e6-azure-key-0123456789abcdef";
const GEMINI_KEY = "AIzaSy-e2e6-gemini-key-000111";
const dir = mkdtempSync(join(tmpdir(), "aigw-six-e2e-"));
let openaiUp: FakeUpstream;
let anthropicUp: FakeUpstream;
let gemini: GoogleUpstream;
let vertex: GoogleUpstream;
let tokens: TokenEndpoint;
let account: ServiceAccountKey;
let bedrock: BedrockUpstream;
let azure: AzureUpstream;
let gw: ServeChild;
let client: OpenAI;

beforeAll(async () => {
  openaiUp = await startUpstream("openai");
  anthropicUp = await startUpstream("anthropic");
  tokens = await startTokenEndpoint(() => account);
  account = await serviceAccount(tokens.tokenUri);
  gemini = await startGoogleUpstream("gemini", { apiKey: GEMINI_KEY });
  vertex = await startGoogleUpstream("vertex", { tokenValid: (t) => tokens.isValid(t), project: "aigw-e2e", location: "us-central1" });
  bedrock = await startBedrockUpstream(AWS_CREDS, [PROFILE]);
  azure = await startAzureUpstream({ apiKey: AZ_KEY, deployments: ["gpt-4o-prod"] });
  writeFileSync(
    join(dir, "main.route"),
    `
gateway { auth none state memory }
provider oa { api openai base_url "${openaiUp.baseUrl}" key env("E2E_OA") }
provider an { api anthropic base_url "${anthropicUp.baseUrl}" key env("E2E_AN") }
provider gm { api gemini base_url "${gemini.baseUrl}" key env("E2E_GM") }
provider vx { api vertex base_url "${vertex.baseUrl}" project "aigw-e2e" location "us-central1" key env("E2E_SA") }
provider aws {
  api bedrock
  region "${AWS_CREDS.region}"
  base_url "${bedrock.baseUrl}"
  access_key env("E2E_AK")
  secret_key env("E2E_SK")
  session_token env("E2E_ST")
}
provider az { api azure base_url "${azure.baseUrl}" key env("E2E_AZ") }
model gpt = oa/"gpt-4o" { input $2.50/Mtok output $10/Mtok }
model claude = an/"claude-sonnet-4-5" { input $3/Mtok output $15/Mtok }
model flash = gm/"gemini-2.5-flash" { input $0.30/Mtok output $2.50/Mtok }
model pro = vx/"gemini-2.5-pro" { input $1.25/Mtok output $10/Mtok }
model br = aws/"${PROFILE}" { input $3/Mtok output $15/Mtok }
model azm = az/"gpt-4o-prod" { input $2.50/Mtok output $10/Mtok }
route chain { when model == "chain"  to gpt  fallback claude, flash, pro, br, azm on 429, 5xx }
route spread { when model == "spread"  split { 17% gpt 17% claude 17% flash 17% pro 16% br 16% azm }  fallback gpt on 5xx }
`,
  );
  gw = await startServeChild(join(dir, "main.route"), [], 60_000, {
    E2E_OA: "sk-e2e6-openai",
    E2E_AN: "sk-e2e6-anthropic",
    E2E_GM: GEMINI_KEY,
    E2E_SA: account.json,
    E2E_AK: AWS_CREDS.accessKeyId,
    E2E_SK: AWS_CREDS.secretAccessKey,
    E2E_ST: AWS_CREDS.sessionToken,
    E2E_AZ: AZ_KEY,
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
    const { data, response } = await client.chat.completions.create({ model: "chain", messages: [{ role: "user", content: "hi" }] }).withResponse();
    expect(data.choices[0]!.message.content).toBe("hello from openai");
    expect(response.headers.get("x-aigw-target")).toBe("azm");
    expect(response.headers.get("x-aigw-attempts")).toBe("gpt:503,claude:529,flash:429,pro:503,br:429,azm:200");
  });

  it("falls back through five failing providers to the sixth, streamed", async () => {
    failAllButAzure();
    const { data: stream, response } = await client.chat.completions.create({ model: "chain", messages: [{ role: "user", content: "hi" }], stream: true }).withResponse();
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
