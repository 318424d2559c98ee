/**
 * Lexing: text to tokens, comments and diagnostics. Never throws; characters
 * the language does not know become P001 diagnostics and are skipped.
 */
import { Lexer, type IToken, type TokenType } from "chevrotain";
import type { Comment } from "./ast.js";
import { diagnostic, type Diagnostic } from "./diagnostics.js";
import { LineMap } from "./line-map.js";
import { allTokens, And, Not, Or, StringLiteral, UnterminatedComment, UnterminatedString } from "./tokens.js";

/**
 * chevrotain's lexer, its tokens made with their `endOffset` (which the
 * parser's node locations are built from). With "onlyOffset" tracking
 * chevrotain leaves it out, and adding it afterwards gives each of the
 * hundreds of thousands of tokens a second, out-of-object property store.
 * `createOffsetOnlyToken` is chevrotain's (internal, 11.x) token factory for
 * that mode; should a release rename it, `lex` below still sets `endOffset`.
 */
class RouteLexer extends Lexer {
  protected createOffsetOnlyToken(image: string, startOffset: number, tokenTypeIdx: number, tokenType: TokenType): IToken {
    return { image, startOffset, endOffset: startOffset + image.length - 1, tokenTypeIdx, tokenType } as IToken;
  }
}

// Offsets only: lines and columns are computed for the spans that need them (line-map.ts).
const lexer = new RouteLexer(allTokens, { positionTracking: "onlyOffset", ensureOptimizations: true });

export interface LexResult {
  tokens: IToken[];
  lines: LineMap;
  comments: Comment[];
  diagnostics: Diagnostic[];
  /** Where an unterminated block comment swallowed the rest of the file: text the parser never saw. */
  lostFrom?: number;
}

/**
 * Operators from other languages, read as the keyword they stand for (so
 * `a && b` parses as `a and b` and nothing after it cascades), reported
 * with a fix.
 */
const FOREIGN_OPERATORS: Record<string, { word: string; type: TokenType }> = {
  "&&": { word: "and", type: And },
  "&": { word: "and", type: And },
  "||": { word: "or", type: Or },
  "|": { word: "or", type: Or },
  "!": { word: "not", type: Not },
};

/** Punctuation from YAML and C that the language does without: deleting it is the fix. */
const NOT_NEEDED: Record<string, string> = {
  ":": "a setting is written `timeout 30s`, without `:`",
  ";": "statements end at the next statement, without `;`",
};

/** `'chat'`: two stray `'` on one line around text with no double quote or backslash, read as the string meant. */
function singleQuoted(text: string, errors: readonly { offset: number; length: number }[]): { start: number; end: number; image: string }[] {
  const quotes = errors.filter((e) => e.length === 1 && text[e.offset] === "'");
  const out: { start: number; end: number; image: string }[] = [];
  for (let k = 0; k + 1 < quotes.length; k++) {
    const start = quotes[k]!.offset;
    const end = quotes[k + 1]!.offset + 1;
    const inner = text.slice(start + 1, end - 1);
    if (/["\\\n\r]/.test(inner)) continue;
    out.push({ start, end, image: `"${inner}"` });
    k++;
  }
  return out;
}

export function lex(text: string, file: string): LexResult {
  const result = lexer.tokenize(text);
  const lines = new LineMap(file, text);
  // in case RouteLexer's factory was not used: the parser's node locations are built from endOffset
  if (result.tokens[0]?.endOffset === undefined) for (const t of result.tokens) t.endOffset = t.startOffset + t.image.length - 1;
  const diagnostics: Diagnostic[] = [];
  const synthetic: IToken[] = [];
  const quoted = singleQuoted(text, result.errors);
  for (const q of quoted) {
    const span = lines.span(q.start, q.end);
    synthetic.push({ image: q.image, startOffset: q.start, endOffset: q.end - 1, tokenType: StringLiteral, tokenTypeIdx: StringLiteral.tokenTypeIdx! } as IToken);
    diagnostics.push(diagnostic("P003", "strings are written in double quotes", span, { fix: { message: `write \`${q.image}\``, edits: [{ span, text: q.image }] } }));
  }
  const inQuotes = (offset: number): boolean => quoted.some((q) => q.start <= offset && offset < q.end);
  if (quoted.length) result.tokens = result.tokens.filter((t) => !inQuotes(t.startOffset));
  for (const err of result.errors) {
    if (inQuotes(err.offset)) continue;
    const ch = text.slice(err.offset, err.offset + err.length);
    const span = lines.span(err.offset, err.offset + err.length);
    const operator = FOREIGN_OPERATORS[ch];
    if (operator) {
      synthetic.push({ image: operator.word, startOffset: err.offset, endOffset: err.offset + err.length - 1, tokenType: operator.type, tokenTypeIdx: operator.type.tokenTypeIdx! } as IToken);
      diagnostics.push(
        diagnostic("P001", `\`${ch}\` is written \`${operator.word}\``, span, { fix: { message: `write \`${operator.word}\``, edits: [{ span, text: operator.word }] } }),
      );
      continue;
    }
    const shown = ch.length > 20 ? `${ch.slice(0, 20)}…` : ch;
    const needless = NOT_NEEDED[ch];
    diagnostics.push(
      needless
        ? diagnostic("P001", `unexpected character \`${ch}\``, span, { help: needless, fix: { message: `delete \`${ch}\``, edits: [{ span, text: "" }] } })
        : diagnostic("P001", `unexpected character${err.length > 1 ? "s" : ""} \`${shown}\``, span, {
            help: "names are letters, digits, `_`, `-` and `.`; strings are in double quotes; comments start with `//`",
          }),
    );
  }
  const tokens = synthetic.length === 0 ? result.tokens : [...result.tokens, ...synthetic].sort((a, b) => a.startOffset - b.startOffset);
  for (const tok of tokens) {
    if (tok.tokenType === UnterminatedString) {
      diagnostics.push(
        diagnostic("P003", "string is missing its closing `\"`", lines.tokenSpan(tok), {
          help: "strings end on the line they start on",
        }),
      );
      tok.tokenType = StringLiteral;
      tok.tokenTypeIdx = StringLiteral.tokenTypeIdx!;
      tok.image = tok.image.endsWith("\\") ? `${tok.image.slice(0, -1)}"` : `${tok.image}"`;
    }
  }
  const comments: Comment[] = [];
  let lostFrom: number | undefined;
  for (const t of result.groups["comments"] ?? []) {
    const span = lines.tokenSpan(t);
    if (t.tokenType === UnterminatedComment) {
      // reported where it opens, not where the file ends: the `/*` is what to fix
      lostFrom = t.startOffset;
      diagnostics.push(
        diagnostic("P001", "block comment is never closed: `/*` has no `*/`", lines.span(t.startOffset, t.startOffset + 2), {
          related: { message: "the rest of the file is inside the comment, up to its end here", span: lines.end() },
          help: "close the comment with `*/`, or use `//` for a line comment",
        }),
      );
    }
    comments.push({ text: t.image, span });
  }
  const lexed: LexResult = { tokens, lines, comments, diagnostics };
  if (lostFrom !== undefined) lexed.lostFrom = lostFrom;
  return lexed;
}
