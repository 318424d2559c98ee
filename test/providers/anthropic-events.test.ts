import { describe, expect, it } from "vitest";
import { AnthropicStreamError, AnthropicStreamTranslator } from "../../runtime/providers/anthropic-events.js";
import { TranslationError } from "../../runtime/providers/anthropic-translate.js";
import type { AnthropicStreamEvent } from "../../runtime/providers/anthropic-wire.js";
import type { ChatCompletionChunk } from "../../runtime/request/openai-wire.js";

const start: AnthropicStreamEvent = {
  type: "message_start",
  message: {
    id: "msg_1",
    type: "message",
    role: "assistant",
    model: "claude-x",
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: { input_tokens: 25, output_tokens: 1, cache_read_input_tokens: 5 },
  },
};

function run(events: AnthropicStreamEvent[]): { chunks: ChatCompletionChunk[]; t: AnthropicStreamTranslator } {
  const t = new AnthropicStreamTranslator(1_700_000_000, "fallback-model");
  return { chunks: events.flatMap((e) => t.push(e)), t };
}

describe("Anthropic stream → OpenAI chunks", () => {
  it("translates a text reply with its finish and usage chunks", () => {
    const { chunks, t } = run([
      start,
      { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
      { type: "ping" },
      { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Hel" } },
      { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "lo" } },
      { type: "content_block_stop", index: 0 },
      { type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: 15 } },
      { type: "message_stop" },
    ]);
    expect(chunks.map((c) => [c.choices[0]?.delta, c.choices[0]?.finish_reason ?? null])).toEqual([
      [{ role: "assistant", content: "" }, null],
      [{ content: "Hel" }, null],
      [{ content: "lo" }, null],
      [{}, "stop"],
      [undefined, null],
    ]);
    for (const c of chunks) expect(c).toMatchObject({ id: "msg_1", object: "chat.completion.chunk", created: 1_700_000_000, model: "claude-x" });
    expect(chunks[4]!.choices).toEqual([]);
    expect(chunks[4]!.usage).toEqual({ prompt_tokens: 30, completion_tokens: 15, total_tokens: 45, prompt_tokens_details: { cached_tokens: 5 } });
    expect(t.done).toBe(true);
  });

  it("numbers tool calls by tool, not by content block, and streams their arguments", () => {
    const { chunks } = run([
      start,
      { type: "content_block_start", index: 0, content_block: { type: "text", text: "ok" } },
      { type: "content_block_stop", index: 0 },
      { type: "content_block_start", index: 1, content_block: { type: "tool_use", id: "toolu_a", name: "weather", input: {} } },
      { type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: "" } },
      { type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: "{\"city\":" } },
      { type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: "\"Paris\"}" } },
      { type: "content_block_stop", index: 1 },
      { type: "content_block_start", index: 2, content_block: { type: "tool_use", id: "toolu_b", name: "time", input: {} } },
      { type: "content_block_delta", index: 2, delta: { type: "input_json_delta", partial_json: "{}" } },
      { type: "message_delta", delta: { stop_reason: "tool_use" }, usage: { output_tokens: 40 } },
      { type: "message_stop" },
    ]);
    const deltas = chunks.map((c) => c.choices[0]?.delta);
    expect(deltas.slice(1, 6)).toEqual([
      { content: "ok" },
      { tool_calls: [{ index: 0, id: "toolu_a", type: "function", function: { name: "weather", arguments: "" } }] },
      { tool_calls: [{ index: 0, function: { arguments: "{\"city\":" } }] },
      { tool_calls: [{ index: 0, function: { arguments: "\"Paris\"}" } }] },
      { tool_calls: [{ index: 1, id: "toolu_b", type: "function", function: { name: "time", arguments: "" } }] },
    ]);
    expect(chunks[7]!.choices[0]!.finish_reason).toBe("tool_calls");
  });

  it("throws a typed error for an error event, with the status Anthropic uses", () => {
    const t = new AnthropicStreamTranslator(0, "m");
    t.push(start);
    try {
      t.push({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(AnthropicStreamError);
      expect((err as AnthropicStreamError).status).toBe(529);
    }
  });

  it("rejects content before message_start and deltas for unknown tool blocks", () => {
    expect(() => run([{ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "x" } }])).toThrow(TranslationError);
    expect(() => run([start, { type: "content_block_delta", index: 3, delta: { type: "input_json_delta", partial_json: "{" } }])).toThrow(TranslationError);
  });

  it("ignores thinking blocks and unknown event types", () => {
    const { chunks } = run([
      start,
      { type: "content_block_start", index: 0, content_block: { type: "thinking", thinking: "" } },
      { type: "content_block_delta", index: 0, delta: { type: "thinking_delta" } },
      { type: "future_event" } as unknown as AnthropicStreamEvent,
    ]);
    expect(chunks).toHaveLength(1);
  });
});
