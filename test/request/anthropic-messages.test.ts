/**
 * The Messages codec: a Messages body decodes into the canonical request
 * (system, blocks, tool results as `tool` messages, tools, tool_choice,
 * max_tokens, stop_sequences, metadata.user_id, thinking) and encodes back
 * to the same body, `cache_control` and unmodeled fields included; the
 * reply side writes Anthropic's message and event sequence.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CodecError, decodeMessages, encodeMessages, messagesReply, MessagesStreamEncoder } from "../../runtime/request/index.js";
import type { ChatCompletionChunk } from "../../runtime/request/openai-wire.js";
import { openaiChatRequest } from "../../runtime/providers/openai-request.js";

const cache = { cache_control: { type: "ephemeral" } };
const rich = {
  model: "claude",
  system: [{ type: "text", text: "be brief", ...cache }],
  max_tokens: 300,
  stop_sequences: ["END"],
  temperature: 0.5,
  top_k: 5,
  metadata: { user_id: "u-7" },
  thinking: { type: "enabled", budget_tokens: 1024 },
  tools: [{ name: "look", description: "looks", input_schema: { type: "object", properties: { q: { type: "string" } } }, ...cache }],
  tool_choice: { type: "any", disable_parallel_tool_use: true },
  messages: [
    {
      role: "user",
      content: [
        { type: "text", text: "what is this?", ...cache },
        { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } },
        { type: "image", source: { type: "url", url: "https://example.com/a.png" } },
        { type: "document", source: { type: "base64", media_type: "application/pdf", data: "JVBERi0=" }, title: "a.pdf" },
      ],
    },
    { role: "assistant", content: [{ type: "thinking", thinking: "hmm", signature: "sig" }, { type: "tool_use", id: "tu_1", name: "look", input: { q: "x" } }] },
    { role: "user", content: [{ type: "tool_result", tool_use_id: "tu_1", content: "42", is_error: false }, { type: "text", text: "and?" }] },
  ],
  stream: true,
};

describe("the Messages codec", () => {
  it("decodes system, blocks, tool results and constraints into the model", () => {
    const r = decodeMessages(rich);
    expect(r).toMatchObject({ operation: "chat", api: "anthropic.messages", model: "claude", user: "u-7", stream: { includeUsage: true }, reasoning: { budgetTokens: 1024 } });
    expect(r.messages.map((m) => m.role)).toEqual(["system", "user", "assistant", "tool", "user"]);
    expect(r.messages[0]!.content[0]).toEqual({ kind: "text", text: "be brief", extra: cache });
    expect(r.messages[1]!.content.map((b) => b.kind)).toEqual(["text", "image", "image", "file"]);
    expect(r.messages[1]!.content[1]).toEqual({ kind: "image", url: "data:image/png;base64,iVBORw0KGgo=" });
    expect(r.messages[2]!.content).toEqual([
      { kind: "reasoning", text: "hmm", extra: { signature: "sig" } },
      { kind: "tool_call", id: "tu_1", name: "look", arguments: '{"q":"x"}' },
    ]);
    expect(r.messages[3]!.content).toEqual([{ kind: "tool_result", toolCallId: "tu_1", content: [{ kind: "text", text: "42" }], extra: { is_error: false } }]);
    expect(r.tools[0]).toMatchObject({ name: "look", description: "looks", extra: cache });
    expect(r.toolChoice).toEqual({ kind: "required" });
    expect(r.parallelToolCalls).toBe(false);
    expect(r.output).toEqual({ maxTokens: 300, stop: ["END"] });
    expect(r.passthrough.fields).toEqual({ top_k: 5 });
  });

  it("encodes back to the body it decoded", () => {
    expect(encodeMessages(decodeMessages(rich))).toEqual(rich);
  });

  it("gives a chat upstream what it can honour: hints that change no answer are left out, the rest refused by name", () => {
    const { top_k: _k, thinking: _t, ...portable } = rich;
    const chat = openaiChatRequest(decodeMessages(portable));
    for (const hint of ["cache_control", "signature", "is_error"]) expect(JSON.stringify(chat)).not.toContain(hint);
    expect(chat.messages.map((m) => m.role)).toEqual(["system", "user", "assistant", "tool", "user"]);
    expect(chat.messages[1]!.content).toContainEqual({ type: "file", file: { file_data: "data:application/pdf;base64,JVBERi0=", filename: "a.pdf" } });
    expect(chat).toMatchObject({ max_completion_tokens: 300, user: "u-7", stop: ["END"], tool_choice: "required", parallel_tool_calls: false });
    expect(() => openaiChatRequest(decodeMessages({ ...portable, top_k: 5 }))).toThrow(/`top_k`/);
    expect(() => openaiChatRequest(decodeMessages({ ...portable, thinking: rich.thinking }))).toThrow(/`thinking`/);
    expect(() => openaiChatRequest(decodeMessages({ ...portable, tools: [{ type: "web_search_20250305", name: "web_search" }] }))).toThrow(/`type` on tool `web_search`/);
  });

  it("refuses a malformed body with the field at fault", () => {
    const bad = (b: unknown) => {
      try {
        decodeMessages(b);
      } catch (e) {
        return e instanceof CodecError ? e.param : "not a codec error";
      }
      return "accepted";
    };
    expect(bad({ model: "m", messages: [{ role: "user", content: "hi" }] })).toBe("max_tokens");
    expect(bad({ model: "m", max_tokens: 5, messages: [{ role: "system", content: "hi" }] })).toBe("messages[0].role");
    expect(bad({ model: "m", max_tokens: 5, messages: [{ role: "user", content: [{ type: "image", source: { type: "file" } }] }] })).toBe("messages[0].content[0].source.type");
    expect(bad({ model: "m", max_tokens: 5, messages: [{ role: "user", content: "x" }], tool_choice: { type: "sometimes" } })).toBe("tool_choice.type");
  });

  it("round-trips every body the API accepts (encode ∘ decode = id on the wire, decode ∘ encode = id on the model)", () => {
    const text = fc.record({ type: fc.constant("text"), text: fc.string() }, { requiredKeys: ["type", "text"] });
    const textC = fc.oneof(text, fc.record({ type: fc.constant("text"), text: fc.string(), cache_control: fc.constant({ type: "ephemeral" }) }));
    const image = fc.record({ type: fc.constant("image"), source: fc.oneof(fc.record({ type: fc.constant("base64"), media_type: fc.constantFrom("image/png", "image/jpeg"), data: fc.base64String({ minLength: 4 }) }), fc.record({ type: fc.constant("url"), url: fc.webUrl() })) });
    const json = fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }), fc.oneof(fc.string(), fc.integer(), fc.boolean()), { maxKeys: 3 });
    const toolUse = fc.record({ type: fc.constant("tool_use"), id: fc.string({ minLength: 1 }), name: fc.string({ minLength: 1 }), input: json });
    const toolResult = fc.record({ type: fc.constant("tool_result"), tool_use_id: fc.string({ minLength: 1 }), content: fc.oneof(fc.string(), fc.array(text, { minLength: 1, maxLength: 2 })) });
    const thinking = fc.record({ type: fc.constant("thinking"), thinking: fc.string(), signature: fc.string() });
    const user = fc.record({
      role: fc.constant("user"),
      content: fc.oneof(fc.string(), fc.tuple(fc.array(toolResult, { maxLength: 2 }), fc.array(fc.oneof(textC, image), { minLength: 1, maxLength: 3 })).map(([r, o]) => [...r, ...o])),
    });
    const assistant = fc.record({ role: fc.constant("assistant"), content: fc.oneof(fc.string(), fc.array(fc.oneof(text, toolUse, thinking), { minLength: 1, maxLength: 3 })) });
    const turns = fc.array(fc.tuple(user, assistant), { minLength: 1, maxLength: 3 }).map((ts) => ts.flat());
    const body = fc.record(
      {
        model: fc.string({ minLength: 1 }),
        max_tokens: fc.integer({ min: 1, max: 100_000 }),
        messages: turns,
        system: fc.oneof(fc.string(), fc.array(textC, { minLength: 1, maxLength: 2 })),
        stop_sequences: fc.array(fc.string(), { maxLength: 2 }),
        temperature: fc.double({ min: 0, max: 1, noNaN: true }),
        top_p: fc.double({ min: 0, max: 1, noNaN: true }),
        top_k: fc.integer({ min: 1, max: 50 }),
        stream: fc.constant(true),
        tools: fc.array(fc.record({ name: fc.string({ minLength: 1 }), description: fc.string(), input_schema: fc.constant({ type: "object" }) }), { maxLength: 2 }),
        tool_choice: fc.oneof(fc.record({ type: fc.constantFrom("auto", "any"), disable_parallel_tool_use: fc.boolean() }), fc.record({ type: fc.constant("tool"), name: fc.string() }), fc.constant({ type: "none" })),
        metadata: fc.record({ user_id: fc.string() }),
        thinking: fc.record({ type: fc.constant("enabled"), budget_tokens: fc.integer({ min: 1024, max: 10_000 }) }),
      },
      { requiredKeys: ["model", "max_tokens", "messages"] },
    );
    fc.assert(
      fc.property(body, (b) => {
        const wire = JSON.parse(JSON.stringify(b)) as Record<string, unknown>;
        const model = decodeMessages(wire);
        expect(encodeMessages(model)).toEqual(wire);
        expect(decodeMessages(encodeMessages(model))).toEqual(model);
      }),
      { numRuns: 300 },
    );
  });
});

describe("the Messages reply", () => {
  it("writes a completion as a message with text and tool_use blocks", () => {
    const m = messagesReply({
      id: "chatcmpl-1",
      object: "chat.completion",
      created: 1,
      model: "gpt-4o",
      choices: [{ index: 0, message: { role: "assistant", content: "hi", tool_calls: [{ id: "c1", type: "function", function: { name: "look", arguments: '{"q":1}' } }] }, finish_reason: "tool_calls" }],
      usage: { prompt_tokens: 10, completion_tokens: 3, total_tokens: 13, prompt_tokens_details: { cached_tokens: 4 } },
    });
    expect(m).toEqual({
      id: "chatcmpl-1",
      type: "message",
      role: "assistant",
      model: "gpt-4o",
      content: [{ type: "text", text: "hi" }, { type: "tool_use", id: "c1", name: "look", input: { q: 1 } }],
      stop_reason: "tool_use",
      stop_sequence: null,
      usage: { input_tokens: 6, output_tokens: 3, cache_read_input_tokens: 4 },
    });
  });

  it("writes chunks as Anthropic's event sequence", () => {
    const base = { id: "x", object: "chat.completion.chunk" as const, created: 1, model: "m" };
    const chunks: ChatCompletionChunk[] = [
      { ...base, choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }] },
      { ...base, choices: [{ index: 0, delta: { content: "he" }, finish_reason: null }] },
      { ...base, choices: [{ index: 0, delta: { content: "y" }, finish_reason: null }] },
      { ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: "c1", type: "function", function: { name: "look", arguments: "" } }] }, finish_reason: null }] },
      { ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{"q":' } }] }, finish_reason: null }] },
      { ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: "1}" } }] }, finish_reason: null }] },
      { ...base, choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" }] },
      { ...base, choices: [], usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 } },
    ];
    const enc = new MessagesStreamEncoder();
    const text = chunks.map((c) => enc.chunk(c)).join("") + enc.end();
    const events = text.trim().split("\n\n").map((e) => JSON.parse(e.split("\n")[1]!.slice(6)) as Record<string, unknown>);
    expect(events.map((e) => e["type"])).toEqual([
      "message_start",
      "ping",
      "content_block_start",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "content_block_start",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    expect(events[6]).toMatchObject({ index: 1, content_block: { type: "tool_use", id: "c1", name: "look", input: {} } });
    expect(events[8]).toMatchObject({ index: 1, delta: { type: "input_json_delta", partial_json: "1}" } });
    expect(events[10]).toEqual({ type: "message_delta", delta: { stop_reason: "tool_use", stop_sequence: null }, usage: { input_tokens: 5, output_tokens: 2 } });
  });
});
