/**
 * Test helpers for the rules: parse policy text, build the symbol table and
 * run one rule (or all of them), and print diagnostics compactly as
 * `CODE line:column` so tests can assert exact positions.
 */
import { expect } from "vitest";
import { parse } from "../../../lang/index.js";
import type { Diagnostic } from "../../../lang/diagnostics.js";
import { buildSymbols } from "../../../compiler/passes/symbols.js";
import type { CompileContext } from "../../../compiler/symbols.js";
import type { Rule } from "../../../compiler/rules/rule.js";

/** Policy text from lines: line N of the result is argument N, so positions are easy to read off. */
export function src(...lines: string[]): string {
  return lines.join("\n");
}

/** The context the compiler would give the rules for `text` (which must parse cleanly). */
export function contextOf(text: string, env: Record<string, string | undefined> = {}): CompileContext {
  const parsed = parse(text, "main.route");
  expect(parsed.diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.column} ${d.message}`)).toEqual([]);
  const { symbols } = buildSymbols([parsed.file]);
  return { files: [parsed.file], symbols, env };
}

export function run(rule: Rule, text: string, env: Record<string, string | undefined> = {}): Diagnostic[] {
  const ds = rule.check(contextOf(text, env));
  for (const d of ds) expect(rule.codes).toContain(d.code);
  return ds;
}

/** `E101 3:10` for each diagnostic. */
export function where(ds: readonly Diagnostic[]): string[] {
  return ds.map((d) => `${d.code} ${d.span.line}:${d.span.column}`);
}

/** `3:10` of a diagnostic's related span. */
export function relatedAt(d: Diagnostic | undefined): string | undefined {
  return d?.related ? `${d.related.span.line}:${d.related.span.column}` : undefined;
}

/** A provider and three priced models used by most tests (lines 1-4). */
export const PRELUDE = [
  `provider p { api mock }`,
  `model gpt-4o = p/"gpt-4o" { input $2.50/Mtok output $10/Mtok }`,
  `model sonnet = p/"sonnet" { input $3/Mtok output $15/Mtok }`,
  `model mini = p/"mini" { input $0.15/Mtok output $0.60/Mtok }`,
] as const;
