/**
 * Parsing one file: lex, parse to a CST (repairing slips, then recovering,
 * lang/recover.ts), build the AST, and collect every diagnostic along the
 * way. Pure and total: never throws.
 */
import type { IRecognitionException } from "chevrotain";
import type { Damage, SourceFile } from "./ast.js";
import { AstBuilder } from "./cst-to-ast.js";
import { diagnostic, type Diagnostic } from "./diagnostics.js";
import { lex } from "./lexer.js";
import { parseWithRepairs } from "./recover.js";

export interface ParseResult {
  file: SourceFile;
  diagnostics: Diagnostic[];
}

/** Parses one file. Never throws; every syntax error is reported with its span. */
export function parse(text: string, file: string): ParseResult {
  const lexed = lex(text, file);
  const { cst, slips, errors } = parseWithRepairs(lexed.tokens, lexed.lines);
  const builder = new AstBuilder(lexed.lines);
  const ast = builder.file(cst);
  ast.comments = lexed.comments;
  const syntax = errors.map((e) => {
    const tok = e.token;
    const span = Number.isFinite(tok.startOffset) && tok.image !== "" ? lexed.lines.tokenSpan(tok) : lexed.lines.end();
    return diagnostic("P002", e.message, span);
  });
  const damage = damageOf(ast, errors, lexed.lostFrom !== undefined);
  if (damage) ast.damage = damage;
  return { file: ast, diagnostics: [...lexed.diagnostics, ...slips, ...dedupe(syntax), ...builder.diagnostics] };
}

/** Which declarations the unrepaired errors fall in, and whether any fell between declarations. */
function damageOf(ast: SourceFile, errors: readonly IRecognitionException[], lostText: boolean): Damage | undefined {
  if (errors.length === 0 && !lostText) return undefined;
  const damage: Damage = { broken: [], lost: lostText };
  for (const e of errors) {
    const at = e.token.startOffset;
    const decl = Number.isFinite(at) ? ast.declarations.find((d) => d.span.offset <= at && at < d.span.endOffset + 1) : undefined;
    if (!decl || decl.kind === "import") damage.lost = true;
    if (decl && !damage.broken.includes(decl.span)) damage.broken.push(decl.span);
  }
  return damage;
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
