/**
 * The embeddings codec: every input shape OpenAI accepts decodes into the
 * canonical request (strings as messages the guardrails and budgets read)
 * and encodes back to the same body; base64 vectors are float32 LE.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CodecError, decodeEmbeddings, encodeEmbeddings, vectorFromBase64, vectorToBase64 } from "../../runtime/request/index.js";

describe("the embeddings codec", () => {
  it("decodes strings as messages and token arrays as tokens", () => {
    const r = decodeEmbeddings({ model: "e", input: ["a", "b"], dimensions: 8, encoding_format: "base64", user: "u" });
    expect(r).toMatchObject({ operation: "embeddings", api: "openai.embeddings", user: "u", output: { maxTokens: 0 }, embedding: { single: false, dimensions: 8, encodingFormat: "base64" } });
    expect(r.messages.map((m) => m.content)).toEqual([[{ kind: "text", text: "a" }], [{ kind: "text", text: "b" }]]);
    expect(decodeEmbeddings({ model: "e", input: [1, 2, 3] }).embedding).toEqual({ single: true, tokens: [[1, 2, 3]] });
  });

  it("refuses a malformed input by name", () => {
    const param = (b: Record<string, unknown>) => {
      try {
        decodeEmbeddings({ model: "e", ...b });
      } catch (e) {
        return e instanceof CodecError ? e.param : "not a codec error";
      }
      return "accepted";
    };
    expect(param({ input: [] })).toBe("input");
    expect(param({ input: [[1], ["x"]] })).toBe("input[1]");
    expect(param({ input: "x", encoding_format: "int8" })).toBe("encoding_format");
    expect(param({ input: "x", dimensions: 0 })).toBe("dimensions");
  });

  it("round-trips every body it accepts", () => {
    const input = fc.oneof(fc.string(), fc.array(fc.string(), { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { minLength: 1, maxLength: 5 }), fc.array(fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 3 }));
    const body = fc.record({ model: fc.string({ minLength: 1 }), input, dimensions: fc.integer({ min: 1, max: 4096 }), encoding_format: fc.constantFrom("float", "base64"), user: fc.string() }, { requiredKeys: ["model", "input"] });
    fc.assert(
      fc.property(body, (b) => {
        const model = decodeEmbeddings(b);
        expect(encodeEmbeddings(model)).toEqual(b);
        expect(decodeEmbeddings(encodeEmbeddings(model))).toEqual(model);
      }),
      { numRuns: 300 },
    );
  });

  it("writes base64 vectors as OpenAI does (float32, little-endian)", () => {
    expect(vectorToBase64([1, -2])).toBe(Buffer.from(new Float32Array([1, -2]).buffer).toString("base64"));
    fc.assert(fc.property(fc.array(fc.float({ noNaN: true }), { maxLength: 16 }), (v) => {
        expect(vectorFromBase64(vectorToBase64(v))).toEqual(v.map((x) => Math.fround(x)));
      }),
    );
  });
});
