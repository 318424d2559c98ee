/**
 * Lexing: text to tokens, comments and diagnostics. Never throws; characters
 * the language does not know become P001 diagnostics and are skipped.
 */
import { Lexer, type IToken } from "chevrotain";
import type { Comment } from "./ast.js";
import { diagnostic, type Diagnostic } from "./diagnostics.js";
import { LineMap } from "./line-map.js";
import { allTokens, StringLiteral, UnterminatedComment, UnterminatedString } from "./tokens.js";

// Offsets only: lines and columns are computed for the spans that need them (line-map.ts).
const lexer = new Lexer(allTokens, { positionTracking: "onlyOffset", ensureOptimizations: true });

export interface LexResult {
  tokens: IToken[];
  lines: LineMap;
  comments: Comment[];
  diagnostics: Diagnostic[];
}

export function lex(text: string, file: string): LexResult {
  const result = lexer.tokenize(text);
  const lines = new LineMap(file, text);
  // "onlyOffset" tracking leaves endOffset unset; the parser's node locations are built from it.
  for (const t of result.tokens) t.endOffset = t.startOffset + t.image.length - 1;
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
