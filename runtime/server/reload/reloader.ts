/**
 * Hot reload: load a policy snapshot from its source, verify it exactly as
 * `aigw check` does (compile, schema, tests, reference cross-check) off the
 * request path, and install it with one `setGraph` — or refuse it, keep the
 * last good graph serving, log each diagnostic, and remember the refusal
 * for `GET /admin/policy`.
 *
 * A watched save is taken only once its files are stable (the source's
 * `settled`: read again after a settle window, unchanged), and a policy
 * that passes every check is still refused by the reload gate
 * (shrink-gate.ts) when it would drop every route or key, or too many
 * routes.
 *
 * Reloads never overlap: a trigger while one runs queues one more run
 * (any number of triggers coalesce into it), so the last state of the
 * source is always the one compiled last.
 */
import { diagnosticJson } from "../../../lang/diagnostics.js";
import type { Graph } from "../../../compiler/graph.js";
import type { Logger } from "../../observe/log.js";
import { silentLogger } from "../../observe/log.js";
import type { PolicySource, Snapshot, SourceWatch } from "./source.js";
import { countReload, type ReloadStats, type ReloadStatus } from "./stats.js";
import {
  describeOrigin,
  failedTest,
  MAX_LISTED,
  type ActivePolicy,
  type PolicyStatus,
  type RejectedAttempt,
  type ReloadTrigger,
} from "./status.js";
import { shrinkRefusal } from "./shrink-gate.js";
import { defaultVerifier, type Verifier, type VerifyReport } from "./verifier.js";

export interface ReloaderOptions {
  source: PolicySource;
  /** The gateway's environment; only whether each variable is set reaches the compiler. */
  env: Readonly<Record<string, string | undefined>>;
  /** Default: a worker thread when running from JavaScript, else in-process. */
  verifier?: Verifier;
  /** Wall clock in ms. Default `Date.now`. */
  clock?: () => number;
}

/** A loaded and verified snapshot (or why there is none). */
export interface Checked {
  snapshot?: Snapshot;
  report?: VerifyReport;
  /** The source could not be read or the compiler failed. */
  error?: string;
  /** How long reading the source took (for git: resolving the ref and reading the tree). */
  loadMs?: number;
}

export type ReloadOutcome =
  | { status: "applied" | "unchanged"; active: ActivePolicy; ms: number }
  | { status: "rejected"; rejected: RejectedAttempt; ms: number };

/**
 * What a reload installs graphs into: the gateway. `setGraph` throws (or
 * rejects) on a graph the runtime refuses; the worker pool of `aigw serve
 * --workers` resolves once every worker has it.
 */
export interface SwapTarget {
  setGraph(graph: Graph): void | Promise<void>;
  /** The gateway's metrics (runtime/observe), told of every finished attempt: `aigw_policy_reloads_total{result}`. */
  readonly metrics?: { policyReloaded(ok: boolean, refused?: boolean): void } | undefined;
}

const RECENT = 10;

/** How many settle windows a watched save may keep changing through before the attempt gives up (the next file event tries again). */
const MAX_SETTLE_ROUNDS = 25;

export class Reloader {
  readonly #source: PolicySource;
  readonly #env: Readonly<Record<string, string>>;
  readonly #verifier: Verifier;
  readonly #clock: () => number;
  readonly #stats: ReloadStats = { attempts: 0, applied: 0, unchanged: 0, rejected: 0 };
  #target?: SwapTarget;
  #log: Logger = silentLogger;
  #active?: { graph: Graph; info: ActivePolicy };
  #rejected: RejectedAttempt[] = [];
  /** The texts of the last refusal, while nothing has been applied since (see `#attempt`). */
  #refusedKey: string | undefined;
  #watch?: SourceWatch;
  #running?: Promise<ReloadOutcome>;
  #queued?: Promise<ReloadOutcome>;
  #closed = false;

  constructor(options: ReloaderOptions) {
    this.#source = options.source;
    this.#env = presence(options.env);
    this.#verifier = options.verifier ?? defaultVerifier();
    this.#clock = options.clock ?? Date.now;
  }

  /** Where compiles run (`worker` or `inline`). */
  get verifierKind(): "worker" | "inline" {
    return this.#verifier.kind;
  }

  /** Loads and verifies the source's policy without installing it: start-up uses this before the gateway exists. */
  async check(): Promise<Checked> {
    let snapshot: Snapshot;
    const started = this.#clock();
    try {
      snapshot = await this.#source.load();
    } catch (err) {
      return { error: message(err) };
    }
    const loadMs = this.#clock() - started;
    try {
      return { snapshot, loadMs, report: await this.#verifier.verify(snapshot.input, this.#env) };
    } catch (err) {
      return { snapshot, loadMs, error: message(err) };
    }
  }

  /**
   * Serves `first` (a passing `check()`, already installed in `target`) and,
   * with `watch`, starts following the source.
   */
  async start(target: SwapTarget, first: Checked, options: { log?: Logger; watch?: boolean } = {}): Promise<void> {
    const graph = first.report?.graph;
    if (!first.snapshot || !first.report?.ok || !graph) throw new Error("Reloader.start needs a policy that passed check()");
    this.#target = target;
    this.#log = options.log ?? silentLogger;
    this.#active = { graph, info: this.#info(graph, first.snapshot, "start") };
    if (options.watch && !this.#closed) {
      this.#watch = await this.#source.watch((trigger) => void this.reload(trigger));
      this.#watch.update(first.report);
    }
  }

  /** The graph serving new requests (the admin endpoints read their token from it). */
  get graph(): Graph {
    if (!this.#active) throw new Error("the reloader has not started");
    return this.#active.graph;
  }

  /** Loads, verifies and installs the source's current policy; resolves with what happened. Never rejects. */
  reload(trigger: ReloadTrigger): Promise<ReloadOutcome> {
    if (this.#running === undefined) return this.#run(trigger);
    this.#queued ??= this.#running.then(() => {
      this.#queued = undefined;
      return this.#run(trigger);
    });
    return this.#queued;
  }

  /** For `GET /admin/policy`. */
  status(): PolicyStatus {
    if (!this.#active) throw new Error("the reloader has not started");
    return { active: this.#active.info, lastRejected: this.#rejected[0] ?? null, recentRejected: [...this.#rejected], reloads: this.stats() };
  }

  /** This reloader's counters (a copy); `reloadStats()` in stats.ts has the process-wide ones. */
  stats(): ReloadStats {
    return { ...this.#stats };
  }

  /** Stops watching and the compile worker; waits for a reload in progress. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#watch?.close();
    await this.#queued;
    await this.#running;
    await this.#verifier.close();
  }

  #run(trigger: ReloadTrigger): Promise<ReloadOutcome> {
    const run = this.#attempt(trigger).finally(() => {
      if (this.#running === run) this.#running = undefined;
    });
    this.#running = run;
    return run;
  }

  async #attempt(trigger: ReloadTrigger): Promise<ReloadOutcome> {
    const started = this.#clock();
    let checked = await this.check();
    // A watched save counts only once its files are stable: a file being written in place is never compiled
    // half-written into the serving policy (nor refused, logged and counted as if it were the save).
    const settled = trigger === "file" ? this.#watch?.settled?.bind(this.#watch) : undefined;
    for (let round = 0; settled !== undefined && checked.report !== undefined && !(await settled(checked.report)); round++) {
      if (round >= MAX_SETTLE_ROUNDS || this.#closed) return this.#reject(trigger, checked, started, "the policy files kept changing; waiting for the next save");
      checked = await this.check();
    }
    if (checked.report) this.#watch?.update(checked.report);
    const ms = (): number => this.#clock() - started;
    const active = this.#active;
    const graph = checked.report?.graph;
    if (!active || !this.#target) return this.#reject(trigger, checked, started, "the reloader has not started");
    if (!checked.snapshot || !checked.report?.ok || !graph) {
      // A watcher can report one save twice (a raw event, then the processed one): the same refused texts
      // are not refused, logged and counted again. An explicit reload (signal, admin) always reports afresh.
      const key = checked.error === undefined ? sourcesKey(checked.report?.sources) : undefined;
      const last = this.#rejected[0];
      if ((trigger === "file" || trigger === "ref") && key !== undefined && key === this.#refusedKey && last !== undefined) {
        return { status: "rejected", rejected: last, ms: ms() };
      }
      this.#refusedKey = key;
      return this.#reject(trigger, checked, started);
    }
    this.#refusedKey = undefined;

    const refusal = shrinkRefusal(active.graph, graph);
    if (refusal !== undefined) return this.#reject(trigger, checked, started, `the reload gate refused the policy: ${refusal}`, true);

    if (graph.policy === active.graph.policy) {
      // Same content (e.g. a commit that touched only other files): keep the graph, follow the source.
      active.info = { ...active.info, source: checked.snapshot.origin };
      this.#count("unchanged", ms());
      this.#log.info("policy unchanged", { policy: graph.policy, trigger, source: describeOrigin(checked.snapshot.origin), ms: round(ms()) });
      return { status: "unchanged", active: active.info, ms: ms() };
    }
    const swapStart = this.#clock();
    try {
      await this.#target.setGraph(graph);
    } catch (err) {
      return this.#reject(trigger, checked, started, `the runtime refused the graph: ${message(err)}`);
    }
    const info = this.#info(graph, checked.snapshot, trigger);
    this.#active = { graph, info };
    this.#count("applied", ms());
    this.#log.info("policy reloaded", {
      policy: graph.policy,
      previous: active.info.policy,
      trigger,
      source: describeOrigin(info.source),
      routes: info.routes,
      loadMs: round(checked.loadMs ?? 0),
      compileMs: round(checked.report.ms),
      // setGraph re-validates the graph and prepares it: the part of a reload that runs on the request thread.
      swapMs: round(this.#clock() - swapStart),
      ms: round(ms()),
    });
    return { status: "applied", active: info, ms: ms() };
  }

  #reject(trigger: ReloadTrigger, checked: Checked, started: number, error = checked.error, gated = false): ReloadOutcome {
    const report = checked.report;
    const errors = (report?.diagnostics ?? []).filter((d) => d.severity === "error");
    const warnings = (report?.diagnostics ?? []).filter((d) => d.severity !== "error");
    const diagnostics = [...errors, ...warnings].map(diagnosticJson);
    const failed = (report?.results ?? []).filter((t) => !t.passed).map(failedTest);
    const rejected: RejectedAttempt = { at: new Date(this.#clock()).toISOString(), trigger, diagnostics: diagnostics.slice(0, MAX_LISTED), failedTests: failed.slice(0, MAX_LISTED) };
    if (checked.snapshot) rejected.source = checked.snapshot.origin;
    if (report?.graph) rejected.policy = report.graph.policy;
    if (error !== undefined) rejected.error = error;
    const omitted = Math.max(0, diagnostics.length - MAX_LISTED) + Math.max(0, failed.length - MAX_LISTED);
    if (omitted > 0) rejected.omitted = omitted;
    this.#rejected = [rejected, ...this.#rejected].slice(0, RECENT);
    const ms = this.#clock() - started;
    this.#count("rejected", ms, gated);

    // One line for the refusal, then one per diagnostic and per failed test, so each can be grepped and alerted on.
    const summary: Record<string, unknown> = { trigger, source: describeOrigin(rejected.source), serving: this.#active?.info.policy, errors: errors.length, failedTests: failed.length, ms: round(ms) };
    if (error !== undefined) summary["error"] = error;
    this.#log.error("policy rejected", summary);
    for (const d of diagnostics) (d.severity === "error" ? this.#log.error : this.#log.warn).call(this.#log, "policy diagnostic", { ...d });
    for (const t of failed) this.#log.error("policy test failed", { ...t });
    return { status: "rejected", rejected, ms };
  }

  #count(status: ReloadStatus, ms: number, gated = false): void {
    countReload(this.#stats, status, this.#clock(), ms);
    this.#target?.metrics?.policyReloaded(status !== "rejected", gated);
  }

  #info(graph: Graph, snapshot: Snapshot, trigger: ReloadTrigger): ActivePolicy {
    return { policy: graph.policy, routes: graph.routes.length, source: snapshot.origin, loadedAt: new Date(this.#clock()).toISOString(), trigger };
  }
}

/** The environment as the compiler needs it: which variables are set, never their values. */
export function presence(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined) out[name] = value === "" ? "" : "set";
  return out;
}

/** The texts a refusal was about, as one string (undefined when nothing was read). */
function sourcesKey(sources: readonly { path: string; text: string }[] | undefined): string | undefined {
  if (sources === undefined || sources.length === 0) return undefined;
  return sources.map((s) => `${s.path}\u0000${s.text}`).join("\u0000");
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const round = (ms: number): number => Math.round(ms * 10) / 10;
