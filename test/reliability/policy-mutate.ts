/**
 * Token-level mutations of policy text, for the reliability fuzzer: delete,
 * duplicate, swap or replace a token (tokens as the real lexer sees them),
 * delete or duplicate a line, truncate the file, insert a character. A
 * mutation is plain data holding unbounded indices that are reduced modulo
 * the text's token, line or character count when applied, so fast-check
 * shrinks a failing mutation towards the first token of the file and a
 * counterexample reads as "delete token 0".
 */
import fc from "fast-check";
import { lex } from "../../lang/lexer.js";

export const OPS = [
  "delete-token",
  "duplicate-token",
  "swap-tokens",
  "replace-token",
  "delete-line",
  "duplicate-line",
  "truncate",
  "insert-char",
] as const;

export type MutationOp = (typeof OPS)[number];

/** One edit. `a` and `b` pick tokens, lines or offsets (modulo their count); `char` is what `insert-char` inserts. */
export interface Mutation {
  op: MutationOp;
  a: number;
  b: number;
  char: string;
}

/** Characters with a meaning in the language (or famous for breaking lexers), tried more often than random ones. */
const SPECIAL = [..."{}()[],=<>!/\\\"$%.*#@;:-_+`'\n\r\t 0123456789aZ", "\u0000", "\u00a0", "\u2028", "\uFEFF", "é", "😀", "\ud800"];

/** Any single character: mostly the language's own punctuation, sometimes any code point (lone surrogates included). */
export const arbChar: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SPECIAL) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }) },
);

/** One mutation, token operations weighted above the others. */
export const arbMutation: fc.Arbitrary<Mutation> = fc.record({
  op: fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom<MutationOp>("delete-token", "duplicate-token", "swap-tokens", "replace-token") },
    { weight: 2, arbitrary: fc.constantFrom<MutationOp>("delete-line", "duplicate-line", "truncate", "insert-char") },
  ),
  a: fc.nat(),
  b: fc.nat(),
  char: arbChar,
});

/** One to `max` mutations, applied in order (each on the text the previous one left). */
export const arbMutations = (max = 3): fc.Arbitrary<Mutation[]> => fc.array(arbMutation, { minLength: 1, maxLength: max });

/** A token: its text and where it is. */
export interface Tok {
  image: string;
  start: number;
  /** Exclusive. */
  end: number;
}

/** The tokens of `text` as the real lexer produces them (comments and whitespace excluded). */
export function tokensOf(text: string): Tok[] {
  return lex(text, "mutant.route").tokens.map((t) => ({ image: t.image, start: t.startOffset, end: t.startOffset + t.image.length }));
}

function splice(text: string, start: number, end: number, insert: string): string {
  return text.slice(0, start) + insert + text.slice(end);
}

/** Applies one mutation. A token operation on a text without tokens inserts the character instead. */
export function mutate(text: string, m: Mutation): string {
  const toks = m.op.endsWith("-token") || m.op === "swap-tokens" ? tokensOf(text) : [];
  if (toks.length > 0) {
    const x = toks[m.a % toks.length]!;
    const y = toks[m.b % toks.length]!;
    switch (m.op) {
      case "delete-token":
        return splice(text, x.start, x.end, "");
      case "duplicate-token":
        // With a space: without one the copies often lex as one longer token, which is not a token-level edit.
        return splice(text, x.start, x.end, `${x.image} ${x.image}`);
      case "replace-token":
        return splice(text, x.start, x.end, y.image);
      case "swap-tokens": {
        if (x === y) return text;
        const [first, second] = x.start < y.start ? [x, y] : [y, x];
        return text.slice(0, first.start) + second.image + text.slice(first.end, second.start) + first.image + text.slice(second.end);
      }
    }
  }
  const lines = text.split("\n");
  const at = m.a % (text.length + 1);
  switch (m.op) {
    case "delete-line":
      lines.splice(m.a % lines.length, 1);
      return lines.join("\n");
    case "duplicate-line": {
      const i = m.a % lines.length;
      lines.splice(i, 0, lines[i]!);
      return lines.join("\n");
    }
    case "truncate":
      return text.slice(0, at);
    default:
      return splice(text, at, at, m.char);
  }
}

/** Applies mutations in order. */
export function mutateAll(text: string, ms: readonly Mutation[]): string {
  return ms.reduce(mutate, text);
}
