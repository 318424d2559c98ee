/**
 * Lexing: text to tokens, comments and diagnostics. Never throws; characters
 * the language does not know become P001 diagnostics and are skipped.
 */
import { Lexer, type IToken, type TokenType } from "chevrotain";
import type { Comment } from "./ast.js";
import { diagnostic, type Diagnostic } from "./diagnostics.js";
import { LineMap } from "./line-map.js";
import { allTokens, StringLiteral, UnterminatedComment, UnterminatedString } from "./tokens.js";

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
}

export function lex(text: string, file: string): LexResult {
  const result = lexer.tokenize(text);
  const lines = new LineMap(file, text);
  // in case RouteLexer's factory was not used: the parser's node locations are built from endOffset
  if (result.tokens[0]?.endOffset === undefined) for (const t of result.tokens) t.endOffset = t.startOffset + t.image.length - 1;
  const diagnostics: Diagnostic[] = [];
  for (const err of result.errors) {
    const ch = text.slice(err.offset, err.offset + err.length);
    const shown = ch.length > 20 ? `${ch.slice(0, 20)}…` : ch;
    diagnostics.push(
      diagnostic("P001", `unexpected character${err.length > 1 ? "s" : ""} \`${shown}\``, lines.span(err.offset, err.offset + err.length), {
        help: "names are letters, digits, `_`, `-` and `.`; strings are in double quotes; comments start with `//`",
      }),
    );
  }
  for (const tok of result.tokens) {
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
  for (const t of result.groups["comments"] ?? []) {
    const span = lines.tokenSpan(t);
    if (t.tokenType === UnterminatedComment) {
      diagnostics.push(diagnostic("P001", "block comment is missing its closing `*/`", { ...span, endLine: span.line, endColumn: span.column + 2, endOffset: span.offset + 2 }));
    }
    comments.push({ text: t.image, span });
  }
  return { tokens: result.tokens, lines, comments, diagnostics };
}
