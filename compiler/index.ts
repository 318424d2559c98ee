/**
 * The compiler's public entry. `compile` runs the phases of `PHASES` over
 * parsed files in order — symbols, the checks (settings, clauses, route
 * statements, conditions, guardrails, tests, then the lint rules of
 * rules/index.ts), lowering, the declared bounds (E308, on the lowered
 * graph), the invariants (E309, likewise), the policy hash, schema validation — collects
 * every diagnostic, and returns a graph only when there are no errors. Every
 * phase is deterministic and total: bad input yields diagnostics, never an
 * exception.
 */
import type { SourceFile } from "../lang/ast.js";
import { hasErrors, sortDiagnostics, type Diagnostic } from "../lang/diagnostics.js";
import { parse } from "../lang/index.js";
import { fileSpan } from "../lang/span.js";
import type { Graph, TestCase } from "./graph.js";
import { policyVersion } from "./hash.js";
import { internalError } from "./internal.js";
import { withoutFollowOns } from "./follow-on.js";
import { loadPolicy, type LoadHost } from "./load.js";
import { lower } from "./lower.js";
import { memoryHost } from "./memory-host.js";
import { checkBudgets } from "./passes/check-budgets.js";
import { checkExprs } from "./passes/check-exprs.js";
import { checkGuardrails } from "./passes/check-guardrails.js";
import { checkInvariants } from "./passes/check-invariants.js";
import { checkRoutes } from "./passes/check-routes.js";
import { checkShaping } from "./passes/check-shaping.js";
import { checkSettings } from "./passes/check-settings.js";
import { checkTests } from "./passes/check-tests.js";
import { buildSymbols } from "./passes/symbols.js";
import { expandDefaults } from "./passes/expand-defaults.js";
import { checkBounds } from "./bounds/check.js";
import { proveInvariants } from "./invariants/prove.js";
import { RULES } from "./rules/index.js";
import type { Rule } from "./rules/rule.js";
import type { CompileContext, SymbolTable } from "./symbols.js";
import { validateGraph } from "./validate.js";

export { loadPolicy, type LoadHost, type LoadResult, type ParseFn } from "./load.js";
export { memoryHost } from "./memory-host.js";
export { validateGraph } from "./validate.js";
export type { Graph, TestCase } from "./graph.js";

/** The checks run on the symbol table, in order: this compiler's own checks, then the lint rules. */
export const CHECKS: readonly Rule[] = [checkSettings, checkBudgets, checkRoutes, checkShaping, checkExprs, checkGuardrails, checkInvariants, checkTests, ...RULES];

export interface CompileOptions {
  /** The environment, for `env("X")` warnings only; values are never stored in the graph. */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * The policy's source texts in load order (`LoadResult.sources`): the
   * policy version hashes them. Without them it hashes the lowered graph.
   */
  sources?: readonly { path: string; text: string }[];
  /** A clock in milliseconds; when given, the result says how long each phase took. */
  clock?: () => number;
  /**
   * Check only, lower nothing: for files that did not parse cleanly, whose
   * recovered AST is worth checking but must never become a graph.
   */
  checkOnly?: boolean;
}

export interface CompileResult {
  /** Present only when there are no errors; always schema-valid. */
  graph?: Graph;
  /** The policy's tests, lowered; empty when there are errors. */
  tests: TestCase[];
  /** Every diagnostic, sorted by file and position. */
  diagnostics: Diagnostic[];
  /** Per phase, when `options.clock` was given. */
  timings?: { pass: string; ms: number }[];
}

/** What the phases hand on: each reads what earlier phases produced and adds to it. */
interface Work {
  readonly files: readonly SourceFile[];
  readonly options: CompileOptions;
  readonly diagnostics: Diagnostic[];
  ctx: CompileContext;
  lowered?: { graph: Graph; tests: TestCase[] };
  result?: { graph: Graph; tests: TestCase[] };
}

interface Phase {
  name: string;
  run(work: Work): void;
}

function append(into: Diagnostic[], from: readonly Diagnostic[]): void {
  for (const d of from) into.push(d);
}

/** A check over the lowered graph; its errors withhold the graph. */
function overLowered(name: string, check: (graph: Graph, symbols: SymbolTable) => readonly Diagnostic[]): Phase {
  return {
    name,
    run(w) {
      if (!w.lowered) return;
      const found = check(w.lowered.graph, w.ctx.symbols);
      append(w.diagnostics, found);
      if (hasErrors(found)) delete w.lowered;
    },
  };
}

/**
 * The compiler, phase by phase. Checks always all run (every diagnostic is
 * worth reporting); lowering and what follows run only on a policy without errors.
 */
export const PHASES: readonly Phase[] = [
  {
    name: "symbols",
    run(w) {
      const built = buildSymbols(w.files);
      w.ctx = { files: w.files, symbols: built.symbols, env: w.options.env ?? {} };
      append(w.diagnostics, built.diagnostics);
    },
  },
  {
    // Before every check: a route is checked, linted and lowered with the statements its `use` brings.
    name: "defaults",
    run(w) {
      const expanded = expandDefaults(w.ctx.symbols);
      w.ctx = { ...w.ctx, symbols: expanded.symbols };
      append(w.diagnostics, expanded.diagnostics);
    },
  },
  ...CHECKS.map((rule): Phase => ({ name: rule.name, run: (w) => append(w.diagnostics, rule.check(w.ctx)) })),
  {
    name: "lower",
    run(w) {
      if (!w.options.checkOnly && !hasErrors(w.diagnostics)) w.lowered = lower(w.ctx.symbols, "p-000000000000");
    },
  },
  // Declared bounds (E308) and invariants (E309) need the lowered graph: every default applied.
  overLowered("bounds", checkBounds),
  overLowered("invariants", proveInvariants),
  {
    name: "hash",
    run(w) {
      if (!w.lowered) return;
      const sources = w.options.sources ?? [{ path: "graph.json", text: JSON.stringify(w.lowered.graph) }];
      w.lowered.graph.policy = policyVersion(sources);
    },
  },
  {
    name: "validate",
    run(w) {
      if (!w.lowered) return;
      const valid = validateGraph(w.lowered.graph);
      if (valid.ok) w.result = { graph: valid.graph, tests: w.lowered.tests };
      else w.diagnostics.push(internalError(`the compiled graph does not match its schema: ${valid.errors.slice(0, 5).join("; ")}`));
    },
  },
];

const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Compiles parsed files (in load order) into a decision graph. */
export function compile(files: readonly SourceFile[], options: CompileOptions = {}): CompileResult {
  // `ctx` starts as an empty table so every phase can read it; the symbols phase replaces it first.
  const work: Work = { files, options, diagnostics: [], ctx: { files, symbols: buildSymbols([]).symbols, env: {} } };
  const timings: { pass: string; ms: number }[] = [];
  for (const phase of PHASES) {
    const start = options.clock?.();
    try {
      phase.run(work);
    } catch (err) {
      // A compiler bug: reported as a diagnostic, never a crash of `aigw check` or a reload, never a graph.
      work.diagnostics.push(internalError(`the \`${phase.name}\` phase failed: ${errorMessage(err)}`, fileSpan(files[0]?.path ?? "")));
      delete work.lowered;
      delete work.result;
    }
    if (start !== undefined) timings.push({ pass: phase.name, ms: options.clock!() - start });
  }
  const result: CompileResult = { tests: work.result?.tests ?? [], diagnostics: sortDiagnostics(work.diagnostics) };
  if (work.result) result.graph = work.result.graph;
  if (options.clock) result.timings = timings;
  return result;
}

/** What `compilePaths` returns: the compile result plus what the loader read. */
export interface PolicyResult extends CompileResult {
  /** The parsed files in load order (a file importing in the middle appears as segments). */
  files: SourceFile[];
  /** Each file's text, in the order read. */
  sources: { path: string; text: string }[];
}

/**
 * Loads, parses and compiles the policy named by `paths` (files or
 * directories, see `loadPolicy`) through `host`: the whole front end in one
 * call, for the CLI and the server's reload. Loader and parse diagnostics are
 * merged with the compiler's; a policy with any of them as errors yields no
 * graph; the policy version hashes the texts read.
 */
export function compilePaths(paths: readonly string[], host: LoadHost, options: Omit<CompileOptions, "sources"> = {}): PolicyResult {
  let loaded: ReturnType<typeof loadPolicy>;
  try {
    loaded = loadPolicy(paths, host, parse);
  } catch (err) {
    return { tests: [], diagnostics: [internalError(`loading the policy failed: ${errorMessage(err)}`, fileSpan(paths[0] ?? ""))], files: [], sources: [] };
  }
  const result = compile(loaded.files, { ...options, sources: loaded.sources, checkOnly: hasErrors(loaded.diagnostics) });
  const diagnostics = withoutFollowOns(sortDiagnostics([...loaded.diagnostics, ...result.diagnostics]), loaded.files);
  const extra = { files: loaded.files, sources: loaded.sources };
  if (!hasErrors(loaded.diagnostics)) return { ...result, diagnostics, ...extra };
  // A file that did not parse (or load) cleanly yields no graph, whatever the checks found.
  return { tests: [], diagnostics, ...(result.timings ? { timings: result.timings } : {}), ...extra };
}

/**
 * Parses and compiles policy texts held in memory: the paths are loaded in
 * the order given, imports resolved among them (see `loadPolicy`). For tests
 * and the editor.
 */
export function compileSources(sources: readonly { path: string; text: string }[], options: Omit<CompileOptions, "sources"> = {}): PolicyResult {
  return compilePaths(
    sources.map((s) => s.path),
    memoryHost(sources),
    options,
  );
}
