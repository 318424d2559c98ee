/**
 * The inbound APIs beside chat, end to end: the official `@anthropic-ai/sdk`
 * (messages.create, messages.stream, countTokens, a tool-use round trip)
 * and `openai` (responses.create and stream, embeddings.create,
 * models.retrieve) clients, unmodified, against the real server, to
 * OpenAI-style and Anthropic-style fake upstreams on 127.0.0.1 that record
 * what they receive; errors parsed as each SDK's own error types; fallback
 * before the first byte; the decision headers on every API.
 */
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { behave, closeAllUpstreams, startUpstream, type FakeUpstream } from "../support/upstreams.js";
import { closeGateways, KEY, KEY_HASH, policy, serve } from "./helpers.js";

afterEach(async () => {
  await closeGateways();
  await closeAllUpstreams();
});

/** A gateway whose `chat` route goes to `up` (an OpenAI or Anthropic upstream), falling back to `fb` when given. */
async function gateway(up: FakeUpstream, fb?: FakeUpstream) {
  const graph = policy(`
provider up { api ${up.kind} base_url "${up.baseUrl}" }
${fb ? `provider fb { api ${fb.kind} base_url "${fb.baseUrl}" }` : ""}
provider demo { api mock }
keys { "${KEY_HASH}" team "search" }
model main = up/"${up.kind === "openai" ? "gpt-4o" : "claude-sonnet-4-5"}"
${fb ? `model spare = fb/"${fb.kind === "openai" ? "gpt-4o" : "claude-sonnet-4-5"}"` : ""}
model emb = demo/"mock-embed"
model claude-emb = up/"claude-embed"
route chat { when model == "chat"  to main ${fb ? "fallback spare on 5xx" : ""} }
route embed { when model == "embed"  to emb }
route no-embed { when model == "claude-embed"  to claude-emb }
`);
  const started = await serve(graph);
  const anthropic = new Anthropic({ apiKey: KEY, baseURL: started.base, maxRetries: 0, timeout: 10_000 });
  const openai = new OpenAI({ apiKey: KEY, baseURL: `${started.base}/v1`, maxRetries: 0, timeout: 10_000 });
  return { ...started, anthropic, openai };
}

const weather = { name: "weather", description: "the weather in a city", input_schema: { type: "object" as const, properties: { city: { type: "string" } }, required: ["city"] } };

describe.each(["openai", "anthropic"] as const)("Anthropic Messages in, %s out", (kind) => {
  it("answers messages.create with a message, usage and the decision headers", async () => {
    const up = await startUpstream(kind);
    up.next(behave.reply({ text: "sunny", usage: { prompt: 12, completion: 3 } }));
    const { anthropic } = await gateway(up);
    const { data, response } = await anthropic.messages
      .create({ model: "chat", max_tokens: 100, system: "be brief", messages: [{ role: "user", content: "weather?" }] })
      .withResponse();
    expect(data).toMatchObject({ type: "message", role: "assistant", content: [{ type: "text", text: "sunny" }], stop_reason: "end_turn" });
    expect(data.usage.output_tokens).toBe(3);
    expect(response.headers.get("x-aigw-route")).toBe("chat");
    expect(response.headers.get("x-aigw-target")).toBe("main");
    const sent = up.requests[0]!.body;
    if (kind === "openai") expect(sent).toMatchObject({ model: "gpt-4o", max_completion_tokens: 100, messages: [{ role: "system", content: "be brief" }, { role: "user", content: "weather?" }] });
    // Messages to Anthropic: the caller's own body, the upstream's model name in it
    else expect(sent).toEqual({ model: "claude-sonnet-4-5", max_tokens: 100, system: "be brief", messages: [{ role: "user", content: "weather?" }] });
  });

  it("streams with messages.stream and round-trips a tool call", async () => {
    const up = await startUpstream(kind);
    up.next(behave.reply({ text: "", toolCalls: [{ id: "call_1", name: "weather", arguments: { city: "Paris" } }] }), behave.reply({ text: "sunny in Paris" }));
    const { anthropic } = await gateway(up);
    const stream = anthropic.messages.stream({ model: "chat", max_tokens: 100, tools: [weather], messages: [{ role: "user", content: "weather in Paris?" }] });
    const first = await stream.finalMessage();
    expect(first.stop_reason).toBe("tool_use");
    const use = first.content.find((b) => b.type === "tool_use");
    expect(use).toMatchObject({ type: "tool_use", name: "weather", input: { city: "Paris" } });
    const second = await anthropic.messages.create({
      model: "chat",
      max_tokens: 100,
      tools: [weather],
      messages: [
        { role: "user", content: "weather in Paris?" },
        { role: "assistant", content: first.content },
        { role: "user", content: [{ type: "tool_result", tool_use_id: use!.type === "tool_use" ? use!.id : "", content: "18C sunny" }] },
      ],
    });
    expect(second.content).toEqual([{ type: "text", text: "sunny in Paris" }]);
    const sent = up.requests[1]!.body;
    if (kind === "openai") {
      expect(sent.tools[0]).toMatchObject({ type: "function", function: { name: "weather" } });
      expect(sent.messages.at(-1)).toMatchObject({ role: "tool", tool_call_id: "call_1", content: "18C sunny" });
    } else expect(sent.messages.at(-1)).toMatchObject({ role: "user", content: [{ type: "tool_result", tool_use_id: "call_1", content: "18C sunny" }] });
  });

  it("sends an image block to the upstream in its own format", async () => {
    const up = await startUpstream(kind);
    const { anthropic } = await gateway(up);
    await anthropic.messages.create({
      model: "chat",
      max_tokens: 10,
      messages: [{ role: "user", content: [{ type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } }, { type: "text", text: "what?" }] }],
    });
    const sent = JSON.stringify(up.requests[0]!.body);
    expect(sent).toContain(kind === "openai" ? "data:image/png;base64,iVBORw0KGgo=" : '"media_type":"image/png","data":"iVBORw0KGgo="');
  });

  it("answers errors in Anthropic's shape, parsed as the SDK's error types", async () => {
    const up = await startUpstream(kind);
    up.setDefault(behave.fail(400));
    const { anthropic } = await gateway(up);
    await expect(anthropic.messages.create({ model: "nope", max_tokens: 5, messages: [{ role: "user", content: "x" }] })).rejects.toBeInstanceOf(Anthropic.NotFoundError);
    await expect(anthropic.messages.create({ model: "chat", max_tokens: 5, messages: [{ role: "user", content: "x" }] })).rejects.toBeInstanceOf(Anthropic.BadRequestError);
    const bad = new Anthropic({ apiKey: "sk-wrong", baseURL: anthropic.baseURL, maxRetries: 0 });
    const err = await bad.messages.create({ model: "chat", max_tokens: 5, messages: [{ role: "user", content: "x" }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.AuthenticationError);
    expect((err as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: "error", error: { type: "authentication_error" } });
  });

  it(kind === "anthropic" ? "sends Anthropic's own fields (top_k, thinking, cache_control) to Anthropic" : "refuses Anthropic's own fields by name for an OpenAI upstream, never drops them", async () => {
    const up = await startUpstream(kind);
    const { anthropic } = await gateway(up);
    // `top_k` is a Messages field the SDK's params type leaves out: sent as an extra body field
    const base: Anthropic.MessageCreateParamsNonStreaming = {
      model: "chat",
      max_tokens: 2048,
      thinking: { type: "enabled", budget_tokens: 1024 },
      messages: [{ role: "user", content: [{ type: "text", text: "x", cache_control: { type: "ephemeral" } }] }],
    };
    const params = { ...base, top_k: 3 } as Anthropic.MessageCreateParamsNonStreaming & { top_k?: number };
    if (kind === "anthropic") {
      await anthropic.messages.create(params);
      expect(up.requests[0]!.body).toEqual({ ...params, model: "claude-sonnet-4-5" });
      return;
    }
    const refused = await anthropic.messages.create(params).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(Anthropic.BadRequestError);
    expect(String((refused as Error).message)).toContain("`top_k`");
    const thinking = await anthropic.messages.create(base).catch((e: unknown) => e);
    expect(String((thinking as Error).message)).toContain("`thinking`");
    expect(up.requests).toHaveLength(0);
    // a breakpoint is a hint that changes no answer: left out for OpenAI (lang/SPEC.md §14)
    const { thinking: _, ...plain } = base;
    await anthropic.messages.create(plain);
    expect(JSON.stringify(up.requests[0]!.body)).not.toContain("cache_control");
  });
});

describe.each(["openai", "anthropic"] as const)("OpenAI Responses in, %s out", (kind) => {
  it("answers responses.create with a Response, usage and the decision headers", async () => {
    const up = await startUpstream(kind);
    up.next(behave.reply({ text: "hello", usage: { prompt: 9, completion: 2 } }));
    const { openai } = await gateway(up);
    const { data, response } = await openai.responses.create({ model: "chat", instructions: "be brief", input: "hi", max_output_tokens: 50 }).withResponse();
    expect(data.output_text).toBe("hello");
    expect(data.status).toBe("completed");
    expect(data.usage).toMatchObject({ input_tokens: 9, output_tokens: 2, total_tokens: 11 });
    expect(response.headers.get("x-aigw-target")).toBe("main");
    const sent = up.requests[0]!.body;
    if (kind === "openai") expect(sent).toMatchObject({ model: "gpt-4o", max_completion_tokens: 50, messages: [{ role: "system", content: "be brief" }, { role: "user", content: "hi" }] });
    else expect(sent).toMatchObject({ max_tokens: 50, system: [{ type: "text", text: "be brief" }] });
  });

  it("streams text and function-call arguments, usage on response.completed", async () => {
    const up = await startUpstream(kind);
    up.next(behave.reply({ text: "", toolCalls: [{ id: "call_9", name: "weather", arguments: { city: "Oslo" } }] }));
    const { openai } = await gateway(up);
    const stream = await openai.responses.create({
      model: "chat",
      input: [{ role: "user", content: "weather in Oslo?" }],
      tools: [{ type: "function", name: "weather", parameters: weather.input_schema, strict: false }],
      stream: true,
    });
    const types: string[] = [];
    let done: OpenAI.Responses.Response | undefined;
    for await (const e of stream) {
      types.push(e.type);
      if (e.type === "response.completed") done = e.response;
    }
    expect(types[0]).toBe("response.created");
    expect(types).toContain("response.function_call_arguments.delta");
    expect(done?.output[0]).toMatchObject({ type: "function_call", call_id: "call_9", name: "weather", arguments: '{"city":"Oslo"}' });
    expect(done?.usage?.total_tokens).toBeGreaterThan(0);
  });

  it("refuses previous_response_id as a 400 the SDK parses", async () => {
    const up = await startUpstream(kind);
    const { openai } = await gateway(up);
    const err = await openai.responses.create({ model: "chat", input: "hi", previous_response_id: "resp_1" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("previous_response_id");
    expect(up.requests).toHaveLength(0);
  });
});

describe("the same policy across APIs", () => {
  it("falls back before the first byte on every API", async () => {
    const bad = await startUpstream("openai");
    const good = await startUpstream("anthropic");
    bad.setDefault(behave.fail(503));
    const { anthropic, openai } = await gateway(bad, good);
    const { response: r1 } = await anthropic.messages.create({ model: "chat", max_tokens: 5, messages: [{ role: "user", content: "x" }] }).withResponse();
    expect(r1.headers.get("x-aigw-attempts")).toBe("main:503,spare:200");
    const stream = await openai.responses.create({ model: "chat", input: "x", stream: true }).withResponse();
    expect(stream.response.headers.get("x-aigw-attempts")).toBe("main:503,spare:200");
    for await (const _ of stream.data) void _;
  });

  it("embeds with embeddings.create (float and base64) and retrieves models", async () => {
    const up = await startUpstream("anthropic");
    const { openai, access } = await gateway(up);
    const e = await openai.embeddings.create({ model: "embed", input: ["a", "b"], dimensions: 8 });
    expect(e.data).toHaveLength(2);
    expect(e.data[0]!.embedding).toHaveLength(8);
    expect(e.usage.prompt_tokens).toBeGreaterThan(0);
    const f = await openai.embeddings.create({ model: "embed", input: "a", dimensions: 8, encoding_format: "float" });
    expect(f.data[0]!.embedding).toEqual(e.data[0]!.embedding);
    expect(access.at(-1)).toMatchObject({ status: 200, route: "embed", target: "emb" });
    const err = await openai.embeddings.create({ model: "claude-embed", input: "a" }).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(String((err as Error).message)).toContain("has no embeddings");
    expect(await openai.models.retrieve("chat")).toMatchObject({ id: "chat", object: "model" });
    await expect(openai.models.retrieve("nope")).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it("counts tokens of a Messages request", async () => {
    const up = await startUpstream("anthropic");
    const { anthropic } = await gateway(up);
    const r = await anthropic.messages.countTokens({ model: "chat", messages: [{ role: "user", content: "hello there, how are you?" }] });
    expect(r.input_tokens).toBeGreaterThan(3);
    expect(up.requests).toHaveLength(0);
  });
});

describe("the mock provider behind every API (the quickstart)", () => {
  it("answers usage, n, JSON output and tool calls with arguments through each SDK", async () => {
    const { anthropic, openai } = await gateway(await startUpstream("openai"));
    const graphModel = "embed"; // the mock's model in this policy
    const chat = await openai.chat.completions.create({ model: graphModel, n: 2, messages: [{ role: "user", content: "hi" }], response_format: { type: "json_object" } });
    expect(chat.choices).toHaveLength(2);
    expect(JSON.parse(chat.choices[1]!.message.content!)).toEqual({ reply: "mock: hi" });
    expect(chat.usage?.completion_tokens).toBeGreaterThan(0);
    const m = await anthropic.messages.create({ model: graphModel, max_tokens: 50, tools: [weather], tool_choice: { type: "any" }, messages: [{ role: "user", content: "Paris" }] });
    expect(m.content[0]).toMatchObject({ type: "tool_use", name: "weather", input: { city: "Paris" } });
    expect(m.usage.input_tokens).toBeGreaterThan(0);
    const r = await openai.responses.create({
      model: graphModel,
      input: "hi",
      text: { format: { type: "json_schema", name: "p", schema: { type: "object", properties: { a: { type: "string" } }, required: ["a"], additionalProperties: false } } },
    });
    expect(JSON.parse(r.output_text)).toEqual({ a: "mock: hi" });
    expect(r.usage?.total_tokens).toBeGreaterThan(0);
    const stream = await openai.chat.completions.create({ model: graphModel, messages: [{ role: "user", content: "hi" }], stream: true, stream_options: { include_usage: true } });
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const c of stream) usage = c.usage ?? usage;
    expect(usage?.total_tokens).toBeGreaterThan(0);
    const e = await openai.embeddings.create({ model: graphModel, input: "hi" });
    expect(e.usage.prompt_tokens).toBeGreaterThan(0);
  });
});
