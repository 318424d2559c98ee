/**
 * jsonBytes measures what JSON.stringify would write, byte for byte, for
 * any JSON value: the budget's bound depends on it being exact (never
 * below the serialised size).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jsonBytes } from "../../runtime/request/json-bytes.js";

const bytes = (v: unknown): number => Buffer.byteLength(JSON.stringify(v));

/** Strings with every character class JSON treats specially: controls, quotes, backslashes, DEL, multi-byte, astral, lone surrogates. */
const nasty = fc.oneof(
  fc.string({ unit: "binary" }),
  fc.string({ unit: fc.constantFrom("\u0000", "\b", "\t", "\n", "\f", "\r", "\u001f", '"', "\\", "\u007f", "é", "€", "😀", "\ud800", "\udfff", "a") }),
);

describe("jsonBytes", () => {
  it("equals the UTF-8 length of JSON.stringify for any JSON value", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => {
        expect(jsonBytes(v)).toBe(bytes(v));
      }),
      { numRuns: 2000 },
    );
  });

  it("counts escapes, multi-byte characters and lone surrogates as JSON.stringify writes them", () => {
    fc.assert(
      fc.property(nasty, fc.dictionary(nasty, nasty, { maxKeys: 4 }), (s, o) => {
        expect(jsonBytes(s)).toBe(bytes(s));
        expect(jsonBytes(o)).toBe(bytes(o));
        expect(jsonBytes([s, o])).toBe(bytes([s, o]));
      }),
      { numRuns: 2000 },
    );
  });

  it("skips undefined members, writes null for undefined elements and non-finite numbers", () => {
    const v = { a: undefined, b: [undefined, NaN, -Infinity, -0, 1e21, 5e-7], c: { d: undefined } };
    expect(jsonBytes(v)).toBe(bytes(v));
    expect(jsonBytes({})).toBe(2);
    expect(jsonBytes([])).toBe(2);
  });
});
