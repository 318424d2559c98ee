import { describe, expect, it } from "vitest";
import type { ProviderNode } from "../../compiler/graph.js";
import { Providers, UpstreamAbortedError, UpstreamStatusError, type ChatCompletionChunk } from "../../runtime/providers/index.js";
import { mockReply as mockReplyOf, mockTokens } from "../../runtime/providers/mock.js";
import { decodeChat } from "../../runtime/request/index.js";
import type { ChatCompletionRequest } from "../../runtime/request/openai-wire.js";

/** The mock reads the canonical request: these bodies are decoded as the gateway decodes them. */
const mockReply = (body: ChatCompletionRequest) => mockReplyOf(decodeChat(body));
import type { Sleep } from "../../runtime/providers/types.js";
import { attempt, graphOf, span } from "./harness.js";

function mockProviders(mock: ProviderNode["mock"], deps: { sleep?: Sleep; random?: () => number } = {}) {
  const slept: number[] = [];
  const sleep: Sleep = deps.sleep ?? (async (ms) => void slept.push(ms));
  const provider: ProviderNode = { api: "mock", timeoutMs: 30_000, span, ...(mock ? { mock } : {}) };
  const providers = new Providers(graphOf({ demo: provider }, "mock-1"), {
    resolveSecret: () => undefined,
    sleep,
    random: deps.random ?? (() => 0.99),
    now: () => 1_700_000_000_000,
  });
  return { providers, slept };
}

describe("mock provider", () => {
  it("answers deterministically: same request, same reply and id", async () => {
    const { providers } = mockProviders(undefined);
    const a = await providers.complete(attempt("demo-model", { messages: [{ role: "user", content: "ping" }] }));
    const b = await providers.complete(attempt("demo-model", { messages: [{ role: "user", content: "ping" }] }));
    const c = await providers.complete(attempt("demo-model", { messages: [{ role: "user", content: "pong" }] }));
    expect(a).toEqual(b);
    expect(a.completion.id).not.toBe(c.completion.id);
    expect(a.completion).toMatchObject({ created: 1_700_000_000, model: "mock-1" });
    expect(a.completion.choices[0]!.message.content).toBe("mock: ping");
    expect(a.usage).toEqual({ promptTokens: mockTokens("ping"), completionTokens: mockTokens("mock: ping") });
  });

  it("echoes the last user message, text parts joined", () => {
    const reply = mockReply({
      model: "x",
      messages: [
        { role: "user", content: "first" },
        { role: "assistant", content: "ok" },
        { role: "user", content: [{ type: "text", text: "second" }, { type: "image_url", image_url: { url: "https://x/y.png" } }, { type: "text", text: "part" }] },
      ],
    });
    expect(reply.text).toBe("mock: second part");
    expect(reply.finish).toBe("stop");
  });

  it("calls the named tool, and answers a tool result with text", () => {
    const tools = [
      { type: "function" as const, function: { name: "a" } },
      { type: "function" as const, function: { name: "b" } },
    ];
    expect(mockReply({ model: "x", messages: [{ role: "user", content: "go" }], tools }).toolCall?.function.name).toBe("a");
    const named = mockReply({ model: "x", messages: [{ role: "user", content: "go" }], tools, tool_choice: { type: "function", function: { name: "b" } } });
    expect(named).toMatchObject({ text: null, finish: "tool_calls", toolCall: { type: "function", function: { name: "b", arguments: "{}" } } });
    expect(mockReply({ model: "x", messages: [{ role: "user", content: "go" }], tools, tool_choice: "none" }).toolCall).toBeUndefined();
    const after = mockReply({
      model: "x",
      messages: [
        { role: "user", content: "go" },
        { role: "assistant", tool_calls: [{ id: "c", type: "function", function: { name: "a", arguments: "{}" } }] },
        { role: "tool", tool_call_id: "c", content: "42" },
      ],
      tools,
    });
    expect(after).toMatchObject({ text: "mock: 42", finish: "stop" });
  });

  it("stops at max_tokens with finish_reason length", () => {
    const reply = mockReply({ model: "x", messages: [{ role: "user", content: "a long message to echo back" }], max_tokens: 2 });
    expect(reply).toMatchObject({ text: "mock: a ", finish: "length", usage: { completionTokens: 2 } });
  });

  it("waits its latency through the given sleep", async () => {
    const { providers, slept } = mockProviders({ latencyMs: 20, failRate: 0, failStatus: 500 });
    await providers.complete(attempt("demo-model"));
    await providers.stream(attempt("demo-model", { stream: true }));
    expect(slept).toEqual([20, 20]);
  });

  it("fails when the random draw is below the failure rate (a percentage)", async () => {
    let draw = 0.2;
    const { providers } = mockProviders({ latencyMs: 0, failRate: 25, failStatus: 503 }, { random: () => draw });
    await expect(providers.complete(attempt("demo-model"))).rejects.toBeInstanceOf(UpstreamStatusError);
    await expect(providers.complete(attempt("demo-model"))).rejects.toMatchObject({ status: 503, reason: "503" });
    draw = 0.25;
    await expect(providers.complete(attempt("demo-model"))).resolves.toBeDefined();
  });

  it("streams word by word, then a finish chunk and a usage chunk", async () => {
    const { providers } = mockProviders(undefined);
    const stream = await providers.stream(attempt("demo-model", { messages: [{ role: "user", content: "one two three" }], stream: true }));
    const chunks: ChatCompletionChunk[] = [];
    expect(stream.usage).toBeUndefined();
    for await (const c of stream) chunks.push(c);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? null)).toEqual(["", "mock: ", "one ", "two ", "three", null, null]);
    expect(chunks[5]!.choices[0]!.finish_reason).toBe("stop");
    expect(chunks[6]!.usage).toEqual({ prompt_tokens: 4, completion_tokens: 5, total_tokens: 9 });
    expect(stream.usage).toEqual({ promptTokens: 4, completionTokens: 5 });
    expect(stream.firstChunkMs).toBe(0);
  });

  it("answers `n` choices, in a completion and in a stream, usage counting them all", async () => {
    const { providers } = mockProviders(undefined);
    const c = await providers.complete(attempt("demo-model", { messages: [{ role: "user", content: "hi" }], n: 3 }));
    expect(c.completion.choices.map((x) => [x.index, x.message.content])).toEqual([0, 1, 2].map((i) => [i, "mock: hi"]));
    expect(c.usage).toEqual({ promptTokens: mockTokens("hi"), completionTokens: 3 * mockTokens("mock: hi") });
    const stream = await providers.stream(attempt("demo-model", { messages: [{ role: "user", content: "hi" }], n: 2, stream: true }));
    const finished: number[] = [];
    for await (const chunk of stream) for (const x of chunk.choices) if (x.finish_reason) finished.push(x.index);
    expect(finished).toEqual([0, 1]);
    expect(stream.usage?.completionTokens).toBe(2 * mockTokens("mock: hi"));
  });

  it("answers valid JSON for a json response format, with a schema's required keys", () => {
    const json = mockReply({ model: "x", messages: [{ role: "user", content: "hi" }], response_format: { type: "json_object" } });
    expect(JSON.parse(json.text!)).toEqual({ reply: "mock: hi" });
    const schema = {
      type: "object",
      properties: { name: { type: "string" }, age: { type: "integer", minimum: 18 }, tags: { type: "array", items: { type: "string" }, minItems: 1 }, kind: { enum: ["a", "b"] }, extra: { type: "string" } },
      required: ["name", "age", "tags", "kind"],
    };
    const out = JSON.parse(mockReply({ model: "x", messages: [{ role: "user", content: "hi" }], response_format: { type: "json_schema", json_schema: { name: "p", schema } } }).text!);
    expect(out).toEqual({ name: "mock: hi", age: 18, tags: ["mock: hi"], kind: "a" });
  });

  it("calls a tool with JSON arguments holding its required keys whenever tool_choice asks for one", () => {
    const tools = [{ type: "function" as const, function: { name: "weather", parameters: { type: "object", properties: { city: { type: "string" }, days: { type: "integer" } }, required: ["city", "days"] } } }];
    const afterResult = [
      { role: "user" as const, content: "weather?" },
      { role: "assistant" as const, content: null, tool_calls: [{ id: "c1", type: "function" as const, function: { name: "weather", arguments: "{}" } }] },
      { role: "tool" as const, tool_call_id: "c1", content: "sunny" },
    ];
    const call = mockReply({ model: "x", messages: afterResult, tools, tool_choice: "required" }).toolCall!;
    expect(JSON.parse(call.function.arguments)).toEqual({ city: "sunny", days: 0 });
    expect(mockReply({ model: "x", messages: afterResult, tools }).toolCall).toBeUndefined();
  });

  it("stops a stream when the caller aborts between chunks", async () => {
    const { providers } = mockProviders(undefined);
    const controller = new AbortController();
    const stream = await providers.stream(attempt("demo-model", { stream: true }, { signal: controller.signal }));
    const seen: ChatCompletionChunk[] = [];
    const err = await (async () => {
      for await (const c of stream) {
        seen.push(c);
        controller.abort();
      }
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamAbortedError);
    expect(seen).toHaveLength(1);
  });

  it("can be iterated only once", async () => {
    const { providers } = mockProviders(undefined);
    const stream = await providers.stream(attempt("demo-model", { stream: true }));
    for await (const _ of stream) void _;
    await expect((async () => {
      for await (const _ of stream) void _;
    })()).rejects.toThrow(/only once/);
  });
});
