/**
 * Runs a policy's `test` blocks on its compiled graph, exactly as the server
 * would handle the request: `decide`, then the input guardrails, then the
 * budget/limit verdict, then the plan — through the server's own plan
 * driver (runtime/engine/run-plan.ts) on a virtual clock, so timeouts,
 * retries, backoff, `Retry-After` and the gateway's `deadline` play out as
 * they do live. The `given`s stand in for the world:
 * - `given budget B spent $X` / `given limit L used N`: the state view
 *   reports X (or N, for both requests and tokens) for every scope key;
 * - `given split picks T`: the split picks T (T must be one of its arms);
 * - `given T fails R [once] [retry after D]`: every try of T (or only the
 *   first) fails with R (`429`, `5xx` as 500, `timeout`, `connection`),
 *   the failure carrying `Retry-After: D`; other tries answer;
 * - `given T answers "text" [streamed in chunks of N]`: T's reply says text
 *   (as a stream of N-character deltas), which the route's output
 *   guardrails then inspect (a stream through their hold-back window, as on the server);
 * - `given cache hit`: the route's cache holds an entry for the request, so
 *   an eligible request that does not bypass it is answered from it — no
 *   tries, status 200, the target the plan would try first — before budgets
 *   and limits, unless the cache says `charge hits`; without it every
 *   lookup misses;
 * - `given T latency D`: every try of T takes D before it answers or fails;
 *   a try whose time reaches its timeout (the target's, capped by the time
 *   left before the deadline) times out then, and a `fails timeout` try
 *   always takes its whole timeout.
 * Draws and jitter come from a generator seeded by the test's name, so a
 * test gives the same result on every run and machine.
 */
import type { FailureReason, Graph, SourceRef, TestCase, TestExpect } from "../../compiler/graph.js";
import { retryCount, triedModels, type AttemptRecord, type AttemptsError, type Outcome } from "../engine/attempts.js";
import { runPlan, type TryReply } from "../engine/run-plan.js";
import type { PlannedTarget } from "../engine/plan.js";
import { decide } from "../engine/decide.js";
import { unfitMessage } from "../engine/fit.js";
import { cacheVerdict } from "../engine/cache.js";
import { prepare, type PreparedGraph } from "../engine/prepare.js";
import type { Decision } from "../engine/decision.js";
import { factsFromTestRequest, primeBudgetUse, type Facts } from "../engine/facts.js";
import { budgetUse, budgetsReadByConditions } from "../engine/budget-use.js";
import { applyGuardrails, type GuardOutcome } from "../engine/guardrails.js";
import { StreamHits, streamGuardPlan, TextGuard } from "../engine/stream-guard.js";
import type { FailureCause } from "../engine/plan.js";
import { seedOf, seededRandom } from "../engine/random.js";
import type { StateView } from "../engine/state.js";
import { loadedTokenizer, type Tokenizer } from "../engine/tokens.js";
import { givenHealth, type HealthGiven } from "../health/index.js";
import { testCharge, type Charge } from "./test-charge.js";
import { shapeParams } from "../request/shape.js";
import { testHeaders } from "./test-headers.js";
import type { HeaderList } from "../pipeline/headers.js";

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
  /** The route the request matched; absent when none did (or the test could not run). */
  route?: string;
  /** Every try as `model:cause` (`big:timeout`, `son:200`); absent when the test could not run. */
  attempts?: string[];
  /** The model that answered. */
  target?: string;
  /** The status the request ended with. */
  status?: number;
}

/** Options for running policy tests. */
export interface PolicyTestOptions {
  /** Counts tokens when a test's request has no `input_tokens` and a policy reads them. Default: the loaded one, if any. */
  tokenizer?: Tokenizer;
  /** Mixed into each test's seed, to check that tests do not depend on a lucky draw. */
  seed?: number;
  /** Hears each test's simulated request (coverage reads them). */
  onSimulation?: (test: TestCase, sim: Simulation) => void;
}

/** What happened to a simulated request, end to end. */
export interface Simulation {
  decision: Decision;
  /** The input guardrails' verdict; undefined when there was no route. */
  guard: GuardOutcome | undefined;
  /** Every try, in order (`big:timeout,big:timeout`, as `x-aigw-attempts` says); empty when nothing was sent. */
  attempts: readonly AttemptRecord[];
  /** The final error when the tries produced no answer. */
  error: AttemptsError | undefined;
  /** Virtual milliseconds from the first try to the answer or the failure. */
  elapsedMs: number;
  /** The HTTP status the client would get. */
  status: number;
  /** The target that answered, or the last one tried. */
  target: string | undefined;
  /** Targets tried, in order, each once. */
  tried: string[];
  retries: number;
  /** The input text after redaction. */
  input: string;
  /** The output guardrails' verdict on the reply (a stream's: the text it released): undefined when nothing answered or the reply had no text (`given T answers`). */
  output: GuardOutcome | undefined;
  /** Why the request ended as it did, for messages: `blocked by guardrail \`pii\``. */
  summary: string;
  /** How the route's cache took part (engine/cache.ts); undefined when the route has none or the request never got that far. */
  cache?: "hit" | "miss" | "bypass" | "ineligible";
  /** What the request is charged (test-charge.ts); set by the test runner, for `expect cost`. */
  charge?: Charge;
  /** The shapeable parameters of the request sent, after the route's shaping; set by the test runner, for `expect shaped`. */
  sent?: SentParams;
  /** The budget and rate-limit headers of the answer (test-headers.ts); set by the test runner, for `expect header`. */
  headers?: HeaderList;
}

/** `max_tokens`, `temperature` and `top_p` of the request sent, by their policy names; absent: not sent. */
export type SentParams = Readonly<Record<string, number | undefined>>;

/** The parameters the matched route sends for the request the facts describe (the server's shape step applies the same rule). */
export function sentParams(graph: Graph, facts: Facts, decision: Decision): SentParams {
  const asked = { maxTokens: facts.maxTokens, temperature: facts.temperature, topP: facts.topP };
  const shaping = decision.kind === "no-route" ? undefined : graph.routes[decision.route.index]?.shaping;
  const p = shaping === undefined ? asked : shapeParams(defined(asked), shaping).params;
  return { max_tokens: p.maxTokens, temperature: p.temperature, top_p: p.topP };
}

function defined<T extends object>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}

/** How one target behaves in a simulation (the `given`s about it). */
export interface TargetBehaviour {
  /** Its tries fail with this; undefined: they answer. */
  readonly fails?: FailureCause;
  /** Only the first `times` tries fail; undefined: every try. */
  readonly times?: number;
  /** The `Retry-After` a failure carries. */
  readonly retryAfterMs?: number;
  /** How long a try takes before it answers or fails. Default 0. */
  readonly latencyMs?: number;
  /** The text of its reply. Default: none (output guardrails find nothing). */
  readonly answer?: string;
  /** The reply streams in deltas of this many characters (`streamed in chunks of N`). */
  readonly chunks?: number;
}

/** Runs every test. Never throws: an unexpected error fails that test with an `internal error` message. */
export async function runPolicyTests(graph: Graph, tests: readonly TestCase[], options: PolicyTestOptions = {}): Promise<TestResult[]> {
  let p: PreparedGraph;
  try {
    p = prepare(graph);
  } catch (e) {
    return tests.map((t) => internalError(t, e)); // each test reports the malformed graph
  }
  const out: TestResult[] = [];
  for (const t of tests) out.push(await runPrepared(p, t, options));
  return out;
}

/** Runs one test. */
export async function runPolicyTest(graph: Graph, test: TestCase, options: PolicyTestOptions = {}): Promise<TestResult> {
  return (await runPolicyTests(graph, [test], options))[0]!;
}

function internalError(test: TestCase, e: unknown): TestResult {
  const message = `internal error: ${(e as Error).message}`;
  return { name: test.name, file: test.span.file, line: test.span.line, passed: false, message, failures: [{ line: test.span.line, column: test.span.column, message }] };
}

async function runPrepared(p: PreparedGraph, test: TestCase, options: PolicyTestOptions): Promise<TestResult> {
  const graph = p.graph;
  const base = { name: test.name, file: test.span.file, line: test.span.line };
  const failures: { line: number; column: number; message: string }[] = [];
  const fail = (span: SourceRef, message: string): void => {
    failures.push({ line: span.line, column: span.column, message });
  };
  let reached: Reached | undefined;
  try {
    const tokenizer = options.tokenizer ?? loadedTokenizer();
    const facts = givenFacts(test, graph, tokenizer);
    const random = seededRandom(seedOf(test.name, options.seed ?? 0));
    const cached = test.given.some((g) => g.kind === "cache-hit");
    const world = givenWorld(test);
    const state = givenState(test, random, graph);
    const simulated = await simulate(p, facts, state, world, random, cached);
    const upstream = simulated.status === 200 && simulated.attempts.length > 0 && simulated.target !== undefined;
    const answered = upstream ? { model: simulated.target!, answer: world.get(simulated.target!)?.answer } : undefined;
    let sim: Simulation = test.expect.some((e) => e.kind === "cost") ? { ...simulated, charge: testCharge(graph, answered, facts, tokenizer) } : simulated;
    if (test.expect.some((e) => e.kind === "shaped")) sim = { ...sim, sent: sentParams(graph, facts, sim.decision) };
    if (test.expect.some((e) => e.kind === "header")) sim = { ...sim, headers: await admissionHeaders(p, sim, facts, state) };
    reached = reachedBy(sim);
    options.onSimulation?.(test, sim);
    checkGivens(graph, test, sim, (m) => fail(test.span, m));
    for (const e of test.expect) {
      const m = checkExpect(e, sim);
      if (m !== undefined) fail(e.span, m);
    }
  } catch (e) {
    fail(test.span, `internal error: ${(e as Error).message}`);
  }
  const result: TestResult = reached === undefined ? { ...base, passed: true } : { ...base, passed: true, ...reached };
  if (failures.length === 0) return result;
  return { ...result, passed: false, message: failures.map((f) => f.message).join("\n"), failures };
}

/**
 * The admission's headers as the caller gets them: on a 429 of a budget or
 * limit, and on an answer from upstream (the server drops them from an
 * error after failed tries, and a blocked request or a cache hit never
 * reached admission).
 */
async function admissionHeaders(p: PreparedGraph, sim: Simulation, facts: Facts, state: StateView): Promise<HeaderList> {
  const sent = sim.decision.kind === "rejected" || (sim.status === 200 && sim.attempts.length > 0);
  return sent ? testHeaders(p, sim.decision, facts, state) : [];
}

/** What a test's request reached, for its JSON result and for coverage. */
export interface Reached {
  /** The route matched; absent when none did. */
  route?: string;
  /** Every try, as `model:cause` (`big:timeout`), in order. */
  attempts: string[];
  /** The model that answered; absent when none did. */
  target?: string;
  status: number;
}

function reachedBy(sim: Simulation): Reached {
  const d = sim.decision;
  const r: Reached = { attempts: sim.attempts.map((a) => `${a.model}:${a.cause === "ok" ? 200 : a.cause}`), status: sim.status };
  if (d.kind !== "no-route") r.route = d.route.name;
  if (sim.status === 200 && sim.target !== undefined) r.target = sim.target;
  return r;
}

/**
 * Handles one request the way the server does, with `world` saying how each
 * target behaves. Order: no route (404) → input guardrails (a block is 400,
 * before any budget is charged) → budget/limit rejection (429) → the plan,
 * run by the server's driver on a virtual clock that starts at 0 with the
 * gateway's `deadline` (200, or the plan's final status).
 */
export async function simulate(
  graph: PreparedGraph,
  facts: Facts,
  state: StateView,
  world: ReadonlyMap<string, TargetBehaviour>,
  random: () => number,
  cached = false,
): Promise<Simulation> {
  const decision = decide(graph, facts, state);
  const none = { guard: undefined, attempts: [], error: undefined, elapsedMs: 0, target: undefined, tried: [], retries: 0, input: facts.text, output: undefined };
  if (decision.kind === "no-route") return { ...none, decision, status: 404, summary: "no route (404)" };
  if (decision.kind === "refused") return { ...none, decision, status: decision.status, summary: `rejected by route \`${decision.route.name}\`: ${decision.message} (${decision.status})` };
  // As the server's decide step: no target can take the request (a downgrade's plan is judged at the budget stage, below).
  const unfit = decision.kind === "route" && decision.plan.targets.length === 0 && decision.unfit !== undefined ? unfitMessage(decision.route.name, decision.unfit, facts) : undefined;
  if (unfit !== undefined && decision.kind === "route" && decision.downgrade === undefined) return { ...none, decision, status: 400, summary: `refused: ${unfit} (400)` };
  const guard = applyGuardrails(graph, decision.guardrails, "input", facts);
  const input = guard.texts[0] ?? "";
  if (guard.blocked !== undefined) {
    return { ...none, decision, guard, input, status: 400, summary: `blocked by guardrail \`${guard.blocked.guardrail}\` (400)` };
  }
  // The server's cache step (pipeline/steps/cache.ts) sits after the input guardrails and before admission.
  const verdict = cacheVerdict(graph.routes[decision.route.index]!, facts);
  const cache: Simulation["cache"] = verdict.kind === "none" ? undefined : verdict.kind === "lookup" ? (cached ? "hit" : "miss") : verdict.kind;
  const hit = cache === undefined ? {} : { cache };
  if (cache === "hit" && verdict.kind === "lookup" && (!verdict.cache.node.chargeHits || decision.kind === "route")) {
    const target = decision.kind === "route" ? decision.plan.targets[0]?.model : graph.routes[decision.route.index]!.plans[0]?.targets[0]?.model;
    return { ...none, decision, guard, input, status: 200, target, ...hit, summary: `answered from cache \`${verdict.cache.name}\`` };
  }
  if (decision.kind === "rejected") return { ...none, decision, guard, input, status: 429, ...hit, summary: `rejected: ${decision.message} (429)` };
  if (unfit !== undefined) return { ...none, decision, guard, input, status: 400, ...hit, summary: `refused: ${unfit} (400)` };

  let now = 0;
  const triesOf = new Map<string, number>();
  const run = await runPlan<undefined>(decision, {
    deadlineAt: graph.graph.gateway.deadlineMs,
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
    random,
    send: async (target: PlannedTarget, timeoutMs: number): Promise<TryReply<undefined>> => {
      const n = (triesOf.get(target.model) ?? 0) + 1;
      triesOf.set(target.model, n);
      const b = world.get(target.model) ?? world.get(declaredModel(target.model));
      const failing = b?.fails !== undefined && (b.times === undefined || n <= b.times) ? b.fails : undefined;
      const latency = b?.latencyMs ?? 0;
      // A try that does not end before its timeout is cut there; `fails timeout` always waits it out.
      if (failing === "timeout" || latency >= timeoutMs) {
        now += timeoutMs;
        return { kind: "failed", outcome: { ok: false, cause: "timeout" } };
      }
      now += latency;
      if (failing === undefined) return { kind: "answered", value: undefined };
      const outcome: Outcome = b?.retryAfterMs === undefined ? { ok: false, cause: failing } : { ok: false, cause: failing, retryAfterMs: b.retryAfterMs };
      return { kind: "failed", outcome };
    },
  });
  const attempts = run.attempts;
  const tried = triedModels(attempts);
  const retries = retryCount(attempts);
  const sent = { decision, guard, attempts, elapsedMs: now, tried, retries, input, ...hit };
  if (run.kind === "answered") {
    // The server's output guard (pipeline/steps/output-guard.ts): the route's output rules on the reply's text, or on its stream.
    const behaviour = world.get(run.target.model);
    const answer = behaviour?.answer;
    const streamed = facts.stream || behaviour?.chunks !== undefined;
    const output = answer === undefined ? undefined : streamed ? streamOutput(graph, decision.guardrails, facts, answer, behaviour?.chunks) : applyGuardrails(graph, decision.guardrails, "output", facts, [answer]);
    return { ...sent, error: undefined, output, status: 200, target: run.target.model, summary: `answered by \`${run.target.model}\`` };
  }
  const error = run.kind === "failed" ? run.error : undefined;
  return {
    ...sent,
    output: undefined,
    error,
    status: error?.status ?? 502,
    target: tried[tried.length - 1],
    summary: `failed after ${now} ms: ${error?.message ?? "unfinished"} (${error?.status ?? 502})`,
  };
}

/** A test's request as facts, with `budget_used` worked out from its `given budget B spent $X` (nothing spent otherwise). */
export function givenFacts(test: TestCase, graph: Graph, tokenizer: Tokenizer | undefined): Facts {
  const facts = factsFromTestRequest(test.request, graph, tokenizer);
  const names = budgetsReadByConditions(graph);
  if (names.length === 0) return facts;
  const spent = new Map<string, number>();
  for (const g of test.given) if (g.kind === "budget-spent") spent.set(g.budget, g.amount);
  primeBudgetUse(facts, budgetUse(graph, names, facts, (b) => spent.get(b) ?? 0));
  return facts;
}

/** The state a test's `given`s describe: amounts for every scope key, the forced split, draws from `random`. */
export function givenState(test: TestCase, random: () => number, graph: Pick<Graph, "health"> = {}): StateView {
  const spent = new Map<string, number>();
  const used = new Map<string, number>();
  let forcedSplit: string | undefined;
  const live: HealthGiven[] = [];
  const latency = new Map<string, number>();
  for (const g of test.given) {
    // `given T latency D` is how long T's tries take, and so what its latency estimate says (`split fastest`).
    if (g.kind === "latency") latency.set(g.target, g.ms);
    if (g.kind === "budget-spent") spent.set(g.budget, g.amount);
    else if (g.kind === "limit-used") used.set(g.limit, g.amount);
    else if (g.kind === "split-picks") forcedSplit = g.target;
    else if (g.kind === "ejected" || g.kind === "failures") live.push(g);
  }
  const health = givenHealth(graph, live);
  return {
    budgetSpent: (budget) => spent.get(budget) ?? 0,
    limitUsed: (limit) => used.get(limit) ?? 0,
    draw: random,
    forcedSplit,
    ...(health === undefined ? {} : { health }),
    ...(latency.size === 0 ? {} : { latency: (model: string) => latency.get(model) }),
  };
}

/** How each target behaves, from a test's `fails` and `latency` givens. */
export function givenWorld(test: TestCase): Map<string, TargetBehaviour> {
  const world = new Map<string, TargetBehaviour>();
  for (const g of test.given) {
    if (g.kind === "fails") {
      const b: TargetBehaviour = { ...world.get(g.target), fails: failureCause(g.reason) };
      world.set(g.target, { ...b, ...(g.times === undefined ? {} : { times: g.times }), ...(g.retryAfterMs === undefined ? {} : { retryAfterMs: g.retryAfterMs }) });
    } else if (g.kind === "latency") world.set(g.target, { ...world.get(g.target), latencyMs: g.ms });
    else if (g.kind === "answers") world.set(g.target, { ...world.get(g.target), answer: g.text, ...(g.chunks === undefined ? {} : { chunks: g.chunks }) });
  }
  return world;
}

/** A `given … fails R` reason as a concrete failure: a status class becomes its first status (`5xx` → 500). */
export function failureCause(reason: FailureReason): FailureCause {
  if (reason === "timeout" || reason === "connection" || reason === "context_length" || reason === "content_filter") return reason;
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
    else if (g.kind === "ejected" || g.kind === "failures") {
      const d = sim.decision;
      if (d.kind !== "no-route" && graph.routes[d.route.index]!.health === undefined) {
        fail(`\`given ${g.target} ${g.kind === "ejected" ? "ejected" : `failures ${g.failures} of ${g.of}`}\`: route \`${d.route.name}\` has no \`health\` policy, so target health cannot change its decision`);
      }
    }
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
      if (sim.target !== undefined && declaredModel(sim.target) === e.target) return undefined;
      return `expected target \`${e.target}\`, got ${actualTarget(sim)}`;
    case "target-in":
      if (sim.target !== undefined && e.targets.includes(declaredModel(sim.target))) return undefined;
      return `expected target in ${list(e.targets)}, got ${actualTarget(sim)}`;
    case "attempts":
      if (sim.tried.length === e.targets.length && sim.tried.every((m, i) => declaredModel(m) === e.targets[i])) return undefined;
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
    case "output-redacted": {
      const o = sim.output;
      if (o !== undefined && o.blocked === undefined && o.texts[0] === e.text) return undefined;
      const got = o === undefined ? `no output checked (${sim.status === 200 ? "no `given … answers` for the target" : sim.summary})` : o.blocked ? `withheld by guardrail \`${o.blocked.guardrail}\`` : JSON.stringify(o.texts[0] ?? "");
      return `expected redacted output ${JSON.stringify(e.text)}, got ${got}`;
    }
    case "output-blocked": {
      const b = sim.output?.blocked;
      if (b?.guardrail === e.guardrail) return undefined;
      return `expected output blocked by guardrail \`${e.guardrail}\`, got ${b ? `blocked by \`${b.guardrail}\`` : "output not blocked"}`;
    }
    case "output-flagged": {
      const flagged = sim.output?.flagged.map((h) => h.guardrail) ?? [];
      if (flagged.includes(e.guardrail)) return undefined;
      return `expected output flagged by guardrail \`${e.guardrail}\`, got ${flagged.length === 0 ? "no output flags" : `flagged by ${flagged.map((g) => `\`${g}\``).join(", ")}`}`;
    }
    case "rejected": {
      if (e.by === undefined) return d.kind === "refused" ? undefined : `expected the route to reject the request, got ${sim.summary}`;
      const by = d.kind === "rejected" ? (d.reason.kind === "budget" ? d.reason.budget : d.reason.limit) : undefined;
      if (by === e.by) return undefined;
      return `expected rejected by \`${e.by}\`, got ${by === undefined ? `not rejected (${sim.summary})` : `rejected by \`${by}\``}`;
    }
    case "warned": {
      const warned = d.kind === "no-route" ? [] : d.budgets.filter((b) => b.state === "warn").map((b) => b.budget);
      if (warned.includes(e.budget)) return undefined;
      return `expected warned by budget \`${e.budget}\`, got ${warned.length === 0 ? "no budget warning" : `warnings from ${warned.map((b) => `\`${b}\``).join(", ")}`}`;
    }
    case "status":
      return sim.status === e.status ? undefined : `expected status ${e.status}, got ${sim.status} (${sim.summary})`;
    case "cost":
      return costMismatch(e, sim);
    case "shaped": {
      const v = sim.sent?.[e.param];
      if (v === e.value) return undefined;
      return `expected ${e.param} ${e.value} in the request sent, got ${v === undefined ? `none (${routeName === undefined ? "no route matched" : "neither the request nor the route sets it"})` : v}`;
    }
    case "redacted":
      return sim.input === e.text ? undefined : `expected redacted input ${JSON.stringify(e.text)}, got ${JSON.stringify(sim.input)}`;
    case "header": {
      const got = sim.headers?.find(([n]) => n === e.name)?.[1];
      if (got === e.value) return undefined;
      return `expected header \`${e.name}\` ${JSON.stringify(e.value)}, got ${got === undefined ? `no such header (${sim.headers?.length ? `the answer has ${sim.headers.map(([n]) => `\`${n}\``).join(", ")}` : sim.summary})` : JSON.stringify(got)}`;
    }
    case "cache": {
      if (sim.cache === e.result) return undefined;
      if (sim.cache === "ineligible") return `expected cache ${e.result}, got no lookup: the request is not eligible (the cache's \`when\` is false)`;
      if (sim.cache !== undefined) return `expected cache ${e.result}, got cache ${sim.cache}`;
      return `expected cache ${e.result}, got no lookup (${d.kind === "no-route" || sim.guard?.blocked !== undefined ? sim.summary : `route \`${d.route.name}\` has no cache`})`;
    }
  }
}

/** The declared model a target is: a wildcard's price-table row (`any/gpt-4o`) is its wildcard (`any`), which a test names. */
function declaredModel(target: string): string {
  const slash = target.indexOf("/");
  return slash < 0 ? target : target.slice(0, slash);
}

function actualTarget(sim: Simulation): string {
  return sim.target === undefined ? `none (${sim.summary})` : `\`${sim.target}\`${sim.status === 200 ? "" : ` (${sim.summary})`}`;
}

/**
 * What a stream of `answer` in deltas of `chunk` characters (one delta when
 * unset) releases through the route's output rules, in the engine's verdict
 * shape: the released text, and the block that ended it.
 */
function streamOutput(graph: PreparedGraph, guardrails: readonly string[], facts: Facts, answer: string, chunk = answer.length || 1): GuardOutcome {
  const plan = streamGuardPlan(graph, guardrails, facts);
  if (plan === undefined) return { blocked: undefined, texts: [answer], redacted: [], flagged: [] };
  const hits = new StreamHits();
  const guard = new TextGuard(plan, hits);
  const deltas: (string | undefined)[] = [];
  for (let at = 0; at < answer.length; at += chunk) deltas.push(answer.slice(at, at + chunk));
  let text = "";
  for (const d of [...deltas, undefined]) {
    const r = d === undefined ? guard.end() : guard.push(d);
    text += r.text;
    if (r.blocked !== undefined) break;
  }
  const report = hits.report(plan);
  return { blocked: report.blocked, texts: [text], redacted: report.redacted, flagged: report.flagged };
}

/** Dollars as a test would write them, to a millionth of a cent: `$0.0021`. */
const money = (d: number): string => `$${+d.toPrecision(6)}`;

/** `expect cost`: equality to a billionth of a dollar (prices × tokens in floating point), else the comparison. */
function costMismatch(e: Extract<TestExpect, { kind: "cost" }>, sim: Simulation): string | undefined {
  const c = sim.charge;
  if (c === undefined) return "internal error: the charge was not computed";
  const wanted = e.op === "==" ? `cost ${money(e.dollars)}` : `cost ${e.op} ${money(e.dollars)}`;
  if (c.dollars === undefined) return `expected ${wanted}, but \`${c.model}\` declares no price`;
  const d = c.dollars;
  const near = Math.abs(d - e.dollars) < 1e-9;
  const holds = e.op === "==" ? near : e.op === "<=" ? d <= e.dollars || near : e.op === ">=" ? d >= e.dollars || near : e.op === "<" ? d < e.dollars && !near : d > e.dollars && !near;
  if (holds) return undefined;
  const how = c.model === undefined ? `nothing upstream answered (${sim.summary})` : `\`${c.model}\`: ${c.input} tokens in, ${c.output} out`;
  return `expected ${wanted}, got ${money(d)} (${how})`;
}
