/**
 * Runs a policy's `test` blocks on its compiled graph, exactly as the server
 * would handle the request: `decide`, then the input guardrails, then the
 * budget/limit verdict, then the attempts state machine, with the `given`s
 * standing in for the world:
 * - `given budget B spent $X` / `given limit L used N`: the state view
 *   reports X (or N, for both requests and tokens) for every scope key;
 * - `given split picks T`: the split picks T (T must be one of its arms);
 * - `given T fails R`: every try of T fails with R (`429`, `5xx` as 500,
 *   `timeout`, `connection`); other targets answer.
 * Draws and jitter come from a generator seeded by the test's name, so a
 * test gives the same result on every run and machine.
 */
import type { FailureReason, Graph, SourceRef, TestCase, TestExpect } from "../../compiler/graph.js";
import { retryCount, runAttempts, startAttempts, triedModels, type AttemptState, type Outcome } from "../engine/attempts.js";
import { decide } from "../engine/decide.js";
import { prepare, type PreparedGraph } from "../engine/prepare.js";
import type { Decision } from "../engine/decision.js";
import { factsFromTestRequest, type Facts } from "../engine/facts.js";
import { applyGuardrails, type GuardOutcome } from "../engine/guardrails.js";
import type { FailureCause } from "../engine/plan.js";
import { seedOf, seededRandom } from "../engine/random.js";
import type { StateView } from "../engine/state.js";
import { loadedTokenizer, type Tokenizer } from "../engine/tokens.js";

/** One test's verdict, as `aigw check` reports it. */
export interface TestResult {
  name: string;
  file: string;
  /** The test's line. */
  line: number;
  passed: boolean;
  /** Every failed expectation, one per line: expected and actual. */
  message?: string;
  /** The failed expectations with their own locations (for editor and CI annotations). */
  failures?: { line: number; column: number; message: string }[];
}

/** Options for running policy tests. */
export interface PolicyTestOptions {
  /** Counts tokens when a test's request has no `input_tokens` and a policy reads them. Default: the loaded one, if any. */
  tokenizer?: Tokenizer;
  /** Mixed into each test's seed, to check that tests do not depend on a lucky draw. */
  seed?: number;
}

/** What happened to a simulated request, end to end. */
export interface Simulation {
  decision: Decision;
  /** The input guardrails' verdict; undefined when there was no route. */
  guard: GuardOutcome | undefined;
  /** The final attempts state; undefined when the request was never sent. */
  attempts: AttemptState | undefined;
  /** The HTTP status the client would get. */
  status: number;
  /** The target that answered, or the last one tried. */
  target: string | undefined;
  /** Targets tried, in order, each once. */
  tried: string[];
  retries: number;
  /** The input text after redaction. */
  input: string;
  /** Why the request ended as it did, for messages: `blocked by guardrail \`pii\``. */
  summary: string;
}

/** Runs every test. Never throws: an unexpected error fails that test with an `internal error` message. */
export function runPolicyTests(graph: Graph, tests: readonly TestCase[], options: PolicyTestOptions = {}): TestResult[] {
  let p: PreparedGraph;
  try {
    p = prepare(graph);
  } catch {
    return tests.map((t) => runPolicyTest(graph, t, options)); // each test reports the malformed graph
  }
  return tests.map((t) => runPrepared(p, t, options));
}

/** Runs one test. */
export function runPolicyTest(graph: Graph, test: TestCase, options: PolicyTestOptions = {}): TestResult {
  let p: PreparedGraph;
  try {
    p = prepare(graph);
  } catch (e) {
    return { name: test.name, file: test.span.file, line: test.span.line, passed: false, message: `internal error: ${(e as Error).message}`, failures: [{ line: test.span.line, column: test.span.column, message: `internal error: ${(e as Error).message}` }] };
  }
  return runPrepared(p, test, options);
}

function runPrepared(p: PreparedGraph, test: TestCase, options: PolicyTestOptions): TestResult {
  const graph = p.graph;
  const base = { name: test.name, file: test.span.file, line: test.span.line };
  const failures: { line: number; column: number; message: string }[] = [];
  const fail = (span: SourceRef, message: string): void => {
    failures.push({ line: span.line, column: span.column, message });
  };
  try {
    const tokenizer = options.tokenizer ?? loadedTokenizer();
    const facts = factsFromTestRequest(test.request, graph, tokenizer);
    const random = seededRandom(seedOf(test.name, options.seed ?? 0));
    const sim = simulate(p, facts, givenState(test, random), givenFailures(test), random);
    checkGivens(graph, test, sim, (m) => fail(test.span, m));
    for (const e of test.expect) {
      const m = checkExpect(e, sim);
      if (m !== undefined) fail(e.span, m);
    }
  } catch (e) {
    fail(test.span, `internal error: ${(e as Error).message}`);
  }
  if (failures.length === 0) return { ...base, passed: true };
  return { ...base, passed: false, message: failures.map((f) => f.message).join("\n"), failures };
}

/**
 * Handles one request the way the server does, with `failures` saying how
 * each target answers. Order: no route (404) → input guardrails (a block is
 * 400, before any budget is charged) → budget/limit rejection (429) →
 * attempts (200, or the attempts' final status).
 */
export function simulate(
  graph: PreparedGraph,
  facts: Facts,
  state: StateView,
  failures: ReadonlyMap<string, FailureCause>,
  random: () => number,
): Simulation {
  const decision = decide(graph, facts, state);
  const none = { guard: undefined, attempts: undefined, target: undefined, tried: [], retries: 0, input: facts.text };
  if (decision.kind === "no-route") return { ...none, decision, status: 404, summary: "no route (404)" };
  const guard = applyGuardrails(graph, decision.guardrails, "input", facts);
  const input = guard.texts[0] ?? "";
  if (guard.blocked !== undefined) {
    return { ...none, decision, guard, input, status: 400, summary: `blocked by guardrail \`${guard.blocked.guardrail}\` (400)` };
  }
  if (decision.kind === "rejected") return { ...none, decision, guard, input, status: 429, summary: `rejected: ${decision.message} (429)` };
  const attempts = runAttempts(
    startAttempts(decision),
    (target): Outcome => {
      const cause = failures.get(target.model);
      return cause === undefined ? { ok: true } : { ok: false, cause };
    },
    { random },
  );
  const tried = triedModels(attempts.history);
  const retries = retryCount(attempts.history);
  const action = attempts.action;
  if (action.kind === "done") {
    return { decision, guard, attempts, status: 200, target: action.target.model, tried, retries, input, summary: `answered by \`${action.target.model}\`` };
  }
  const error = action.kind === "fail" ? action.error : undefined;
  return {
    decision,
    guard,
    attempts,
    status: error?.status ?? 502,
    target: tried[tried.length - 1],
    tried,
    retries,
    input,
    summary: `failed: ${error?.message ?? "unfinished"} (${error?.status ?? 502})`,
  };
}

/** The state a test's `given`s describe: amounts for every scope key, the forced split, draws from `random`. */
export function givenState(test: TestCase, random: () => number): StateView {
  const spent = new Map<string, number>();
  const used = new Map<string, number>();
  let forcedSplit: string | undefined;
  for (const g of test.given) {
    if (g.kind === "budget-spent") spent.set(g.budget, g.amount);
    else if (g.kind === "limit-used") used.set(g.limit, g.amount);
    else if (g.kind === "split-picks") forcedSplit = g.target;
  }
  return {
    budgetSpent: (budget) => spent.get(budget) ?? 0,
    limitUsed: (limit) => used.get(limit) ?? 0,
    draw: random,
    forcedSplit,
  };
}

function givenFailures(test: TestCase): Map<string, FailureCause> {
  const failures = new Map<string, FailureCause>();
  for (const g of test.given) if (g.kind === "fails") failures.set(g.target, failureCause(g.reason));
  return failures;
}

/** A `given … fails R` reason as a concrete failure: a status class becomes its first status (`5xx` → 500). */
export function failureCause(reason: FailureReason): FailureCause {
  if (reason === "timeout" || reason === "connection") return reason;
  const cls = /^([1-5])xx$/i.exec(reason);
  if (cls) return Number(cls[1]) * 100;
  const n = Number(reason);
  if (Number.isInteger(n) && n >= 100 && n <= 599) return n;
  throw new Error(`unknown failure reason \`${reason}\``);
}

/** `given`s that cannot apply are test mistakes, reported rather than silently ignored. */
function checkGivens(graph: Graph, test: TestCase, sim: Simulation, fail: (message: string) => void): void {
  for (const g of test.given) {
    if (g.kind === "split-picks") {
      const d = sim.decision;
      if (d.kind === "no-route") continue;
      const target = graph.routes[d.route.index]!.target;
      if (target.kind !== "split") fail(`\`given split picks ${g.target}\`: route \`${d.route.name}\` has no split`);
      else if (!target.arms.some((a) => a.model === g.target)) {
        fail(`\`given split picks ${g.target}\`: the split of route \`${d.route.name}\` has no arm \`${g.target}\` (arms: ${target.arms.map((a) => a.model).join(", ")})`);
      }
    } else if (g.kind === "budget-spent" && !Object.hasOwn(graph.budgets, g.budget)) fail(`\`given budget ${g.budget}\`: no such budget`);
    else if (g.kind === "limit-used" && !Object.hasOwn(graph.limits, g.limit)) fail(`\`given limit ${g.limit}\`: no such limit`);
  }
}

const list = (xs: readonly string[]): string => `[${xs.join(", ")}]`;

/** The failure message for one expectation, or undefined when it holds. */
export function checkExpect(e: TestExpect, sim: Simulation): string | undefined {
  const d = sim.decision;
  const routeName = d.kind === "no-route" ? undefined : d.route.name;
  switch (e.kind) {
    case "route":
      if (routeName === e.route) return undefined;
      return `expected route \`${e.route}\`, got ${routeName === undefined ? "no route" : `route \`${routeName}\``}`;
    case "no-route":
      return routeName === undefined ? undefined : `expected no route, got route \`${routeName}\``;
    case "target":
      if (sim.target === e.target) return undefined;
      return `expected target \`${e.target}\`, got ${actualTarget(sim)}`;
    case "target-in":
      if (sim.target !== undefined && e.targets.includes(sim.target)) return undefined;
      return `expected target in ${list(e.targets)}, got ${actualTarget(sim)}`;
    case "attempts":
      if (sim.tried.length === e.targets.length && sim.tried.every((m, i) => m === e.targets[i])) return undefined;
      return `expected attempts ${list(e.targets)}, got ${list(sim.tried)}${sim.tried.length === 0 ? ` (${sim.summary})` : ""}`;
    case "retries":
      return sim.retries === e.count ? undefined : `expected ${e.count} retries, got ${sim.retries}`;
    case "blocked": {
      const b = sim.guard?.blocked;
      if (b?.guardrail === e.guardrail) return undefined;
      return `expected blocked by guardrail \`${e.guardrail}\`, got ${b ? `blocked by \`${b.guardrail}\`` : `not blocked (${sim.summary})`}`;
    }
    case "flagged": {
      const flagged = sim.guard?.flagged.map((h) => h.guardrail) ?? [];
      if (flagged.includes(e.guardrail)) return undefined;
      return `expected flagged by guardrail \`${e.guardrail}\`, got ${flagged.length === 0 ? "no flags" : `flagged by ${flagged.map((g) => `\`${g}\``).join(", ")}`}`;
    }
    case "status":
      return sim.status === e.status ? undefined : `expected status ${e.status}, got ${sim.status} (${sim.summary})`;
    case "redacted":
      return sim.input === e.text ? undefined : `expected redacted input ${JSON.stringify(e.text)}, got ${JSON.stringify(sim.input)}`;
  }
}

function actualTarget(sim: Simulation): string {
  return sim.target === undefined ? `none (${sim.summary})` : `\`${sim.target}\`${sim.status === 200 ? "" : ` (${sim.summary})`}`;
}
