/**
 * End to end with the unmodified `openai` SDK through a real `aigw serve`
 * process: a route whose OpenAI target fails (503) falls back to Gemini
 * (the strict fake Gemini API, key in `x-goog-api-key`), and a route that
 * streams from Vertex AI (the strict fake, with a bearer token from the fake
 * token endpoint that verified the service account's signed assertion).
 * Tools round-trip through Gemini; the unmodified Anthropic SDK reaches
 * Gemini and streams from Claude on Vertex through `/v1/messages`; no
 * provider key, token or private key appears in the gateway's output or
 * in a caller's error.
 */
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { behave, closeAllUpstreams, startUpstream, type FakeUpstream } from "../support/upstreams.js";
import { startGoogleUpstream, type GoogleUpstream } from "../support/google-upstream.js";
import { serviceAccount, startTokenEndpoint, type ServiceAccountKey, type TokenEndpoint } from "../support/google-token.js";
import { startServeChild, stopServeChildren, type ServeChild } from "../reliability/edge-helpers.js";

const GEMINI_KEY = "AIzaSy-e2e-gemini-key-000111";
const OPENAI_KEY = "sk-e2e-openai-key-000111";
const dir = mkdtempSync(join(tmpdir(), "aigw-google-e2e-"));
let openaiUp: FakeUpstream;
let gemini: GoogleUpstream;
let vertex: GoogleUpstream;
let tokens: TokenEndpoint;
let account: ServiceAccountKey;
let gw: ServeChild;
let client: OpenAI;

beforeAll(async () => {
  openaiUp = await startUpstream("openai");
  openaiUp.setDefault(behave.fail(503));
  tokens = await startTokenEndpoint(() => account);
  account = await serviceAccount(tokens.tokenUri);
  gemini = await startGoogleUpstream("gemini", { apiKey: GEMINI_KEY });
  vertex = await startGoogleUpstream("vertex", { tokenValid: (t) => tokens.isValid(t), project: "aigw-e2e", location: "us-central1" });
  writeFileSync(
    join(dir, "main.route"),
    `
gateway { auth none state memory }
provider oa { api openai base_url "${openaiUp.baseUrl}" key env("E2E_OPENAI_KEY") }
provider gm { api gemini base_url "${gemini.baseUrl}" key env("E2E_GEMINI_KEY") }
provider vx { api vertex base_url "${vertex.baseUrl}" project "aigw-e2e" location "us-central1" key env("E2E_GOOGLE_SA_JSON") }
model gpt = oa/"gpt-4o" { input $2.50/Mtok output $10/Mtok }
model flash = gm/"gemini-2.5-flash" { input $0.30/Mtok output $2.50/Mtok }
model pro = vx/"gemini-2.5-pro" { input $1.25/Mtok output $10/Mtok }
model claude = vx/"claude-sonnet-4-5" { input $3/Mtok output $15/Mtok }
route chat { when model == "chat" to gpt fallback flash on 5xx }
route vertex { when model == "vertex" to pro }
route flash { when model == "flash" to flash }
route claude { when model == "claude" to claude }
`,
  );
  gw = await startServeChild(join(dir, "main.route"), [], 60_000, { E2E_OPENAI_KEY: OPENAI_KEY, E2E_GEMINI_KEY: GEMINI_KEY, E2E_GOOGLE_SA_JSON: account.json });
  client = new OpenAI({ baseURL: `${gw.base}/v1`, apiKey: "unused", maxRetries: 0 });
}, 90_000);

afterAll(async () => {
  await stopServeChildren();
  await closeAllUpstreams();
  await gemini.close();
  await vertex.close();
  await tokens.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("openai SDK → aigw serve → Google", () => {
  it("falls back from a failing OpenAI target to Gemini", async () => {
    const before = openaiUp.requests.length;
    const reply = await client.chat.completions.create({ model: "chat", messages: [{ role: "system", content: "be brief" }, { role: "user", content: "hello" }] });
    expect(openaiUp.requests.length).toBe(before + 1);
    expect(reply.choices[0]!.message.content).toBe("fine, thanks");
    expect(reply.model).toBe("gemini-2.5-flash");
    expect(reply.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 7 });
    const sent = gemini.requests[gemini.requests.length - 1]!;
    expect(sent.headers["x-goog-api-key"]).toBe(GEMINI_KEY);
    expect(sent.body.systemInstruction).toEqual({ parts: [{ text: "be brief" }] });
  });

  it("round-trips a tool call through the fallback to Gemini", async () => {
    gemini.next({ kind: "reply", reply: { toolCalls: [{ name: "weather", args: { city: "Paris" } }] } });
    const tools = [{ type: "function" as const, function: { name: "weather", parameters: { type: "object", properties: { city: { type: "string" } } } } }];
    const first = await client.chat.completions.create({ model: "chat", messages: [{ role: "user", content: "weather?" }], tools });
    const call = first.choices[0]!.message.tool_calls![0]!;
    expect(first.choices[0]!.finish_reason).toBe("tool_calls");
    const second = await client.chat.completions.create({
      model: "chat",
      tools,
      messages: [{ role: "user", content: "weather?" }, first.choices[0]!.message, { role: "tool", tool_call_id: call.id, content: "sunny" }],
    });
    expect(second.choices[0]!.message.content).toBe("fine, thanks");
    expect(gemini.requests[gemini.requests.length - 1]!.body.contents[2]).toEqual({ role: "user", parts: [{ functionResponse: { name: "weather", response: { output: "sunny" } } }] });
  });

  it("refuses a field Gemini cannot honour with a 400 naming it", async () => {
    const err = await client.chat.completions.create({ model: "chat", messages: [{ role: "user", content: "hi" }], logprobs: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(400);
    expect((err as Error).message).toContain("`logprobs` is not supported by Gemini");
  });

  it("streams from Vertex with a service-account token", async () => {
    const stream = await client.chat.completions.create({ model: "vertex", messages: [{ role: "user", content: "hello" }], stream: true, stream_options: { include_usage: true } });
    let text = "";
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe("fine, thanks");
    expect(usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 7 });
    const sent = vertex.requests[vertex.requests.length - 1]!;
    expect(sent.path).toBe("/v1/projects/aigw-e2e/locations/us-central1/publishers/google/models/gemini-2.5-pro:streamGenerateContent?alt=sse");
    expect(sent.headers["authorization"]).toBe(`Bearer ${tokens.issued[0]}`);
  });

  it("never shows the caller the bearer token Vertex's error quoted", async () => {
    vertex.next({ kind: "fail", status: 401, echoAuth: true });
    const err = await client.chat.completions.create({ model: "vertex", messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as Error).message).not.toContain(tokens.issued[0]!);
  });

  it("takes the Anthropic SDK's Messages to Gemini, and streams Claude on Vertex back as Messages events", async () => {
    const anthropic = new Anthropic({ baseURL: gw.base, apiKey: "unused", maxRetries: 0 });
    const msg = await anthropic.messages.create({ model: "flash", max_tokens: 100, system: "be brief", messages: [{ role: "user", content: "hello" }] });
    expect(msg.content).toHaveLength(1);
    expect(msg.content[0]).toMatchObject({ type: "text", text: "fine, thanks" });
    expect(msg.stop_reason).toBe("end_turn");
    const sent = gemini.requests[gemini.requests.length - 1]!;
    expect(sent.body).toMatchObject({ systemInstruction: { parts: [{ text: "be brief" }] }, generationConfig: { maxOutputTokens: 100 } });

    const stream = anthropic.messages.stream({ model: "claude", max_tokens: 100, messages: [{ role: "user", content: "hello" }] });
    let text = "";
    stream.on("text", (t) => (text += t));
    const final = await stream.finalMessage();
    expect(text).toBe("fine, thanks");
    expect(final.stop_reason).toBe("end_turn");
    const claudeSent = vertex.requests[vertex.requests.length - 1]!;
    expect(claudeSent.path).toBe("/v1/projects/aigw-e2e/locations/us-central1/publishers/anthropic/models/claude-sonnet-4-5:streamRawPredict");
    expect(claudeSent.body.anthropic_version).toBe("vertex-2023-10-16");
  });

  it("keeps every secret out of the gateway's output", () => {
    const out = gw.stdout() + gw.stderr();
    for (const secret of [GEMINI_KEY, OPENAI_KEY, ...tokens.issued, account.privateKeyPem.split("\n")[1]!]) expect(out).not.toContain(secret);
  });
});
