/**
 * Column alignment of tables: a run of consecutive one-line statements of
 * the same shape, at one indentation, is printed as a table whose columns
 * line up.
 *
 * It works on the printed text of each line, not on the AST, so any
 * statement — today's or one added later — lines up without this file
 * knowing it. A line is cut into words at its top-level spaces (spaces
 * inside strings, regexes, `( … )` and `[ … ]` do not cut), found by
 * lexing it with the language's own lexer. Two lines have the same shape
 * when they have as many words, the same first word (or both start with a
 * value: a string, a number…), and, word by word, the same keywords and the
 * same kinds of value. So `model a = p/"x" { input $1/Mtok  output $2/Mtok }`
 * and `model bb = q/"y" { input $0.15/Mtok  output $3/Mtok }` make a table,
 * `"research" $500` and `"search" $1000` make one, while a block's settings
 * (`input $3/Mtok`, `context 200k`), whose first words differ, stay as they are.
 *
 * Each column but the last is padded to its widest word; the text between
 * words (one or two spaces) is kept, and a closing `}` belongs to the word
 * before it. Alignment is computed from the words alone, so the source's
 * own spacing never matters.
 */
import type { IToken } from "chevrotain";
import { lex } from "./lexer.js";
import { Identifier, LBracket, LParen, RBracket, RParen } from "./tokens.js";

/** A line that may join a table: the layout prints it once alignment is known. */
export interface Row {
  indent: string;
  text: string;
  /** The entry's group: only lines of one group make a table. */
  group: string;
  /** Comments that trail the line, already joined. */
  trailing?: string;
}

interface Cells {
  words: string[];
  /** `gaps[i]` is the text between `words[i]` and `words[i + 1]`. */
  gaps: string[];
  /** Lines with equal keys (and indentation) make a table. */
  key: string;
}

interface Shaped {
  row: Row;
  /** Undefined for a row that stands alone: no row of its kind beside it, or text that does not lex cleanly. */
  cells: Cells | undefined;
}

/** Resolves every row of `out` to its text, aligning each run of adjacent rows of one shape. */
export function alignRows(out: readonly (string | Row)[]): string[] {
  // only a row beside another row of its group and indentation can be in a table: the others are not lexed
  const candidate = (i: number, x: Row) => [out[i - 1], out[i + 1]].some((n) => typeof n === "object" && n.group === x.group && n.indent === x.indent);
  const items = out.map((x, i): string | Shaped => (typeof x === "string" ? x : { row: x, cells: candidate(i, x) ? cells(x) : undefined }));
  const lines: string[] = [];
  let i = 0;
  while (i < items.length) {
    const item = items[i]!;
    if (typeof item === "string") {
      lines.push(item);
      i++;
      continue;
    }
    let j = i + 1;
    while (j < items.length && sameShape(item, items[j]!)) j++;
    lines.push(...table(items.slice(i, j) as Shaped[]));
    i = j;
  }
  return lines;
}

function sameShape(a: Shaped, b: string | Shaped): boolean {
  return typeof b !== "string" && a.cells !== undefined && b.cells !== undefined && a.cells.key === b.cells.key;
}

function table(run: readonly Shaped[]): string[] {
  const widths: number[] = [];
  for (const { cells: c } of run) c?.words.forEach((w, k) => (widths[k] = Math.max(widths[k] ?? 0, width(w))));
  return run.map(({ row, cells: c }) => {
    const text = run.length > 1 && c ? c.words.map((w, k) => (k < c.words.length - 1 ? pad(w, widths[k]!) + c.gaps[k] : w)).join("") : row.text;
    return row.indent + text + (row.trailing ? ` ${row.trailing}` : "");
  });
}

/** Width in characters as an editor counts them (code points, not UTF-16 units). */
function width(word: string): number {
  return [...word].length;
}

function pad(word: string, to: number): string {
  return word + " ".repeat(to - width(word));
}

/** The words of a row's text and its shape. */
function cells(row: Row): Cells | undefined {
  const { tokens, diagnostics } = lex(row.text, "");
  if (diagnostics.length || tokens.length === 0) return undefined;
  const groups: IToken[][] = [];
  let depth = 0;
  let prevEnd = -1;
  for (const t of tokens) {
    if (depth === 0 && t.startOffset > prevEnd + 1) groups.push([]);
    else if (groups.length === 0) groups.push([]);
    groups[groups.length - 1]!.push(t);
    if (t.tokenType === LParen || t.tokenType === LBracket) depth++;
    else if ((t.tokenType === RParen || t.tokenType === RBracket) && depth > 0) depth--;
    prevEnd = t.endOffset!;
  }
  // a closing `}` ends the line's last word rather than making a column of its own
  if (groups.length > 1 && groups[groups.length - 1]!.length === 1 && groups[groups.length - 1]![0]!.image === "}") {
    const brace = groups.pop()!;
    groups[groups.length - 1]!.push(...brace);
  }
  const words = groups.map((g) => row.text.slice(g[0]!.startOffset, g[g.length - 1]!.endOffset! + 1));
  const gaps = groups.slice(1).map((g, k) => {
    const prev = groups[k]!;
    return row.text.slice(prev[prev.length - 1]!.endOffset! + 1, g[0]!.startOffset);
  });
  const shape = groups.map((g, k) => wordShape(g, k === 0));
  return { words, gaps, key: [row.indent, row.group, ...shape].join("\u0000") };
}

/**
 * The shape of one word: a keyword is itself; a name is itself when it
 * starts the line (the statement it starts, or a setting's name) and `N`
 * elsewhere; anything else is its tokens' kinds, with what is inside
 * `( … )` and `[ … ]` left out, so lists and calls of any length match.
 */
function wordShape(word: readonly IToken[], first: boolean): string {
  let out = "";
  let depth = 0;
  for (const t of word) {
    const open = t.tokenType === LParen || t.tokenType === LBracket;
    const close = t.tokenType === RParen || t.tokenType === RBracket;
    if (close && depth > 0) depth--;
    if (depth === 0) out += (open || close ? t.image : t.tokenType === Identifier && !(first && word.length === 1) ? "N" : isName(t) ? t.image : t.tokenType.name) + " ";
    if (open) depth++;
  }
  return out;
}

/** Keywords are soft names (tokens.ts): every name token is an Identifier or a keyword in the Name category. */
function isName(t: IToken): boolean {
  return t.tokenType === Identifier || t.tokenType.name.startsWith("Kw_");
}
