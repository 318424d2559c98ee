/**
 * Lexing: text to tokens, comments and diagnostics. Never throws; characters
 * the language does not know become P001 diagnostics and are skipped.
 */
import { Lexer, type IToken } from "chevrotain";
import type { Comment } from "./ast.js";
import { diagnostic, type Diagnostic } from "./diagnostics.js";
import type { Span } from "./span.js";
import { allTokens, StringLiteral, UnterminatedComment, UnterminatedString } from "./tokens.js";

const lexer = new Lexer(allTokens, { positionTracking: "full", ensureOptimizations: false });

export interface LexResult {
  tokens: IToken[];
  comments: Comment[];
  diagnostics: Diagnostic[];
}

/** The span of a token in `file`. */
export function tokenSpan(file: string, token: IToken): Span {
  const line = token.startLine ?? 1;
  const column = token.startColumn ?? 1;
  const endOffset = (token.endOffset ?? token.startOffset) + 1;
  return {
    file,
    line,
    column,
    endLine: token.endLine ?? line,
    endColumn: (token.endColumn ?? column) + 1,
    offset: token.startOffset,
    endOffset,
  };
}

/** The span of `length` characters at `offset`, computing line and column from the text. */
export function offsetSpan(file: string, text: string, offset: number, length: number): Span {
  const start = position(text, offset);
  const end = position(text, offset + length);
  return { file, line: start.line, column: start.column, endLine: end.line, endColumn: end.column, offset, endOffset: offset + length };
}

function position(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

export function lex(text: string, file: string): LexResult {
  const result = lexer.tokenize(text);
  const diagnostics: Diagnostic[] = [];
  for (const err of result.errors) {
    const ch = text.slice(err.offset, err.offset + err.length);
    const shown = ch.length > 20 ? `${ch.slice(0, 20)}…` : ch;
    diagnostics.push(
      diagnostic("P001", `unexpected character${err.length > 1 ? "s" : ""} \`${shown}\``, offsetSpan(file, text, err.offset, err.length), {
        help: "names are letters, digits, `_`, `-` and `.`; strings are in double quotes; comments start with `//`",
      }),
    );
  }
  for (const tok of result.tokens) {
    if (tok.tokenType === UnterminatedString) {
      diagnostics.push(
        diagnostic("P003", "string is missing its closing `\"`", tokenSpan(file, tok), {
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
    const span = tokenSpan(file, t);
    if (t.tokenType === UnterminatedComment) {
      diagnostics.push(diagnostic("P001", "block comment is missing its closing `*/`", { ...span, endLine: span.line, endColumn: span.column + 2, endOffset: span.offset + 2 }));
    }
    comments.push({ text: t.image, span });
  }
  return { tokens: result.tokens, comments, diagnostics };
}
