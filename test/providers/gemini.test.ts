/**
 * The Gemini adapter against the strict fake Gemini API: what reaches
 * Google for each request field (or the 400 that refuses it before
 * anything is sent), tool calls round-tripped with synthesized ids,
 * images, JSON schemas, safety stops, usage with cached and thinking
 * tokens, Google's error classes, embeddings, and no key in any error.
 */

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ProviderNode } from "../../compiler/graph.js";
import { ProviderRequestError, Providers, UpstreamProtocolError, UpstreamStatusError, type ChatCompletionChunk } from "../../runtime/providers/index.js";
import { decodeEmbeddings } from "../../runtime/request/embeddings.js";
import type { ChatCompletionRequest } from "../../runtime/request/openai-wire.js";
import { startGoogleUpstream, type GoogleUpstream } from "../support/google-upstream.js";
import { attempt, GEMINI_TEST_KEY, graphOf, span } from "./harness.js";

const PNG = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
const weather = { type: "function" as const, function: { name: "weather", description: "the weather", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } } };

let up: GoogleUpstream;
let providers: Providers;

beforeEach(async () => {
  up = await startGoogleUpstream("gemini", { apiKey: GEMINI_TEST_KEY });
  const provider: ProviderNode = { api: "gemini", baseUrl: up.baseUrl, key: { env: "GEMINI_KEY" }, timeoutMs: 5_000, span };
  providers = new Providers(graphOf({ g: provider }, "gemini-2.5-flash"), { resolveSecret: () => GEMINI_TEST_KEY });
});
afterEach(async () => {
  await providers.close();
  await up.close();
});

const complete = (body: Partial<ChatCompletionRequest>) => providers.complete(attempt("g-model", body));
const refusal = async (body: Partial<ChatCompletionRequest>) => {
  const before = up.requests.length;
  const err = await complete(body).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ProviderRequestError);
  expect((err as ProviderRequestError).reason).toBe("400");
  expect(up.requests.length).toBe(before); // nothing was sent
  return (err as Error).message;
};

async function drain(body: Partial<ChatCompletionRequest>): Promise<ChatCompletionChunk[]> {
  const chunks: ChatCompletionChunk[] = [];
  for await (const c of await providers.stream(attempt("g-model", { ...body, stream: true }))) chunks.push(c);
  return chunks;
}

describe("gemini request", () => {
  it("sends the key in x-goog-api-key, never in the URL, to models/{model}:generateContent", async () => {
    await complete({});
    expect(up.requests[0]!.path).toBe("/v1beta/models/gemini-2.5-flash:generateContent");
    expect(up.requests[0]!.headers["x-goog-api-key"]).toBe(GEMINI_TEST_KEY);
    expect(up.requests[0]!.headers["authorization"]).toBeUndefined();
  });

  it("maps system, multi-part user content with an inline image, and sampling fields", async () => {
    await complete({
      messages: [
        { role: "system", content: "be brief" },
        { role: "developer", content: "be kind" },
        { role: "user", content: [{ type: "text", text: "what is this?" }, { type: "image_url", image_url: { url: PNG } }] },
      ],
      temperature: 1.5,
      top_p: 0.9,
      max_completion_tokens: 100,
      stop: ["END"],
      n: 2,
      seed: 7,
      presence_penalty: 0.5,
      frequency_penalty: 0.25,
      reasoning_effort: "low",
    } as Partial<ChatCompletionRequest>);
    const body = up.requests[0]!.body;
    expect(body.systemInstruction).toEqual({ parts: [{ text: "be brief" }, { text: "be kind" }] });
    expect(body.contents).toEqual([{ role: "user", parts: [{ text: "what is this?" }, { inlineData: { mimeType: "image/png", data: PNG.split(",")[1] } }] }]);
    expect(body.generationConfig).toEqual({
      temperature: 1.5,
      topP: 0.9,
      maxOutputTokens: 100,
      stopSequences: ["END"],
      candidateCount: 2,
      seed: 7,
      presencePenalty: 0.5,
      frequencyPenalty: 0.25,
      thinkingConfig: { thinkingBudget: 1024 },
    });
  });

  it("gives one choice per candidate when n > 1", async () => {
    up.next({ kind: "reply", reply: { candidates: 2 } });
    const { completion } = await complete({ n: 2 });
    expect(completion.choices.map((c) => c.index)).toEqual([0, 1]);
  });

  it("round-trips a tool call that came without an id: synthesized, then sent back as name only", async () => {
    up.next({ kind: "reply", reply: { toolCalls: [{ name: "weather", args: { city: "Paris" } }] } });
    const first = await complete({ tools: [weather], tool_choice: { type: "function", function: { name: "weather" } } });
    const call = first.completion.choices[0]!.message.tool_calls![0]!;
    expect(call.id).toMatch(/^call_aigw_/);
    expect(first.completion.choices[0]!.finish_reason).toBe("tool_calls");
    expect(up.requests[0]!.body.toolConfig).toEqual({ functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["weather"] } });
    expect(up.requests[0]!.body.tools).toEqual([
      { functionDeclarations: [{ name: "weather", description: "the weather", parameters: { type: "OBJECT", properties: { city: { type: "STRING" } }, required: ["city"] } }] },
    ]);

    await complete({
      tools: [weather],
      messages: [
        { role: "user", content: "weather in Paris?" },
        { role: "assistant", content: null, tool_calls: [call] },
        { role: "tool", tool_call_id: call.id, content: "sunny, 21°C" },
      ],
    });
    expect(up.requests[1]!.body.contents).toEqual([
      { role: "user", parts: [{ text: "weather in Paris?" }] },
      { role: "model", parts: [{ functionCall: { name: "weather", args: { city: "Paris" } } }] },
      { role: "user", parts: [{ functionResponse: { name: "weather", response: { output: "sunny, 21°C" } } }] },
    ]);
  });

  it.each([false, true])("carries Gemini 3's thought signature back on the call it signed, in the tool-call id (stream: %s)", async (stream) => {
    const provider: ProviderNode = { api: "gemini", baseUrl: up.baseUrl, key: { env: "GEMINI_KEY" }, timeoutMs: 5_000, span };
    const g3 = new Providers(graphOf({ g: provider }, "gemini-3-pro-preview"), { resolveSecret: () => GEMINI_TEST_KEY });
    up.next({ kind: "reply", reply: { toolCalls: [{ name: "weather", args: { city: "Paris" } }] } });
    let call: { id: string; type: "function"; function: { name: string; arguments: string } };
    if (stream) {
      const chunks: ChatCompletionChunk[] = [];
      for await (const c of await g3.stream(attempt("g-model", { tools: [weather], stream: true }))) chunks.push(c);
      const d = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? [])[0]!;
      call = { id: d.id!, type: "function", function: { name: d.function!.name!, arguments: d.function!.arguments! } };
    } else call = (await g3.complete(attempt("g-model", { tools: [weather] }))).completion.choices[0]!.message.tool_calls![0]!;
    expect(call.id).toMatch(/^call_aigw_.*__thought__/);
    const messages = [{ role: "user" as const, content: "weather?" }, { role: "assistant" as const, content: null, tool_calls: [call] }, { role: "tool" as const, tool_call_id: call.id, content: "sunny" }];
    const { completion } = await g3.complete(attempt("g-model", { tools: [weather], messages }));
    expect(completion.choices[0]!.message.content).toBe("fine, thanks");
    const sent = up.requests[1]!.body.contents;
    expect(sent[1].parts[0]).toEqual({ functionCall: { name: "weather", args: { city: "Paris" } }, thoughtSignature: expect.stringMatching(/^[A-Za-z0-9+/]+=*$/) });
    expect(sent[2].parts[0]).toEqual({ functionResponse: { name: "weather", response: { output: "sunny" } } });
    // Without the signature, Gemini 3 refuses the conversation (the fake as the real API does).
    const unsigned = [messages[0]!, { ...messages[1]!, tool_calls: [{ ...call, id: "call_plain" }] }, { ...messages[2]!, tool_call_id: "call_plain" }];
    await expect(g3.complete(attempt("g-model", { tools: [weather], messages: unsigned }))).rejects.toMatchObject({ status: 400, message: expect.stringContaining("thought_signature") });
    await g3.close();
  });

  it("keeps ids Gemini sent on the way back", async () => {
    up.next({ kind: "reply", reply: { toolCalls: [{ id: "fc-1", name: "weather", args: { city: "Oslo" } }] } });
    const call = (await complete({ tools: [weather] })).completion.choices[0]!.message.tool_calls![0]!;
    expect(call.id).toBe("fc-1");
    await complete({ tools: [weather], messages: [{ role: "user", content: "hi" }, { role: "assistant", content: null, tool_calls: [call] }, { role: "tool", tool_call_id: "fc-1", content: "cold" }] });
    expect(up.requests[1]!.body.contents[2].parts[0].functionResponse.id).toBe("fc-1");
  });

  it.each([
    [{ tool_choice: "none" }, { mode: "NONE" }],
    [{ tool_choice: "auto" }, { mode: "AUTO" }],
    [{ tool_choice: "required" }, { mode: "ANY" }],
  ])("maps tool_choice %j", async (choice, config) => {
    await complete({ tools: [weather], ...(choice as Partial<ChatCompletionRequest>) });
    expect(up.requests[0]!.body.toolConfig).toEqual({ functionCallingConfig: config });
  });

  it("maps json_object and json_schema to responseMimeType and responseSchema in Google's subset", async () => {
    await complete({ response_format: { type: "json_object" } } as Partial<ChatCompletionRequest>);
    expect(up.requests[0]!.body.generationConfig).toEqual({ responseMimeType: "application/json" });
    const schema = { type: "object", properties: { name: { type: ["string", "null"] }, tags: { type: "array", items: { type: "string", enum: ["a", "b"] } } }, required: ["name"], additionalProperties: false };
    await complete({ response_format: { type: "json_schema", json_schema: { name: "x", schema, strict: true } } } as Partial<ChatCompletionRequest>);
    expect(up.requests[1]!.body.generationConfig).toEqual({
      responseMimeType: "application/json",
      responseSchema: { type: "OBJECT", properties: { name: { type: "STRING", nullable: true }, tags: { type: "ARRAY", items: { type: "STRING", enum: ["a", "b"] } } }, required: ["name"] },
    });
  });

  it("refuses, naming the field and the provider, what Gemini cannot honour", async () => {
    expect(await refusal({ messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "https://example.com/cat.png" } }] }] })).toMatch(/provider `g`.*`image_url\.url` with a remote URL/);
    expect(await refusal({ logprobs: true } as Partial<ChatCompletionRequest>)).toMatch(/`logprobs` is not supported by Gemini/);
    expect(await refusal({ user: "u-1" })).toMatch(/`user` is not supported by Gemini/);
    expect(await refusal({ parallel_tool_calls: false, tools: [weather] })).toMatch(/`parallel_tool_calls: false`/);
    expect(await refusal({ reasoning_effort: "extreme" } as Partial<ChatCompletionRequest>)).toMatch(/`reasoning_effort` `extreme`/);
    const ref = { type: "object", properties: { a: { $ref: "#/$defs/a" } } };
    expect(await refusal({ response_format: { type: "json_schema", json_schema: { name: "x", schema: ref } } } as Partial<ChatCompletionRequest>)).toMatch(/`\$ref` in `response_format.json_schema.schema`.properties.a/);
    expect(await refusal({ messages: [{ role: "user", content: "hi", name: "bob" }] })).toMatch(/`name` on a `user` message/);
    expect(await refusal({ messages: [{ role: "tool", tool_call_id: "nope", content: "x" }] })).toMatch(/answers no tool call/);
  });
});

describe("gemini reply", () => {
  it.each(["SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII"])("maps finishReason %s to content_filter", async (reason) => {
    up.next({ kind: "reply", reply: { text: "", finishReason: reason } });
    expect((await complete({})).completion.choices[0]!.finish_reason).toBe("content_filter");
    up.next({ kind: "reply", reply: { text: "", finishReason: reason } });
    const chunks = await drain({});
    expect(chunks.some((c) => c.choices[0]?.finish_reason === "content_filter")).toBe(true);
  });

  it("maps a blocked prompt (promptFeedback.blockReason) to content_filter", async () => {
    up.next({ kind: "reply", reply: { blockReason: "SAFETY" } });
    const { completion } = await complete({});
    expect(completion.choices[0]).toMatchObject({ finish_reason: "content_filter", message: { content: null } });
    up.next({ kind: "reply", reply: { blockReason: "OTHER" } });
    const chunks = await drain({});
    expect(chunks[0]!.choices[0]).toMatchObject({ delta: { role: "assistant" }, finish_reason: "content_filter" });
  });

  it("maps MAX_TOKENS to length", async () => {
    up.next({ kind: "reply", reply: { finishReason: "MAX_TOKENS" } });
    expect((await complete({})).completion.choices[0]!.finish_reason).toBe("length");
  });

  it("bills thinking tokens as output, counts cached tokens in the prompt, leaves thought summaries out", async () => {
    up.next({ kind: "reply", reply: { thought: "let me think", usage: { prompt: 100, candidates: 20, cached: 60, thoughts: 30 } } });
    const { completion, usage } = await complete({});
    expect(completion.choices[0]!.message.content).toBe("fine, thanks");
    expect(usage).toEqual({ promptTokens: 100, completionTokens: 50, cacheReadTokens: 60 });
    expect(completion.usage).toMatchObject({ total_tokens: 150, prompt_tokens_details: { cached_tokens: 60 }, completion_tokens_details: { reasoning_tokens: 30 } });
    up.next({ kind: "reply", reply: { usage: { prompt: 100, candidates: 20, thoughts: 30 } } });
    const stream = await providers.stream(attempt("g-model", { stream: true }));
    for await (const _ of stream) void _;
    expect(stream.usage).toEqual({ promptTokens: 100, completionTokens: 50 });
  });
});

describe("gemini errors", () => {
  it("maps 429 RESOURCE_EXHAUSTED and 503 UNAVAILABLE with Google's status as the upstream type", async () => {
    up.next({ kind: "fail", status: 429, message: "Resource has been exhausted (e.g. check quota)." });
    const err = (await complete({}).catch((e: unknown) => e)) as UpstreamStatusError;
    expect(err).toMatchObject({ status: 429, reason: "429", upstreamType: "RESOURCE_EXHAUSTED" });
    expect(err.message).toContain("Resource has been exhausted");
    up.next({ kind: "fail", status: 503 });
    await expect(complete({})).rejects.toMatchObject({ status: 503, upstreamType: "UNAVAILABLE" });
  });

  it("keeps a context-length 400 a 400 (a context fallback's trigger)", async () => {
    up.next({ kind: "fail", status: 400, message: "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576)." });
    await expect(complete({})).rejects.toMatchObject({ status: 400, reason: "context_length", refusal: "context_length", upstreamType: "INVALID_ARGUMENT", message: expect.stringContaining("exceeds the maximum number of tokens") });
  });

  it("turns an error event mid-stream into a status error, and a stream without a finish reason into a protocol error", async () => {
    up.next({ kind: "stream-error", status: 503 });
    const stream = await providers.stream(attempt("g-model", { stream: true }));
    const err = await (async () => {
      for await (const _ of stream) void _;
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamStatusError);
    expect((err as UpstreamStatusError).status).toBe(503);
    up.next({ kind: "cut" });
    const cut = await providers.stream(attempt("g-model", { stream: true }));
    const err2 = await (async () => {
      for await (const _ of cut) void _;
    })().catch((e: unknown) => e);
    expect(err2).toBeInstanceOf(UpstreamProtocolError);
  });

  it("never echoes the key, even when Google's error message quotes it", async () => {
    up.next({ kind: "fail", status: 400, echoAuth: true });
    const err = (await complete({}).catch((e: unknown) => e)) as Error;
    expect(up.requests[0]!.path).not.toContain(GEMINI_TEST_KEY);
    expect(err.message).toContain("(saw ");
    expect(err.message).not.toContain(GEMINI_TEST_KEY);
    expect(JSON.stringify(err)).not.toContain(GEMINI_TEST_KEY);
  });
});

describe("gemini embeddings", () => {
  const embed = (body: Record<string, unknown>) => providers.embed({ request: decodeEmbeddings({ model: "e", ...body }), model: "g-model", requestId: "r" });

  it("embeds through batchEmbedContents, one request per input, in OpenAI's list shape", async () => {
    const { body, usage } = await embed({ input: ["hello", "hi"], dimensions: 3 });
    expect(up.requests[0]!.path).toBe("/v1beta/models/gemini-2.5-flash:batchEmbedContents");
    expect(up.requests[0]!.body.requests[0]).toEqual({ model: "models/gemini-2.5-flash", content: { parts: [{ text: "hello" }] }, outputDimensionality: 3 });
    expect(body).toEqual({ object: "list", model: "gemini-2.5-flash", data: [{ object: "embedding", index: 0, embedding: [5, 104, 0.5] }, { object: "embedding", index: 1, embedding: [2, 104, 0.5] }] });
    expect(usage).toBeUndefined();
  });

  it("writes base64 as little-endian float32, and refuses token arrays", async () => {
    const { body } = await embed({ input: "hey", encoding_format: "base64" });
    const b64 = (body["data"] as { embedding: string }[])[0]!.embedding;
    const bytes = Buffer.from(b64, "base64");
    expect([...new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4)]).toEqual([3, 104, 0.5]);
    await expect(embed({ input: [1, 2, 3] })).rejects.toThrow(/token arrays is not supported by Gemini/);
  });
});
