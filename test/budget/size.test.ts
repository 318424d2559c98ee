/**
 * requestSize measures a redacted request from its original (the caller's
 * body with each replaced text's JSON string measured anew) instead of
 * encoding the copy: for a body already in the encoder's form, that is
 * exactly the size the copy's own encoding has, whatever the texts hold
 * (escapes, multi-byte characters, lone surrogates); anything but a text
 * change is measured on the copy itself.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { requestSize } from "../../runtime/budget/cost.js";
import { parseChatRequest } from "../../runtime/pipeline/validate.js";
import { decodeChat, encodeChat, mapRequestTexts, requestTexts, withRequestTexts, type CanonicalRequest } from "../../runtime/request/index.js";

const text = fc.oneof(fc.string({ unit: "binary", maxLength: 200 }), fc.string({ unit: fc.constantFrom("a", '"', "\\", "\n", "\u0001", "é", "😀", "\ud800", "@"), maxLength: 60 }));
const message = fc.oneof(
  fc.record({ role: fc.constantFrom("system", "user"), content: fc.oneof(text, fc.array(text.map((t) => ({ type: "text", text: t })), { minLength: 1, maxLength: 3 })) }),
  fc.record({ role: fc.constant("assistant"), content: fc.array(fc.oneof(text.map((t) => ({ type: "text", text: t })), text.map((t) => ({ type: "refusal", refusal: t }))), { minLength: 1, maxLength: 2 }) }),
  fc.record({ role: fc.constant("assistant"), content: fc.constant(null), tool_calls: fc.constant([{ id: "c", type: "function", function: { name: "f", arguments: '{"q":"x@y.z"}' } }]) }),
);
const body = fc.record({ model: fc.constant("chat"), messages: fc.array(message, { minLength: 1, maxLength: 4 }), max_tokens: fc.integer({ min: 1, max: 100 }) });

/** The request decoded from `b` re-encoded, decoded again: a caller's body already in the encoder's form. */
function canonical(b: unknown): CanonicalRequest {
  const first = decodeChat(parseChatRequest(Buffer.from(JSON.stringify(b))));
  return decodeChat(parseChatRequest(Buffer.from(JSON.stringify(encodeChat(first)))));
}

describe("requestSize of a redacted request", () => {
  it("equals the size of the copy's own encoding when only texts changed", () => {
    fc.assert(
      fc.property(body, fc.array(fc.option(text, { nil: undefined })), (b, replacements) => {
        const original = canonical(b);
        const texts = requestTexts(original).map((t, i) => replacements[i] ?? t);
        const sent = withRequestTexts(original, texts);
        // A fresh copy of the same request, not derived from `original`: measured by encoding it.
        const alone = mapRequestTexts(sent, (t) => t);
        expect(requestSize(sent, original)).toEqual(requestSize({ ...alone }));
      }),
      { numRuns: 1000 },
    );
  });

  it("equals it too for a request not decoded from the chat wire (measured from the original plus each text's change)", () => {
    fc.assert(
      fc.property(body, fc.array(fc.option(text, { nil: undefined })), (b, replacements) => {
        // A spread copy has no caller's body behind it, as another inbound API's request has none in the chat wire.
        const original: CanonicalRequest = { ...canonical(b) };
        const texts = requestTexts(original).map((t, i) => replacements[i] ?? t);
        const sent = withRequestTexts(original, texts);
        const alone = mapRequestTexts(sent, (t) => t);
        expect(requestSize(sent, original)).toEqual(requestSize({ ...alone }));
      }),
      { numRuns: 500 },
    );
  });

  it("measures the copy itself when a tool call's arguments changed", () => {
    const original = canonical({ model: "chat", messages: [{ role: "assistant", content: null, tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: '{ "q" : 1e20, "e": "jane@example.com" }' } }] }] });
    const sent = mapRequestTexts(original, (t) => t.replace("jane@example.com", "[EMAIL]"));
    expect(sent).not.toBe(original);
    expect(requestSize(sent, original)).toEqual(requestSize({ ...sent }));
  });
});
