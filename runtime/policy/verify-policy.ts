/**
 * The one gate a policy passes before anything uses it: compile and lint it,
 * run its `test` blocks through the evaluator, and run every test's request
 * through the reference interpreter too. `aigw check` reports the result;
 * `aigw serve` starts only on a policy that passes, and a hot reload swaps
 * in only a policy that passes, so the CI gate and the running gateway can
 * never judge the same policy differently.
 *
 * Pure apart from the tokenizer, which is imported on first use (and only
 * when the policy reads `input_tokens`): files come through a `LoadHost`.
 */
import { compilePaths, type LoadHost, type PolicyResult } from "../../compiler/index.js";
import type { Graph, TestCase } from "../../compiler/graph.js";
import type { SourceFile } from "../../lang/ast.js";
import { diagnostic, hasErrors, type Diagnostic } from "../../lang/diagnostics.js";
import { runPolicyTests, type PolicyTestOptions, type TestResult } from "./policy-tests.js";
import { prepare } from "../engine/prepare.js";
import { crossCheckTests } from "./reference-check.js";
import { loadTokenizer } from "../engine/tokens.js";
import { smallestContext } from "../engine/fit.js";
import { utf8Length } from "../engine/facts.js";

/** The policy's tests, run. */
interface PolicyTestRun {
  results: TestResult[];
  /** Where the evaluator and the reference interpreter decided differently (I001). */
  disagreements: Diagnostic[];
}

/**
 * Runs the policy's tests on its graph, and each test's request through the
 * reference interpreter: a disagreement is an internal error (I001), never
 * hidden. The tokenizer is loaded only when a condition reads `input_tokens`
 * or a test's input may not fit a model's `context` by its bytes (loading it
 * takes a while, and most policies that declare contexts never need it).
 */
async function testPolicy(files: readonly SourceFile[], graph: Graph, cases: readonly TestCase[], onSimulation: PolicyTestOptions["onSimulation"]): Promise<PolicyTestRun> {
  const tokenizer = mayCount(graph, cases) ? await loadTokenizer() : undefined;
  const options = tokenizer ? { tokenizer } : {};
  const results = await runPolicyTests(graph, cases, onSimulation ? { ...options, onSimulation } : options);
  const disagreements = crossCheckTests(files, graph, cases, options).map((d) =>
    diagnostic("I001", `internal error in test "${d.test}": ${d.message}`, { file: d.file, line: d.line, column: 1, endLine: d.line, endColumn: 1, offset: 0, endOffset: 0 }, {
      help: "the compiled graph and the reference interpreter decided differently; please report this with the policy",
    }),
  );
  return { results, disagreements };
}

/** Whether running `cases` may count tokens: a condition reads them, a test expects a cost, or a test's input plus its max_tokens may exceed the smallest context in bytes. */
function mayCount(graph: Graph, cases: readonly TestCase[]): boolean {
  if (prepare(graph).conditionsReadTokens) return true;
  // `expect cost` prices the input and the reply in tokens.
  if (cases.some((t) => t.expect.some((e) => e.kind === "cost"))) return true;
  const least = smallestContext(graph);
  return cases.some((t) => t.request.inputTokens === undefined && utf8Length(t.request.input ?? "") + (t.request.maxTokens ?? 0) > least);
}

/** How to verify: the environment for `env("…")`, and for `aigw check` which tests to run and who hears their simulations. */
export interface VerifyOptions {
  env?: Readonly<Record<string, string | undefined>>;
  /** Runs only the tests it accepts (`aigw check --test NAME`). Default: every test. */
  select?: (test: TestCase) => boolean;
  onSimulation?: PolicyTestOptions["onSimulation"];
}

/** A policy compiled and tested: what `aigw check` prints and a reload decides on. */
export interface VerifiedPolicy extends PolicyResult {
  /** Every test's verdict; empty when the policy did not compile. */
  results: TestResult[];
  /** True when there is a graph, no error diagnostic (I001 included) and every test passed. */
  ok: boolean;
}

/**
 * Loads, compiles and tests the policy named by `paths` through `host`. The
 * reference cross-check's disagreements are appended to `diagnostics`.
 */
export async function verifyPolicy(paths: readonly string[], host: LoadHost, options: VerifyOptions = {}): Promise<VerifiedPolicy> {
  const compiled = compilePaths(paths, host, options.env ? { env: options.env } : {});
  if (!compiled.graph) return { ...compiled, results: [], ok: false };
  const cases = options.select ? compiled.tests.filter(options.select) : compiled.tests;
  const run = await testPolicy(compiled.files, compiled.graph, cases, options.onSimulation);
  const diagnostics: Diagnostic[] = [...compiled.diagnostics, ...run.disagreements];
  return { ...compiled, diagnostics, results: run.results, ok: !hasErrors(diagnostics) && run.results.every((t) => t.passed) };
}
