/**
 * Offsets to lines and columns: the line map remembers the last line it
 * found, so it must answer the same however the offsets it is asked about
 * jump around.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LineMap } from "../../lang/line-map.js";

/** Line and column by counting newlines from the start: slow and obviously right. */
function naive(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < Math.min(offset, text.length); i++) {
    if (text[i] === "\n") {
      line++;
      start = i + 1;
    }
  }
  return { line, column: offset - start + 1 };
}

describe("LineMap", () => {
  it("gives every span the lines and columns of its offsets, in any order of asking", () => {
    const arbText = fc.array(fc.constantFrom("a", "bc", " ", "\n", "\r\n", "\n\n"), { maxLength: 60 }).map((parts) => parts.join(""));
    fc.assert(
      fc.property(
        arbText.chain((text) =>
          fc.tuple(fc.constant(text), fc.array(fc.tuple(fc.nat(text.length), fc.nat(text.length)), { minLength: 1, maxLength: 30 })),
        ),
        ([text, pairs]) => {
          const map = new LineMap("f.route", text);
          for (const [a, b] of pairs) {
            const [offset, endOffset] = a <= b ? [a, b] : [b, a];
            const start = naive(text, offset);
            const end = naive(text, endOffset);
            expect(map.span(offset, endOffset)).toEqual({ file: "f.route", line: start.line, column: start.column, endLine: end.line, endColumn: end.column, offset, endOffset });
            expect(map.position(endOffset)).toEqual(end);
          }
        },
      ),
    );
  });
});
