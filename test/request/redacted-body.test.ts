/**
 * A redacted chat request is sent as the caller's body with only the
 * redacted texts replaced (request/chat.ts `patchedBody`): whatever the
 * message shapes and whichever texts change, that body decodes into exactly
 * the redacted request, keeps every other field and key order of the
 * caller's, and the budget's size of it (measured from the original plus
 * each replaced text) is its size.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { requestSize } from "../../runtime/budget/cost.js";
import { parseChatRequest } from "../../runtime/pipeline/validate.js";
import { decodeChat, encodeChat, requestTexts, withRequestTexts } from "../../runtime/request/index.js";

const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: fc.constantFrom("a", '"', "\\", "\n", "é", "😀", "@", "\u0001"), maxLength: 30 }));
const part = fc.oneof(
  text.map((t) => ({ type: "text", text: t })),
  fc.constant({ type: "image_url", image_url: { url: "https://example.com/a.png" } }),
);
const message = fc.oneof(
  fc.record({ role: fc.constantFrom("system", "user", "developer"), content: fc.oneof(text, fc.array(part, { minLength: 1, maxLength: 3 })) }, { requiredKeys: ["role", "content"] }),
  fc.record({ role: fc.constant("user"), name: fc.string({ minLength: 1, maxLength: 8 }), content: text }),
  fc.record({ role: fc.constant("assistant"), content: fc.oneof(text, fc.array(fc.oneof(text.map((t) => ({ type: "text", text: t })), text.map((t) => ({ type: "refusal", refusal: t }))), { minLength: 1, maxLength: 2 })), refusal: text, reasoning_content: text }, { requiredKeys: ["role", "content"] }),
  fc.record({ role: fc.constant("assistant"), content: fc.constant(null), tool_calls: text.map((t) => [{ id: "c", type: "function", function: { name: "f", arguments: JSON.stringify({ q: t }) } }]) }),
  fc.record({ role: fc.constant("tool"), tool_call_id: fc.constant("c"), content: text }),
);
const body = fc.record({ model: fc.constant("chat"), messages: fc.array(message, { minLength: 1, maxLength: 4 }), max_tokens: fc.integer({ min: 1, max: 100 }), temperature: fc.constant(0), seed: fc.nat() }, { requiredKeys: ["model", "messages"] });

describe("the body of a redacted chat request", () => {
  it("decodes into exactly the redacted request, and its size is what the budget measured", () => {
    fc.assert(
      fc.property(body, fc.array(fc.option(text, { nil: undefined })), (b, replacements) => {
        const original = decodeChat(parseChatRequest(Buffer.from(JSON.stringify(b))));
        const texts = requestTexts(original).map((t, i) => replacements[i] ?? t);
        const sent = withRequestTexts(original, texts);
        const wire = encodeChat(sent);
        const again = decodeChat(parseChatRequest(Buffer.from(JSON.stringify(wire))));
        expect(again.messages).toEqual(sent.messages);
        expect(requestTexts(again)).toEqual(requestTexts(sent));
        expect(requestSize(sent, original)).toEqual(requestSize(again));
      }),
      { numRuns: 1500 },
    );
  });

  it("is the caller's body, every field and key order kept, with only the redacted text replaced", () => {
    const caller = { seed: 7, model: "chat", messages: [{ content: "mail jane@example.com", role: "user" }], logit_bias: { "50256": -100 }, max_tokens: 5 };
    const original = decodeChat(parseChatRequest(Buffer.from(JSON.stringify(caller))));
    const sent = withRequestTexts(original, ["mail [EMAIL]"]);
    expect(JSON.stringify(encodeChat(sent))).toBe(JSON.stringify({ ...caller, messages: [{ content: "mail [EMAIL]", role: "user" }] }));
  });
});
