/**
 * End to end: `fallback … on context_length` and `on content_filter`
 * through a real `aigw serve` process, with the unmodified `openai` SDK as
 * the client and fake upstreams that answer in each provider's own error
 * format (lang/SPEC.md §7.4): OpenAI's `context_length_exceeded`, a vLLM
 * server's "maximum context length", Anthropic's "prompt is too long" and
 * its `refusal` stop, Gemini's INVALID_ARGUMENT token count and its blocked
 * prompt, Bedrock's ValidationException and its `guardrail_intervened`
 * stop, Azure's `content_filter` 400. A listed refusal moves to the next
 * model at once (never retried on the same one); an unlisted one reaches
 * the caller as the 400 (or the filtered 200) it was before.
 */
import OpenAI from "openai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { behave, closeAllUpstreams, startUpstream, type FakeUpstream } from "../support/upstreams.js";
import { startGoogleUpstream, type GoogleUpstream } from "../support/google-upstream.js";
import { azureBehave, startAzureUpstream, type AzureUpstream } from "../support/azure-upstream.js";
import { bedrockBehave, startBedrockUpstream, type BedrockUpstream } from "../support/bedrock-upstream.js";
import { closeStrictServers } from "../support/strict-upstream.js";
import { startServeChild, stopServeChildren, type ServeChild } from "../reliability/edge-helpers.js";
import { AWS_CREDS, BEDROCK_PROFILE } from "./harness.js";

const PROFILE = BEDROCK_PROFILE;
const AZ_KEY = "refusal-azure-key-0123456789abcdef";
const GEMINI_KEY = "AIzaSy-refusal-gemini-key-000111";
const dir = mkdtempSync(join(tmpdir(), "aigw-refusal-e2e-"));
let openaiUp: FakeUpstream;
let vllmUp: FakeUpstream;
let anthropicUp: FakeUpstream;
let gemini: GoogleUpstream;
let bedrock: BedrockUpstream;
let azure: AzureUpstream;
let gw: ServeChild;
let client: OpenAI;

// Each provider's own words (confirmed against their public error reports).
const OPENAI_TOO_LONG = {
  error: {
    message: "This model's maximum context length is 128000 tokens. However, your messages resulted in 130512 tokens. Please reduce the length of the messages.",
    type: "invalid_request_error",
    param: "messages",
    code: "context_length_exceeded",
  },
};
const VLLM_TOO_LONG = {
  object: "error",
  message: "This model's maximum context length is 4096 tokens. However, you requested 6379 tokens (6029 in the messages, 350 in the completion). Please reduce the length of the messages or completion.",
  type: "BadRequestError",
  param: null,
  code: 400,
};
const ANTHROPIC_TOO_LONG = { type: "error", error: { type: "invalid_request_error", message: "prompt is too long: 208310 tokens > 200000 maximum" } };
const OPENAI_BAD_PARAM = { error: { message: "Invalid value for 'temperature': must be at most 2.", type: "invalid_request_error", param: "temperature", code: "invalid_value" } };

beforeAll(async () => {
  openaiUp = await startUpstream("openai");
  vllmUp = await startUpstream("openai");
  anthropicUp = await startUpstream("anthropic");
  bedrock = await startBedrockUpstream(AWS_CREDS, [PROFILE]);
  azure = await startAzureUpstream({ apiKey: AZ_KEY, deployments: ["gpt-4o-prod"] });
  gemini = await startGoogleUpstream("gemini", { apiKey: GEMINI_KEY });
  writeFileSync(
    join(dir, "main.route"),
    `
gateway { auth none state memory }
provider oa { api openai base_url "${openaiUp.baseUrl}" key env("R_OA") }
provider local { api openai base_url "${vllmUp.baseUrl}" }
provider an { api anthropic base_url "${anthropicUp.baseUrl}" key env("R_AN") }
provider aws {
  api bedrock
  region "${AWS_CREDS.region}"
  base_url "${bedrock.baseUrl}"
  access_key env("R_AK")
  secret_key env("R_SK")
  session_token env("R_ST")
}
provider az { api azure base_url "${azure.baseUrl}" key env("R_AZ") }
provider gm { api gemini base_url "${gemini.baseUrl}" key env("R_GM") }
model gpt = oa/"gpt-4o"
model small = local/"llama-3.1-8b"
model claude = an/"claude-sonnet-4-5"
model br = aws/"${PROFILE}"
model azm = az/"gpt-4o-prod"
model flash = gm/"gemini-2.5-flash"
route ctx-openai { when model == "ctx-openai"  to gpt  fallback claude on context_length  retry 2 }
route ctx-vllm { when model == "ctx-vllm"  to small  fallback gpt on context_length }
route ctx-anthropic { when model == "ctx-anthropic"  to claude  fallback gpt on context_length  retry 2 }
route ctx-gemini { when model == "ctx-gemini"  to flash  fallback gpt on context_length }
route ctx-bedrock { when model == "ctx-bedrock"  to br  fallback gpt on context_length }
route filter-azure { when model == "filter-azure"  to azm  fallback claude on content_filter  retry 2 }
route filter-anthropic { when model == "filter-anthropic"  to claude  fallback gpt on content_filter }
route filter-gemini { when model == "filter-gemini"  to flash  fallback gpt on content_filter }
route filter-bedrock { when model == "filter-bedrock"  to br  fallback gpt on content_filter }
route unlisted { when model == "unlisted"  to gpt  fallback claude on 429, 5xx }
route filter-unlisted { when model == "filter-unlisted"  to claude  fallback gpt on 5xx }
route both { when model == "both"  to gpt  fallback claude on context_length }
route bad-param { when model == "bad-param"  to gpt  fallback claude on context_length, content_filter }
`,
  );
  gw = await startServeChild(join(dir, "main.route"), [], 60_000, {
    R_OA: "sk-refusal-openai",
    R_AN: "sk-refusal-anthropic",
    R_AK: AWS_CREDS.accessKeyId,
    R_SK: AWS_CREDS.secretAccessKey,
    R_ST: AWS_CREDS.sessionToken,
    R_AZ: AZ_KEY,
    R_GM: GEMINI_KEY,
  });
  client = new OpenAI({ baseURL: `${gw.base}/v1`, apiKey: "unused", maxRetries: 0 });
}, 90_000);

afterAll(async () => {
  await stopServeChildren();
  await closeAllUpstreams();
  await closeStrictServers();
  await gemini.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The access-log line of the first request routed by `route`, parsed. */
function accessOf(route: string): { attempts: { target: string; status?: number; error?: string }[] } | undefined {
  const line = (gw.stdout() + gw.stderr()).split("\n").find((l) => l.startsWith("{") && l.includes(`"route":"${route}"`));
  return line === undefined ? undefined : (JSON.parse(line) as { attempts: { target: string; status?: number; error?: string }[] });
}

async function until(what: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function ask(model: string): Promise<{ text: string | null | undefined; finish: string | null | undefined; target: string | null; attempts: string | null }> {
  const { data, response } = await client.chat.completions.create({ model, messages: [{ role: "user", content: "a very long prompt" }] }).withResponse();
  return { text: data.choices[0]?.message.content, finish: data.choices[0]?.finish_reason, target: response.headers.get("x-aigw-target"), attempts: response.headers.get("x-aigw-attempts") };
}

describe("fallback on context_length: each provider's too-long error moves to the next model", () => {
  it("OpenAI's 400 context_length_exceeded → Anthropic, and the too-long model is not retried", async () => {
    const before = openaiUp.requests.length;
    openaiUp.next(behave.fail(400, { body: OPENAI_TOO_LONG }));
    const r = await ask("ctx-openai");
    expect(r).toMatchObject({ text: "hello from anthropic", target: "claude", attempts: "gpt:context_length,claude:200" });
    expect(openaiUp.requests.length - before).toBe(1);
    // The access log's attempt list names the refusal.
    await until(() => accessOf("ctx-openai") !== undefined);
    expect(accessOf("ctx-openai")!.attempts).toMatchObject([{ target: "gpt", error: "context_length" }, { target: "claude", status: 200 }]);
  });

  it("a vLLM server's 400 \"maximum context length\" → OpenAI", async () => {
    vllmUp.next(behave.fail(400, { body: VLLM_TOO_LONG }));
    expect(await ask("ctx-vllm")).toMatchObject({ text: "hello from openai", target: "gpt", attempts: "small:context_length,gpt:200" });
  });

  it("Anthropic's 400 \"prompt is too long\" → OpenAI, not retried", async () => {
    const before = anthropicUp.requests.length;
    anthropicUp.next(behave.fail(400, { body: ANTHROPIC_TOO_LONG }));
    expect(await ask("ctx-anthropic")).toMatchObject({ text: "hello from openai", attempts: "claude:context_length,gpt:200" });
    expect(anthropicUp.requests.length - before).toBe(1);
  });

  it("Gemini's 400 INVALID_ARGUMENT \"input token count exceeds the maximum\" → OpenAI", async () => {
    gemini.next({ kind: "fail", status: 400, message: "The input token count (1200293) exceeds the maximum number of tokens allowed (1048576)." });
    expect(await ask("ctx-gemini")).toMatchObject({ text: "hello from openai", attempts: "flash:context_length,gpt:200" });
  });

  it("Bedrock's ValidationException \"Input is too long for requested model\" → OpenAI", async () => {
    bedrock.next(bedrockBehave.fail(400, "ValidationException", { message: "Input is too long for requested model." }));
    expect(await ask("ctx-bedrock")).toMatchObject({ text: "hello from openai", attempts: "br:context_length,gpt:200" });
    expect(bedrock.violations).toEqual([]);
  });
});

describe("fallback on content_filter: a provider's refusal moves to the next model", () => {
  it("Azure's 400 content_filter (ResponsibleAIPolicyViolation) → Anthropic, not retried", async () => {
    const before = azure.requests.length;
    azure.next(azureBehave.contentFilter());
    expect(await ask("filter-azure")).toMatchObject({ text: "hello from anthropic", attempts: "azm:content_filter,claude:200" });
    expect(azure.requests.length - before).toBe(1);
    expect(azure.violations).toEqual([]);
  });

  it("Anthropic's 200 with stop_reason `refusal` → OpenAI", async () => {
    anthropicUp.next(behave.reply({ text: "", finish: "content_filter" }));
    expect(await ask("filter-anthropic")).toMatchObject({ text: "hello from openai", finish: "stop", attempts: "claude:content_filter,gpt:200" });
  });

  it("Gemini's blocked prompt (promptFeedback.blockReason, no candidates) and its SAFETY finish → OpenAI", async () => {
    gemini.next({ kind: "reply", reply: { blockReason: "SAFETY" } });
    expect(await ask("filter-gemini")).toMatchObject({ text: "hello from openai", attempts: "flash:content_filter,gpt:200" });
    gemini.next({ kind: "reply", reply: { text: "", finishReason: "SAFETY" } });
    expect(await ask("filter-gemini")).toMatchObject({ text: "hello from openai", attempts: "flash:content_filter,gpt:200" });
  });

  it("Bedrock's stopReason guardrail_intervened → OpenAI", async () => {
    bedrock.next(bedrockBehave.reply({ text: "Sorry, the model cannot answer this question.", stopReason: "guardrail_intervened" }));
    expect(await ask("filter-bedrock")).toMatchObject({ text: "hello from openai", attempts: "br:content_filter,gpt:200" });
  });
});

describe("a refusal the route does not list reaches the caller as before", () => {
  it("a context-length 400 on a route that falls back on 429, 5xx: the caller's 400, the fallback untouched", async () => {
    const before = anthropicUp.requests.length;
    openaiUp.next(behave.fail(400, { body: OPENAI_TOO_LONG }));
    const err = await client.chat.completions.create({ model: "unlisted", messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).message).toContain("maximum context length");
    expect(anthropicUp.requests.length - before).toBe(0);
  });

  it("a filtered 200 on a route that does not list content_filter is the caller's answer", async () => {
    anthropicUp.next(behave.reply({ text: "", finish: "content_filter" }));
    expect(await ask("filter-unlisted")).toMatchObject({ finish: "content_filter", target: "claude", attempts: "claude:200" });
  });

  it("a content-filter 400 on a route listing only context_length is the caller's 400", async () => {
    openaiUp.next(behave.fail(400, { body: { error: { message: "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.", type: null, param: "prompt", code: "content_filter" } } }));
    const err = await client.chat.completions.create({ model: "both", messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
  });

  it("any other 400 never falls back, whatever refusals the route lists", async () => {
    const before = anthropicUp.requests.length;
    openaiUp.next(behave.fail(400, { body: OPENAI_BAD_PARAM }));
    const err = await client.chat.completions.create({ model: "bad-param", messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(anthropicUp.requests.length - before).toBe(0);
  });

  it("when the last model refuses too, the caller gets a 400 naming every try", async () => {
    openaiUp.next(behave.fail(400, { body: OPENAI_TOO_LONG }));
    anthropicUp.next(behave.fail(400, { body: ANTHROPIC_TOO_LONG }));
    const err = await client.chat.completions.create({ model: "both", messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).toContain("`gpt`: context_length; `claude`: context_length");
  });

  it("never puts a provider secret in the gateway's output", () => {
    const out = gw.stdout() + gw.stderr();
    for (const secret of [AWS_CREDS.secretAccessKey, AWS_CREDS.sessionToken, AZ_KEY, GEMINI_KEY, "sk-refusal-openai", "sk-refusal-anthropic"]) expect(out).not.toContain(secret);
  });
});
