/**
 * Shadowing a candidate policy in production (`aigw serve --shadow`): for
 * every live request the candidate's decision is made too — the same
 * `decide`, on the candidate's prepared graph, with the request's facts and
 * the live decision's view (budgets and limits unspent, the same split draw,
 * the same target health, read without taking a probe) — and compared with
 * the live one (outcome.ts). Nothing is sent and nothing is charged: a
 * decision is pure. Differences are counted by route pair and kind
 * (`aigw_shadow_differences_total`), the latest are kept with a witness (the
 * facts the policies read, as `aigw explain` shows them: no credential, no
 * prompt text) for `GET /admin/shadow`, and logged at most once per pair and
 * kind per 10 s. Whatever the candidate does, `observe` never throws: a
 * failing evaluation is counted and logged, and the live request goes on.
 */
import type { Graph } from "../../compiler/graph.js";
import { prepare, type Decision, type Facts, type PreparedGraph, type StateView } from "../engine/index.js";
import { requestWitness, type RequestRecord } from "../engine/explain-decision.js";

/** Where differences are logged (observe/log.ts's Logger, by shape). */
interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

/** The counters the shadow keeps (observe/registry.ts's, by shape: the shadow sits below observe, which reads the pipeline). */
interface Counter {
  inc(values: readonly string[], n?: number): void;
}
interface Registry {
  counter(name: string, help: string, labelNames?: readonly string[]): Counter;
}

/** Decides a request on a prepared graph: the pipeline's decide step hands its own `decide`, so only the pipeline decides. */
export type DecideOn = (prepared: PreparedGraph, view: StateView) => Decision;
import { differenceOf, outcomeOf, outcomeText, type DifferenceKind, type ShadowOutcome } from "./outcome.js";

/** Samples kept for `/admin/shadow`. */
export const SAMPLES = 50;
/** Route pairs counted apart; beyond, pairs are counted as `other` (label cardinality stays bounded). */
const MAX_PAIRS = 500;
/** At most one log line per pair and kind in this long. */
const LOG_EVERY_MS = 10_000;

export interface ShadowOptions {
  /** Wall clock, ms (sample times, the log's rate limit). */
  now: () => number;
  log: Logger;
}

/** One difference, as `/admin/shadow` lists it. */
export interface ShadowSample {
  at: string;
  kind: DifferenceKind;
  live: OutcomeJson;
  shadow: OutcomeJson;
  /** The facts the two policies read, as the decision record shows them. */
  witness: RequestRecord;
}

interface OutcomeJson {
  route: string | null;
  outcome: string;
  targets: readonly string[];
  arm?: string;
  refusal?: string;
}

export interface Pair {
  live_route: string;
  shadow_route: string;
  kind: DifferenceKind;
  count: number;
}

/** The candidate as loaded: where from, and when. */
export interface CandidateInfo {
  policy: string;
  source: string;
  loadedAt: string;
  routes: number;
  /** Its own tests that failed (it is shadowed all the same). */
  failedTests: number;
}

/** `GET /admin/shadow`'s body. */
export interface ShadowStatus {
  candidate: CandidateInfo | null;
  /** Why no candidate is shadowed (it does not compile, or cannot be read). */
  error: { message: string; at: string; source: string } | null;
  requests: number;
  differences: number;
  errors: number;
  pairs: Pair[];
  samples: ShadowSample[];
}

export class Shadow {
  #candidate: { graph: Graph; prepared: PreparedGraph; info: CandidateInfo } | undefined;
  #error: { message: string; at: string; source: string } | undefined;
  #requests = 0;
  #differences = 0;
  #errors = 0;
  readonly #pairs = new Map<string, Pair>();
  #samples: ShadowSample[] = [];
  readonly #logged = new Map<string, number>();
  #metrics: { requests: Counter; differences: Counter; errors: Counter } | undefined;

  constructor(private readonly options: ShadowOptions) {}

  /** Shadows `graph` from now on (`prepared` is for tests that need a broken one). */
  use(graph: Graph, info: Omit<CandidateInfo, "policy" | "routes" | "loadedAt">, prepared: PreparedGraph = prepare(graph)): void {
    this.#candidate = { graph, prepared, info: { policy: graph.policy, routes: graph.routes.length, loadedAt: new Date(this.options.now()).toISOString(), ...info } };
    this.#error = undefined;
  }

  /** The candidate could not be loaded or does not compile: shadowing stops until one does. */
  fail(message: string, source: string): void {
    this.#candidate = undefined;
    this.#error = { message, at: new Date(this.options.now()).toISOString(), source };
  }

  /** Registers the shadow's counters with the gateway's metrics. */
  attach(registry: Registry): void {
    this.#metrics = {
      requests: registry.counter("aigw_shadow_requests_total", "Live requests the shadow candidate policy also decided."),
      differences: registry.counter("aigw_shadow_differences_total", "Live requests the shadow candidate decides differently, by the route each policy matched (none: no route) and what differs (refusal, route, targets, first_target, split_arm).", ["live_route", "shadow_route", "kind"]),
      errors: registry.counter("aigw_shadow_errors_total", "Shadow decisions that failed (the live request went on)."),
    };
    // Shown from the start, at 0, so a dashboard can tell "no differences" from "no shadow".
    this.#metrics.requests.inc([], 0);
    this.#metrics.errors.inc([], 0);
  }

  /** Decides the request on the candidate with `decideOn` and compares; never throws. `view` is the live decision's; `health` reads without side effects. */
  observe(live: Graph, facts: Facts, decision: Decision, view: StateView, health: StateView["health"], decideOn: DecideOn): void {
    const c = this.#candidate;
    if (c === undefined) return;
    try {
      this.#requests++;
      this.#metrics?.requests.inc([]);
      const shadowView: StateView = health === undefined ? view : { ...view, health };
      const a = outcomeOf(decision);
      const b = outcomeOf(decideOn(c.prepared, shadowView));
      const kind = differenceOf(a, b);
      if (kind !== undefined) this.#differ(live, c.graph, facts, a, b, kind);
    } catch (err) {
      this.#errors++;
      this.#metrics?.errors.inc([]);
      this.#once("error", () => this.options.log.warn("shadow decision failed; the live request is not affected", { policy: c.info.policy, error: err instanceof Error ? err.message : String(err) }));
    }
  }

  #differ(live: Graph, candidate: Graph, facts: Facts, a: ShadowOutcome, b: ShadowOutcome, kind: DifferenceKind): void {
    this.#differences++;
    const key = `${a.route ?? ""}\u0000${b.route ?? ""}\u0000${kind}`;
    let pair = this.#pairs.get(key);
    if (pair === undefined && this.#pairs.size < MAX_PAIRS) this.#pairs.set(key, (pair = { live_route: a.route ?? "none", shadow_route: b.route ?? "none", kind, count: 0 }));
    const labels = pair === undefined ? ["other", "other", kind] : [pair.live_route, pair.shadow_route, kind];
    if (pair !== undefined) pair.count++;
    this.#metrics?.differences.inc(labels);
    const sample: ShadowSample = { at: new Date(this.options.now()).toISOString(), kind, live: json(a), shadow: json(b), witness: requestWitness([live, candidate], facts) };
    this.#samples.unshift(sample);
    if (this.#samples.length > SAMPLES) this.#samples.length = SAMPLES;
    this.#once(key, () =>
      this.options.log.info("shadow difference", { kind, liveRoute: labels[0], shadowRoute: labels[1], live: sample.live.outcome, shadow: sample.shadow.outcome, witness: sample.witness }),
    );
  }

  /** Runs `say` unless it ran for `key` less than LOG_EVERY_MS ago. */
  #once(key: string, say: () => void): void {
    const now = this.options.now();
    const last = this.#logged.get(key);
    if (last !== undefined && now - last < LOG_EVERY_MS) return;
    if (this.#logged.size >= MAX_PAIRS * 2) this.#logged.clear();
    this.#logged.set(key, now);
    say();
  }

  /** `GET /admin/shadow`. */
  status(): ShadowStatus {
    const c = this.#candidate;
    return {
      candidate: c === undefined ? null : c.info,
      error: this.#error ?? null,
      requests: this.#requests,
      differences: this.#differences,
      errors: this.#errors,
      pairs: [...this.#pairs.values()].filter((p) => p.count > 0).sort((x, y) => y.count - x.count),
      samples: this.#samples,
    };
  }
}

function json(o: ShadowOutcome): OutcomeJson {
  return {
    route: o.route ?? null,
    outcome: outcomeText(o),
    targets: o.targets,
    ...(o.arm !== undefined ? { arm: o.arm } : {}),
    ...(o.refusal !== undefined ? { refusal: o.refusal } : {}),
  };
}
