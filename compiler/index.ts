/**
 * The compiler's public entry. `compile` runs the passes over parsed files in
 * a fixed order — symbols, the checks in `PASSES` (settings, clauses, route
 * statements, conditions, guardrails, tests, then the lint rules of
 * rules/index.ts), lowering, schema validation — collects every diagnostic,
 * and returns a graph only when there are no errors. Every pass is pure and
 * total: bad input yields diagnostics, never an exception.
 */
import type { SourceFile } from "../lang/ast.js";
import { hasErrors, sortDiagnostics, type Diagnostic } from "../lang/diagnostics.js";
import { parse } from "../lang/index.js";
import type { Graph, TestCase } from "./graph.js";
import { policyVersion } from "./hash.js";
import { internalError } from "./internal.js";
import { loadPolicy } from "./load.js";
import { lower } from "./lower.js";
import { memoryHost } from "./memory-host.js";
import { checkBudgets } from "./passes/check-budgets.js";
import { checkExprs } from "./passes/check-exprs.js";
import { checkGuardrails } from "./passes/check-guardrails.js";
import { checkRoutes } from "./passes/check-routes.js";
import { checkSettings } from "./passes/check-settings.js";
import { checkTests } from "./passes/check-tests.js";
import { buildSymbols } from "./passes/symbols.js";
import { RULES } from "./rules/index.js";
import type { Rule } from "./rules/rule.js";
import type { CompileContext } from "./symbols.js";
import { validateGraph } from "./validate.js";

export { loadPolicy, type LoadHost, type LoadResult, type ParseFn } from "./load.js";
export { memoryHost } from "./memory-host.js";
export { validateGraph } from "./validate.js";
export type { Graph, TestCase } from "./graph.js";

/** The checks run after the symbol table is built, in order: this compiler's checks, then the lint rules. */
export const PASSES: readonly Rule[] = [checkSettings, checkBudgets, checkRoutes, checkExprs, checkGuardrails, checkTests, ...RULES];

export interface CompileOptions {
  /** The environment, for `env("X")` warnings only; values are never stored in the graph. */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * The policy's source texts in load order (`LoadResult.sources`): the
   * policy version hashes them. Without them it hashes the lowered graph.
   */
  sources?: readonly { path: string; text: string }[];
  /** A clock in milliseconds; when given, the result says how long each pass took. */
  clock?: () => number;
}

export interface CompileResult {
  /** Present only when there are no errors; always schema-valid. */
  graph?: Graph;
  /** The policy's tests, lowered; empty when there are errors. */
  tests: TestCase[];
  /** Every diagnostic, sorted by file and position. */
  diagnostics: Diagnostic[];
  /** Per pass, when `options.clock` was given. */
  timings?: { pass: string; ms: number }[];
}

function append(into: Diagnostic[], from: readonly Diagnostic[]): void {
  for (const d of from) into.push(d);
}

/** Compiles parsed files (in load order) into a decision graph. */
export function compile(files: readonly SourceFile[], options: CompileOptions = {}): CompileResult {
  const timings: { pass: string; ms: number }[] = [];
  const clock = options.clock;
  const timed = <T>(pass: string, run: () => T): T => {
    if (!clock) return run();
    const start = clock();
    const result = run();
    timings.push({ pass, ms: clock() - start });
    return result;
  };
  const finish = (result: Omit<CompileResult, "timings">): CompileResult =>
    clock ? { ...result, diagnostics: sortDiagnostics(result.diagnostics), timings } : { ...result, diagnostics: sortDiagnostics(result.diagnostics) };

  const built = timed("symbols", () => buildSymbols(files));
  const diagnostics = [...built.diagnostics];
  const ctx: CompileContext = { files, symbols: built.symbols, env: options.env ?? {} };
  for (const pass of PASSES) append(diagnostics, timed(pass.name, () => pass.check(ctx)));
  if (hasErrors(diagnostics)) return finish({ tests: [], diagnostics });

  const placeholder = "p-000000000000";
  const lowered = timed("lower", () => lower(ctx.symbols, placeholder));
  lowered.graph.policy = timed("hash", () =>
    policyVersion(options.sources ?? [{ path: "graph.json", text: JSON.stringify(lowered.graph) }]),
  );
  const valid = timed("validate", () => validateGraph(lowered.graph));
  if (!valid.ok) {
    append(diagnostics, [internalError(`the compiled graph does not match its schema: ${valid.errors.slice(0, 5).join("; ")}`)]);
    return finish({ tests: [], diagnostics });
  }
  return finish({ graph: valid.graph, tests: lowered.tests, diagnostics });
}

/**
 * Parses and compiles policy texts held in memory: the paths are loaded in
 * the order given, imports resolved among them (see `loadPolicy`). For tests
 * and the editor; the CLI loads from disk with `loadPolicy` and `compile`.
 */
export function compileSources(sources: readonly { path: string; text: string }[], options: Omit<CompileOptions, "sources"> = {}): CompileResult {
  const loaded = loadPolicy(
    sources.map((s) => s.path),
    memoryHost(sources),
    parse,
  );
  const result = compile(loaded.files, { ...options, sources: loaded.sources });
  const diagnostics = sortDiagnostics([...loaded.diagnostics, ...result.diagnostics]);
  if (!hasErrors(loaded.diagnostics)) return { ...result, diagnostics };
  const { graph: _dropped, ...rest } = result;
  return { ...rest, tests: [], diagnostics };
}
