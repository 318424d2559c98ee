/**
 * Offsets to lines and columns. Tokens and CST nodes carry only offsets
 * (cheaper to lex and parse: fewer fields on hundreds of thousands of
 * objects); spans get their lines and columns here, from the line starts:
 * the line last found or the next one, else a binary search.
 */
import type { IToken } from "chevrotain";
import type { Span } from "./span.js";

export class LineMap {
  private starts: number[] | undefined;
  /** The line of the last offset looked up (see `lineIndex`). */
  private hint = 0;

  constructor(
    readonly file: string,
    readonly text: string,
  ) {}

  private lineStarts(): number[] {
    if (this.starts) return this.starts;
    const starts = [0];
    const text = this.text;
    for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
    this.starts = starts;
    return starts;
  }

  /** 1-based line and column of `offset`. */
  position(offset: number): { line: number; column: number } {
    const line = this.lineIndex(offset);
    return { line: line + 1, column: offset - this.lineStarts()[line]! + 1 };
  }

  /**
   * The 0-based line of `offset`. The AST builder asks in source order, so
   * the line last found (or the next one) is usually the answer; otherwise a
   * binary search over the line starts.
   */
  private lineIndex(offset: number): number {
    const starts = this.lineStarts();
    const hint = this.hint;
    if (starts[hint]! <= offset) {
      const next = starts[hint + 1];
      if (next === undefined || offset < next) return hint;
      const after = starts[hint + 2];
      if (after === undefined || offset < after) return (this.hint = hint + 1);
    }
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    this.hint = lo;
    return lo;
  }

  /** The span from `offset` up to `endOffset` (exclusive). */
  span(offset: number, endOffset: number): Span {
    const starts = this.lineStarts();
    const line = this.lineIndex(offset);
    // most spans end on the line they start on: no second search
    const next = starts[line + 1];
    const endLine = endOffset === offset || (endOffset >= offset && (next === undefined || endOffset < next)) ? line : this.lineIndex(endOffset);
    return {
      file: this.file,
      line: line + 1,
      column: offset - starts[line]! + 1,
      endLine: endLine + 1,
      endColumn: endOffset - starts[endLine]! + 1,
      offset,
      endOffset,
    };
  }

  /**
   * The span of a token as written: from its offsets, not its image, which
   * a repair may have rewritten (`=` read as `==`, an unterminated string's
   * image given its closing quote). Never past the end of the text.
   */
  tokenSpan(token: IToken): Span {
    const end = token.endOffset === undefined ? token.startOffset + token.image.length : token.endOffset + 1;
    return this.span(token.startOffset, Math.min(this.text.length, end));
  }

  /** A zero-width span at the end of the text, for things the parser had to invent. */
  end(): Span {
    return this.span(this.text.length, this.text.length);
  }
}
