/**
 * Puts formatted statements on lines and weaves the file's comments back in.
 *
 * The formatter first turns the AST into a tree of entries (format.ts): a
 * `line` is a statement printed on one line, a `block` is a head with a
 * `{ … }` body. This file lays that tree out and decides, from source spans,
 * where each comment goes:
 *
 * - a comment that starts on the line where an entry ends (and before the
 *   next entry) trails that entry: `to gpt-4o // cheapest`;
 * - any other comment leads the next entry, on its own line(s) above it; a
 *   comment inside a one-line statement (between `fallback a,` and `b`) is
 *   moved above that statement;
 * - comments after a block's last entry stay inside the block, above `}`;
 * - in a condition laid out one clause per line, a comment on a clause's
 *   last line trails that clause, and a comment on a line of its own or
 *   inside a clause leads the clause it precedes or is inside.
 *
 * Every comment is printed exactly once, as written. One-line entries are
 * kept as rows until the end, when runs of them are aligned into tables
 * (format-align.ts).
 */
import type { Comment } from "./ast.js";
import { alignRows, type Row } from "./format-align.js";
import type { Clause } from "./format-text.js";
import type { Span } from "./span.js";

/** One statement printed on one line, e.g. `timeout 30s`. */
export interface LineEntry {
  kind: "line";
  /** Groups top-level declarations: consecutive one-line entries of the same group may stay together. */
  group: string;
  text: string;
  span: Span;
}

/** A head with a braced body: `route chat { … }`. */
export interface BlockEntry {
  kind: "block";
  group: string;
  head: string;
  body: Entry[];
  /** May the body be written on the head's line? (Only if it also fits and holds no comment.) */
  inlinable: boolean;
  span: Span;
}

/**
 * A condition statement, `when a and b`: on one line when the source had it
 * on one line and it fits; otherwise one top-level clause per line.
 */
export interface ConditionEntry {
  kind: "condition";
  group: string;
  /** What comes before the condition: `when`, `block when`. */
  head: string;
  clauses: Clause[];
  span: Span;
}

export type Entry = LineEntry | BlockEntry | ConditionEntry;

/** Longest line an inline block or a one-line condition may make, indentation included. */
export const MAX_WIDTH = 100;
const INDENT = "  ";
/** Between the items of a block written on one line: `{ api mock  latency 20ms }`. */
const INLINE_SEPARATOR = "  ";

export class Layout {
  private readonly out: (string | Row)[] = [];
  private readonly comments: Comment[];
  private next = 0;

  constructor(comments: readonly Comment[]) {
    this.comments = [...comments].sort((a, b) => a.span.offset - b.span.offset);
  }

  /** Lays out a whole file: its declarations, then any comments after the last one. */
  file(declarations: readonly Entry[]): string {
    this.entries(declarations, 0, Infinity, true);
    while (this.out.length && this.out[this.out.length - 1] === "") this.out.pop();
    return this.out.length ? `${alignRows(this.out).join("\n")}\n` : "";
  }

  /**
   * Prints `entries` at `depth`, with the comments that come before `end`
   * (the offset of the enclosing block's closing brace, or the end of file).
   * Blank lines: at most one, where the source had one; at top level, one
   * between declarations unless both are one-liners of the same group that
   * the source kept together.
   */
  private entries(entries: readonly Entry[], depth: number, end: number, topLevel: boolean): void {
    const indent = INDENT.repeat(depth);
    let prevLine: number | undefined;
    let prevEntry: Entry | undefined;
    entries.forEach((entry, i) => {
      // comments inside a one-line entry cannot stay where they were: they move above it
      const leadEnd = entry.kind !== "block" && this.lineText(entry, depth) !== undefined ? entry.span.endOffset : entry.span.offset;
      const leading = this.take((c) => c.span.offset < leadEnd);
      const firstLine = Math.min(leading[0]?.span.line ?? Infinity, entry.span.line);
      if (prevLine !== undefined) {
        const sourceGap = firstLine - prevLine > 1;
        const together = prevEntry !== undefined && prevEntry.group === entry.group && this.isOneLine(prevEntry, depth) && this.isOneLine(entry, depth);
        if (sourceGap || (topLevel && !together)) this.out.push("");
      }
      // the blank line before the first comment, if any, is already decided
      const lastComment = this.commentLines(leading, indent, undefined);
      if (lastComment !== undefined && entry.span.line - lastComment > 1) this.out.push("");

      this.entry(entry, depth);
      const nextStart = entries[i + 1]?.span.offset ?? end;
      const trailing = this.take((c) => c.span.line === entry.span.endLine && c.span.offset >= entry.span.endOffset && c.span.offset < nextStart);
      this.trail(trailing);
      prevLine = trailing.length ? trailing[trailing.length - 1]!.span.endLine : entry.span.endLine;
      prevEntry = entry;
    });
    this.commentLines(
      this.take((c) => c.span.offset < end),
      indent,
      prevLine,
    );
  }

  /**
   * Prints comments on their own lines, keeping one blank line where the
   * source had blank lines between them (and before the first, if `prevLine`
   * is given). Returns the source line the last one ends on.
   */
  private commentLines(comments: readonly Comment[], indent: string, prevLine: number | undefined): number | undefined {
    let line = prevLine;
    for (const c of comments) {
      if (line !== undefined && c.span.line - line > 1) this.out.push("");
      this.out.push(indent + c.text);
      line = c.span.endLine;
    }
    return line;
  }

  /** Appends trailing comments to the last line printed. */
  private trail(comments: readonly Comment[]): void {
    if (!comments.length) return;
    const text = comments.map((c) => c.text).join(" ");
    const last = this.out[this.out.length - 1]!;
    if (typeof last === "string") this.out[this.out.length - 1] = `${last} ${text}`;
    else last.trailing = last.trailing === undefined ? text : `${last.trailing} ${text}`;
  }

  private entry(entry: Entry, depth: number): void {
    const indent = INDENT.repeat(depth);
    const text = this.lineText(entry, depth);
    if (text !== undefined) {
      this.out.push({ indent, text, group: entry.group });
    } else if (entry.kind === "condition") {
      this.conditionLines(entry, depth);
    } else if (entry.kind === "block") {
      this.out.push(`${indent}${entry.head} {`);
      this.entries(entry.body, depth + 1, entry.span.endOffset, false);
      this.out.push(`${indent}}`);
    }
  }

  /**
   * A condition one top-level clause per line, continuation lines indented
   * one step and led by their `and`/`or`. A comment on a clause's last line
   * trails it; one on a line of its own, or inside the clause, goes above
   * it (above the whole statement for the first clause).
   */
  private conditionLines(entry: ConditionEntry, depth: number): void {
    const indent = INDENT.repeat(depth);
    const continued = indent + INDENT;
    entry.clauses.forEach((clause, i) => {
      this.commentLines(
        this.take((c) => c.span.offset < clause.span.endOffset),
        i === 0 ? indent : continued,
        undefined,
      );
      this.out.push(i === 0 ? `${indent}${entry.head} ${clause.text}` : `${continued}${clause.op} ${clause.text}`);
      const end = entry.clauses[i + 1]?.span.offset ?? entry.span.endOffset;
      this.trail(this.take((c) => c.span.offset < end && c.span.line === clause.span.endLine));
    });
  }

  /** Does this entry print on a single line? Decided from the AST and comment positions only. */
  private isOneLine(entry: Entry, depth: number): boolean {
    return this.lineText(entry, depth) !== undefined;
  }

  /** The entry's text if it prints on a single line at `depth`. */
  private lineText(entry: Entry, depth: number): string | undefined {
    switch (entry.kind) {
      case "line":
        return entry.text;
      case "block":
        return this.inlineText(entry, depth);
      case "condition":
        return this.conditionText(entry, depth);
    }
  }

  /**
   * The one-line form of a condition: only if the source had no line break
   * between its top-level clauses, and it fits in MAX_WIDTH columns.
   */
  private conditionText(entry: ConditionEntry, depth: number): string | undefined {
    const { clauses } = entry;
    if (clauses.some((c, i) => i > 0 && c.span.line > clauses[i - 1]!.span.endLine)) return undefined;
    const text = `${entry.head} ${clauses.map((c) => (c.op ? `${c.op} ${c.text}` : c.text)).join(" ")}`;
    return INDENT.length * depth + text.length <= MAX_WIDTH ? text : undefined;
  }

  /**
   * The one-line form of a block, if it may have one: an empty block with no
   * comment inside is `head {}`; an inlinable block whose entries are all
   * lines (or blocks in their own one-line form), with no comment inside, is
   * `head { a  b }` when that fits in MAX_WIDTH columns.
   */
  private inlineText(block: BlockEntry, depth: number): string | undefined {
    if (this.hasCommentWithin(block.span)) return undefined;
    if (block.body.length === 0) return `${block.head} {}`;
    if (!block.inlinable) return undefined;
    const items: string[] = [];
    for (const e of block.body) {
      // a block inside (an amount table) goes on the line only in its own one-line form
      const text = this.lineText(e, depth + 1);
      if (text === undefined) return undefined;
      items.push(text);
    }
    const text = `${block.head} { ${items.join(INLINE_SEPARATOR)} }`;
    return INDENT.length * depth + text.length <= MAX_WIDTH ? text : undefined;
  }

  /**
   * Whether the source has a comment inside `span`, printed or not: the answer
   * must not change while the layout runs, since it decides one-line forms.
   */
  private hasCommentWithin(span: Span): boolean {
    let lo = 0;
    let hi = this.comments.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.comments[mid]!.span.offset < span.offset) lo = mid + 1;
      else hi = mid;
    }
    const c = this.comments[lo];
    return c !== undefined && c.span.offset < span.endOffset;
  }

  /** Takes the run of not-yet-printed comments, in source order, that satisfy `accept`. */
  private take(accept: (c: Comment) => boolean): Comment[] {
    const taken: Comment[] = [];
    while (this.next < this.comments.length && accept(this.comments[this.next]!)) taken.push(this.comments[this.next++]!);
    return taken;
  }
}
