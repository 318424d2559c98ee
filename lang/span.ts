/**
 * Source positions. Every AST node carries a span; spans are kept out of
 * structural equality (see `stripSpans`) so `parse(format(x))` can be compared
 * with `x`.
 */

/** A range in one source file. Lines and columns are 1-based; `endColumn` is exclusive. */
export interface Span {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  /** 0-based character offsets into the file text; `endOffset` is exclusive. */
  offset: number;
  endOffset: number;
}

/** The span covering `a` through `b` (both in the same file). */
export function joinSpans(a: Span, b: Span): Span {
  return {
    file: a.file,
    line: a.line,
    column: a.column,
    endLine: b.endLine,
    endColumn: b.endColumn,
    offset: a.offset,
    endOffset: b.endOffset,
  };
}

/** A zero-width span at the start of a file, for diagnostics about a whole file. */
export function fileSpan(file: string): Span {
  return { file, line: 1, column: 1, endLine: 1, endColumn: 1, offset: 0, endOffset: 0 };
}

/** A deep copy of `value` with every `span` property removed, for comparing ASTs. */
export function stripSpans<T>(value: T): T {
  if (Array.isArray(value)) return value.map(stripSpans) as T;
  if (value && typeof value === "object" && !(value instanceof RegExp)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k !== "span") out[k] = stripSpans(v);
    }
    return out as T;
  }
  return value;
}
