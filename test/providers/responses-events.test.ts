/**
 * What the gateway reads of a Responses reply passed through
 * (runtime/providers/responses-translate.ts, responses-events.ts): the
 * text, the tool calls, the finish reason and the usage of a Response and
 * of its event stream, written by the fake upstream's independent Responses
 * wire (test/support/responses-wire.ts); failures as errors.
 */
import { describe, expect, it } from "vitest";
import { ResponsesStreamError, ResponsesStreamTranslator } from "../../runtime/providers/responses-events.js";
import { fromResponsesReply } from "../../runtime/providers/responses-translate.js";
import type { ChatCompletionChunk } from "../../runtime/request/openai-wire.js";
import { TranslationError } from "../../runtime/providers/anthropic-translate.js";
import { responsesEvents, responsesJson, type ResponsesReply } from "../support/responses-wire.js";

const pieces = (t: string) => (t.length < 3 ? [t] : [t.slice(0, 2), t.slice(2)]);
const reply = (r: Partial<ResponsesReply>): ResponsesReply => ({ id: 1, text: "hello", toolCalls: [], usage: { prompt: 12, completion: 5 }, finish: "stop", model: "gpt-5", ...r });

/** The chunks of a whole stream, and the translator after it. */
function translate(events: string[]): { chunks: ChatCompletionChunk[]; t: ResponsesStreamTranslator } {
  const t = new ResponsesStreamTranslator(0, "asked");
  const chunks = events.flatMap((e) => t.push(JSON.parse(/^data: (.*)$/m.exec(e)![1]!) as Record<string, unknown>));
  return { chunks, t };
}

describe("a Response read as a chat completion", () => {
  it("keeps the text, the usage (with its details) and the model", () => {
    const c = fromResponsesReply(responsesJson(reply({})));
    expect(c.choices[0]).toMatchObject({ message: { role: "assistant", content: "hello" }, finish_reason: "stop" });
    expect(c.usage).toEqual({ prompt_tokens: 12, completion_tokens: 5, total_tokens: 17, prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } });
    expect(c.model).toBe("gpt-5");
  });

  it("makes each function_call item a tool call, finishing with tool_calls", () => {
    const c = fromResponsesReply(responsesJson(reply({ text: "", toolCalls: [{ id: "call_a", name: "f", arguments: { x: 1 } }], finish: "tool_calls" })));
    expect(c.choices[0]).toMatchObject({ message: { content: null, tool_calls: [{ id: "call_a", type: "function", function: { name: "f", arguments: '{"x":1}' } }] }, finish_reason: "tool_calls" });
  });

  it("reads an incomplete Response as a length finish", () => {
    expect(fromResponsesReply(responsesJson(reply({ finish: "length" }))).choices[0]!.finish_reason).toBe("length");
  });

  it("refuses what is not a Response", () => {
    expect(() => fromResponsesReply({ choices: [] })).toThrow(TranslationError);
  });
});

describe("a Responses event stream read as chat chunks", () => {
  it("gives a role chunk, the text deltas, a finish chunk and the usage of response.completed", () => {
    const { chunks, t } = translate(responsesEvents(reply({}), pieces));
    expect(chunks[0]!.choices[0]!.delta).toEqual({ role: "assistant", content: "" });
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe("hello");
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe("stop");
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 12, completion_tokens: 5 } });
    expect(t.done).toBe(true);
    expect(chunks.every((c) => c.id === "resp_fake_1" && c.model === "gpt-5")).toBe(true);
  });

  it("gives tool-call deltas indexed per call, whatever their output index", () => {
    const calls = [
      { id: "call_a", name: "f", arguments: { x: 1 } },
      { id: "call_b", name: "g", arguments: { y: "two" } },
    ];
    const { chunks } = translate(responsesEvents(reply({ text: "note", toolCalls: calls, finish: "tool_calls" }), pieces));
    const deltas = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    for (const [i, call] of calls.entries()) {
      const mine = deltas.filter((d) => d.index === i);
      expect(mine[0]).toMatchObject({ id: call.id, function: { name: call.name } });
      expect(mine.map((d) => d.function?.arguments ?? "").join("")).toBe(JSON.stringify(call.arguments));
    }
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe("tool_calls");
  });

  it("is not done before its last event, and has no usage", () => {
    const events = responsesEvents(reply({}), pieces);
    const { t } = translate(events.slice(0, -1));
    expect(t.done).toBe(false);
    expect(t.usage).toBeUndefined();
  });

  it("throws the code and message of response.failed and of an error event", () => {
    const t = new ResponsesStreamTranslator(0, "m");
    expect(() => t.push({ type: "response.failed", response: { error: { code: "server_error", message: "overloaded" } } })).toThrow(new ResponsesStreamError("server_error", "overloaded"));
    expect(() => t.push({ type: "error", code: "rate_limit_exceeded", message: "slow down" })).toThrow(expect.objectContaining({ errorCode: "rate_limit_exceeded", message: "slow down" }));
  });
});
