/**
 * The pure halves of the Google wire: replies an upstream gets wrong are
 * translation errors (a protocol error, a 502), never a crash; streamed
 * candidates keep their own indexes; schemas nest boundedly.
 */
import { describe, expect, it } from "vitest";
import { TranslationError } from "../../runtime/providers/anthropic-translate.js";
import { toGeminiSchema } from "../../runtime/providers/gemini-schema.js";
import { fromGeminiResponse, GeminiStreamTranslator } from "../../runtime/providers/gemini-translate.js";

const names = { createdSec: 1, model: "gemini-2.5-flash", fallbackId: "req-1" };

describe("fromGeminiResponse", () => {
  it.each([
    ["null", null],
    ["a list", []],
    ["parts not a list", { candidates: [{ content: { parts: 5 } }] }],
    ["a null candidate", { candidates: [null] }],
    ["a part that is a string", { candidates: [{ content: { parts: ["hi"] } }] }],
    ["a function call without a name", { candidates: [{ content: { parts: [{ functionCall: { args: {} } }] } }] }],
    ["args that are a string", { candidates: [{ content: { parts: [{ functionCall: { name: "f", args: "x" } }] } }] }],
    ["a finish reason that is a number", { candidates: [{ finishReason: 1 }] }],
    ["a token count that is text", { candidates: [], usageMetadata: { promptTokenCount: "9" } }],
    ["no candidates and no block reason", { candidates: [] }],
  ])("refuses %s as a TranslationError", (_name, reply) => {
    expect(() => fromGeminiResponse(reply, names)).toThrow(TranslationError);
  });

  it("makes up distinct, stable tool-call ids from the response id", () => {
    const reply = { responseId: "r9", candidates: [{ content: { parts: [{ functionCall: { name: "a" } }, { functionCall: { name: "b", args: { x: 1 } } }] }, finishReason: "STOP" }] };
    const calls = fromGeminiResponse(reply, names).choices[0]!.message.tool_calls!;
    expect(calls.map((c) => c.id)).toEqual(["call_aigw_r9_0_0", "call_aigw_r9_0_1"]);
    expect(fromGeminiResponse(reply, names).choices[0]!.message.tool_calls!.map((c) => c.id)).toEqual(calls.map((c) => c.id));
    expect(calls[1]!.function.arguments).toBe('{"x":1}');
  });
});

describe("GeminiStreamTranslator", () => {
  it("keeps each candidate's role, content, tool-call indexes and finish apart", () => {
    const t = new GeminiStreamTranslator(names);
    const out = [
      ...t.push({ responseId: "s", candidates: [{ index: 0, content: { parts: [{ text: "a" }] } }, { index: 1, content: { parts: [{ functionCall: { name: "f" } }] } }] }),
      ...t.push({ responseId: "s", candidates: [{ index: 1, content: { parts: [{ functionCall: { name: "g" } }] }, finishReason: "STOP" }, { index: 0, content: { parts: [{ text: "b" }] }, finishReason: "MAX_TOKENS" }], usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 4 } }),
      ...t.end(),
    ];
    const of = (i: number) => out.filter((c) => c.choices[0]?.index === i).map((c) => c.choices[0]!);
    expect(of(0).map((c) => c.delta.content ?? "").join("")).toBe("ab");
    expect(of(0)[0]!.delta.role).toBe("assistant");
    expect(of(1)[0]!.delta.role).toBe("assistant");
    expect(of(1).flatMap((c) => c.delta.tool_calls ?? []).map((c) => [c.index, c.id])).toEqual([
      [0, "call_aigw_s_1_0"],
      [1, "call_aigw_s_1_1"],
    ]);
    expect(of(0).at(-1)!.finish_reason).toBe("length");
    expect(of(1).at(-1)!.finish_reason).toBe("tool_calls");
    expect(out.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 4 } });
    expect(t.done).toBe(true);
  });

  it("is not done until a finish reason arrives", () => {
    const t = new GeminiStreamTranslator(names);
    t.push({ candidates: [{ content: { parts: [{ text: "a" }] } }] });
    expect(t.done).toBe(false);
  });
});

describe("toGeminiSchema", () => {
  it("refuses a schema nested deeper than 64 levels instead of recursing without bound", () => {
    let schema: Record<string, unknown> = { type: "string" };
    for (let i = 0; i < 10_000; i++) schema = { type: "array", items: schema };
    expect(() => toGeminiSchema(schema, "`s`")).toThrow(/nests deeper than 64 levels/);
  });

  it("refuses a union of two non-null types and non-string enums", () => {
    expect(() => toGeminiSchema({ type: ["string", "number"] }, "`s`")).toThrow(/one JSON type/);
    expect(() => toGeminiSchema({ type: "integer", enum: [1, 2] }, "`s`")).toThrow(/strings only/);
  });
});
