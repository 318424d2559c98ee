/**
 * Helpers for the compiler tests: compile policy text held in memory and
 * pick out diagnostics by code with their positions.
 */
import type { Diagnostic, DiagnosticCode } from "../../lang/diagnostics.js";
import { compileSources, type CompileResult } from "../../compiler/index.js";

/** Compiles one file, `policy.route`. */
export function compileText(text: string, env: Record<string, string> = {}): CompileResult {
  return compileSources([{ path: "policy.route", text }], { env });
}

export interface Found {
  line: number;
  column: number;
  message: string;
}

/** The diagnostics with `code`, as line, column and message. */
export function found(result: CompileResult | readonly Diagnostic[], code: DiagnosticCode): Found[] {
  const list = Array.isArray(result) ? result : (result as CompileResult).diagnostics;
  return list.filter((d) => d.code === code).map((d) => ({ line: d.span.line, column: d.span.column, message: d.message }));
}

/** Every error's code, for asserting that nothing else went wrong. */
export function errorCodes(result: CompileResult): string[] {
  return result.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.code} ${d.span.line}:${d.span.column} ${d.message}`);
}

/** A provider and a priced model to route to, so small policies are complete. */
export const BASE = `provider p { api mock }
model m = p/"m-upstream" { input $1/Mtok output $2/Mtok }
`;
