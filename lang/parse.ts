/**
 * Parsing one file: lex, parse to a CST, build the AST, and collect every
 * diagnostic along the way. Pure and total: never throws.
 */
import type { SourceFile } from "./ast.js";
import { AstBuilder } from "./cst-to-ast.js";
import { diagnostic, type Diagnostic } from "./diagnostics.js";
import { lex } from "./lexer.js";
import { parseTokens } from "./parser.js";

export interface ParseResult {
  file: SourceFile;
  diagnostics: Diagnostic[];
}

/** Parses one file. Never throws; every syntax error is reported with its span. */
export function parse(text: string, file: string): ParseResult {
  const lexed = lex(text, file);
  const { cst, errors } = parseTokens(lexed.tokens);
  const builder = new AstBuilder(lexed.lines);
  const ast = builder.file(cst);
  ast.comments = lexed.comments;
  const syntax = errors.map((e) => {
    const tok = e.token;
    const span = Number.isFinite(tok.startOffset) && tok.image !== "" ? lexed.lines.tokenSpan(tok) : lexed.lines.end();
    return diagnostic("P002", e.message, span);
  });
  return { file: ast, diagnostics: [...lexed.diagnostics, ...dedupe(syntax), ...builder.diagnostics] };
}

/** Recovery can report the same position twice; keep the first message per position. */
function dedupe(diagnostics: Diagnostic[]): Diagnostic[] {
  const seen = new Set<number>();
  return diagnostics.filter((d) => {
    if (seen.has(d.span.offset)) return false;
    seen.add(d.span.offset);
    return true;
  });
}
