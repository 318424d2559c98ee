/**
 * Offsets to lines and columns. Tokens and CST nodes carry only offsets
 * (cheaper to lex and parse: fewer fields on hundreds of thousands of
 * objects); spans get their lines and columns here, by binary search over
 * the line starts.
 */
import type { IToken } from "chevrotain";
import type { Span } from "./span.js";

export class LineMap {
  private starts: number[] | undefined;

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
    const starts = this.lineStarts();
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - starts[lo]! + 1 };
  }

  /** The span from `offset` up to `endOffset` (exclusive). */
  span(offset: number, endOffset: number): Span {
    const start = this.position(offset);
    const end = endOffset === offset ? start : this.position(endOffset);
    return { file: this.file, line: start.line, column: start.column, endLine: end.line, endColumn: end.column, offset, endOffset };
  }

  /** The span of a token; never past the end of the text (an unterminated string's image gains a closing quote). */
  tokenSpan(token: IToken): Span {
    return this.span(token.startOffset, Math.min(this.text.length, token.startOffset + token.image.length));
  }

  /** A zero-width span at the end of the text, for things the parser had to invent. */
  end(): Span {
    return this.span(this.text.length, this.text.length);
  }
}
