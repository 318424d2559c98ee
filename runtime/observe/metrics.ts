/**
 * The gateway's Prometheus metrics (`GET /metrics`): what was decided, how
 * long it took, what it cost, and the state of the policy and budgets.
 *
 * Per request the work is a few Map lookups and field increments: the
 * series a request touches most (by route, target, status, stream flag and
 * team) are resolved once per combination and kept together in one object.
 * Budgets are read from the state at scrape time, not per request.
 *
 * Label values are policy names (routes, models, guardrails, budgets,
 * limits), teams from `keys`, status codes and fixed words: their number is
 * bounded by the policy, never by what callers send. No key, token or text
 * ever becomes a label.
 */
import { budgetCap, type Graph, type Scope } from "../../compiler/graph.js";
import type { GuardHit } from "../engine/index.js";
import { keyId } from "./access-log.js";
import { ProcessGauges, type ProcessProbe } from "./process.js";
import { nodeProcessProbe } from "./process-probe.js";
import { Counter, EXPOSITION_CONTENT_TYPE, Gauge, Histogram, Registry, type HistogramSeries, type Series } from "./registry.js";
import type { FinishedRequest } from "./request.js";

/** One budget's spend for one scope value, as the state store counts it. */
export interface BudgetReading {
  readonly budget: string;
  /** The caller's key hash, team or user, the route name, or `global`. */
  readonly scopeKey: string;
  /** Dollars spent (and reserved) in the current window. */
  readonly spent: number;
  /** The scope kind; default: the budget's scope in the graph. */
  readonly scope?: Scope;
}

/**
 * Where `/metrics` reads budget spend at scrape time. The state store
 * implements it (issue 5); without one, no spent series are exported (the
 * limits still are, from the policy).
 */
export interface BudgetReader {
  budgetReadings(): Iterable<BudgetReading> | Promise<Iterable<BudgetReading>>;
}

/**
 * Where `/metrics` reads target health at scrape time: the health tracker
 * (runtime/health/tracker.ts) is one.
 */
export interface HealthReader {
  readings(): Iterable<{ readonly model: string; readonly healthy: boolean }>;
  /** Ejections so far by `model\u0000cause`. */
  readonly ejections: ReadonlyMap<string, number>;
  /** The latency estimates `split fastest` reads. */
  latencies(): Iterable<{ readonly model: string; readonly seconds: number }>;
  /** Whether shared health (§7.6) reached the state store at its last sync; undefined while nothing is shared. */
  sharedUp(): boolean | undefined;
}

/** Seconds buckets for request, first-byte and upstream latency: 5 ms … 2 min. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120] as const;
/** Seconds buckets for the gateway's own time: 10 µs … 100 ms. */
export const OVERHEAD_BUCKETS = [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1] as const;

/** How long a scrape waits for the state's budget readings. */
const READ_TIMEOUT_MS = 2_000;

/** The series one kind of request touches, resolved together. */
interface RequestSeries {
  requests: Series;
  duration: HistogramSeries;
  ttfb: HistogramSeries;
  overhead: HistogramSeries;
  tokensIn: Series;
  tokensOut: Series;
  cost: Series;
}

/** The gateway's metrics; one per gateway, shared across policy reloads. */
export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter;
  private readonly duration: Histogram;
  private readonly ttfb: Histogram;
  private readonly upstream: Histogram;
  private readonly overhead: Histogram;
  private readonly attempts: Counter;
  private readonly retries: Counter;
  private readonly fallbacks: Counter;
  private readonly tokens: Counter;
  private readonly promptCache: Counter;
  private readonly cost: Counter;
  private readonly guardrails: Counter;
  private readonly budgetRejections: Counter;
  private readonly limitRejections: Counter;
  private readonly budgetSpent: Gauge;
  private readonly budgetLimit: Gauge;
  private readonly budgetValueLimit: Gauge;
  private readonly stateErrors: Counter;
  private readonly usageFaults: Counter;
  private readonly reloads: Counter;
  private readonly policyInfo: Gauge;
  private readonly policyLoaded: Gauge;
  private readonly cacheRequests: Counter;
  private readonly cacheBytes: Gauge;
  private readonly cacheEvictions: Counter;
  private readonly cacheSaved: Counter;
  private readonly cacheSemantic: Counter;
  private cacheStore: { bytes(): number | undefined; evicted(): number } | undefined;
  private readonly targetHealthy: Gauge;
  private readonly targetEjections: Counter;
  private readonly targetLatency: Gauge;
  private readonly sharedUp: Gauge;
  private health: HealthReader | undefined;
  private readonly bySeries = new Map<string, RequestSeries>();
  private readonly attemptSeries = new Map<string, { count: Series; upstream: HistogramSeries }>();
  /** The process readings and the gauges they fill; undefined with no probe. */
  private readonly process: { probe: ProcessProbe; gauges: ProcessGauges } | undefined;
  private graph: Graph | undefined;
  private reader: BudgetReader | undefined;

  /**
   * @param now wall clock, ms (the policy's load time)
   * @param probe the process readings exported at scrape time (prom-client's default metrics: memory, CPU, event-loop lag, handles, GC); `null`: none
   */
  constructor(
    private readonly now: () => number = Date.now,
    probe: ProcessProbe | null = nodeProcessProbe(),
  ) {
    const r = this.registry;
    this.requests = r.counter("aigw_requests_total", "Chat requests answered, by route, answering target, HTTP status and stream flag.", ["route", "target", "status", "stream"]);
    this.duration = r.histogram("aigw_request_duration_seconds", "Whole request, from arrival to the last byte written.", ["route"], LATENCY_BUCKETS);
    this.ttfb = r.histogram("aigw_time_to_first_byte_seconds", "From arrival until the response status and headers were written.", ["route"], LATENCY_BUCKETS);
    this.upstream = r.histogram("aigw_upstream_duration_seconds", "One try against a target, until its reply (a stream: its first chunk).", ["target"], LATENCY_BUCKETS);
    this.overhead = r.histogram("aigw_gateway_overhead_seconds", "Time spent in aigw itself: the whole request minus upstream time (tries, backoff between them, and a stream's relay).", ["route"], OVERHEAD_BUCKETS);
    this.attempts = r.counter("aigw_attempts_total", "Tries against targets, by outcome: ok, an HTTP status, timeout or connection.", ["target", "outcome"]);
    this.retries = r.counter("aigw_retries_total", "Tries that repeat the same target, by the failure that caused them.", ["target", "reason"]);
    this.fallbacks = r.counter("aigw_fallbacks_total", "Moves to the next target of a route's fallback list, by the failure that caused them.", ["route", "from", "to", "reason"]);
    this.tokens = r.counter("aigw_tokens_total", "Tokens the providers reported, by direction (input, output).", ["route", "target", "team", "direction"]);
    this.promptCache = r.counter(
      "aigw_prompt_cache_tokens_total",
      "Of the input tokens, those the provider read from (read) or wrote to (write) its prompt cache, priced at the model's cache_read / cache_write.",
      ["route", "target", "team", "kind"],
    );
    this.cost = r.counter("aigw_cost_dollars_total", "Dollars spent, from the models' declared prices and the providers' reported usage.", ["route", "target", "team"]);
    this.guardrails = r.counter("aigw_guardrail_actions_total", "Guardrail rules that fired on requests, by action (block, redact, flag).", ["guardrail", "action"]);
    this.budgetRejections = r.counter("aigw_budget_rejections_total", "Requests refused with 429 because a budget is exceeded.", ["budget"]);
    this.limitRejections = r.counter("aigw_rate_limit_rejections_total", "Requests refused with 429 by a rate limit.", ["limit"]);
    this.budgetSpent = r.gauge("aigw_budget_spent_dollars", "Dollars spent in a budget's current window, per scope value, as the state store counts them.", ["budget", "scope", "scope_key"]);
    this.budgetLimit = r.gauge("aigw_budget_limit_dollars", "A budget's limit per window, from the active policy (with an amount table, its `default`).", ["budget", "scope"]);
    this.budgetValueLimit = r.gauge(
      "aigw_budget_scope_limit_dollars",
      "The limit per window of each budget counter aigw_budget_spent_dollars shows: its scope value's entry in the budget's amount table, else the budget's limit.",
      ["budget", "scope", "scope_key"],
    );
    this.usageFaults = r.counter(
      "aigw_usage_clamped_total",
      "Settlements where a provider reported usage above the reservation (clamped to it) or no token count at all (invalid: charged the reservation), by target.",
      ["target", "reason"],
    );
    this.stateErrors = r.counter("aigw_metrics_state_errors_total", "Scrapes that could not read budget spend from the state store.");
    this.reloads = r.counter("aigw_policy_reloads_total", "Policy reload attempts, by result (ok, failed, refused: by the reload gate).", ["result"]);
    this.policyInfo = r.gauge("aigw_policy_info", "The active policy version (always 1).", ["version"]);
    this.policyLoaded = r.gauge("aigw_policy_loaded_timestamp_seconds", "When the active policy was installed.");
    this.cacheRequests = r.counter("aigw_cache_requests_total", "Requests that consulted a route's response cache, by result (hit, miss, bypass).", ["cache", "result"]);
    this.cacheBytes = r.gauge("aigw_cache_bytes", "Bytes the in-memory response cache holds (entries, keys and bookkeeping).");
    this.cacheEvictions = r.counter("aigw_cache_evictions_total", "Cache entries removed before a read found them: evicted for room (memory) or expired and swept (SQLite).");
    this.cacheSaved = r.counter("aigw_cache_saved_dollars_total", "Dollars cache hits saved: what their entries cost when the provider answered them.", ["cache"]);
    this.cacheSemantic = r.counter(
      "aigw_cache_semantic_lookups_total",
      "Semantic cache lookups after an exact miss, by result: hit (a close entry answered), miss, or error (the embedding failed: a miss).",
      ["cache", "result"],
    );
    this.cacheEvictions.child();
    this.targetHealthy = r.gauge("aigw_target_healthy", "1 while no health policy has the target ejected, 0 while one has (a probe in flight included); targets of routes with a `health` policy that were tried.", ["target"]);
    // The tracker counts; the scrape copies its running totals.
    this.targetEjections = r.counter("aigw_target_ejections_total", "Times a health policy ejected the target, by what ejected it: consecutive, rate, retry-after.", ["target", "reason"]);
    this.targetLatency = r.gauge("aigw_target_latency_seconds", "A target's latency estimate, as `split fastest` reads it: the EWMA of its answered tries (a stream: to the first chunk), halving every 10 s it goes unmeasured.", ["target"]);
    this.sharedUp = r.gauge(
      "aigw_health_shared_up",
      "1 while health policies declared `shared` sync with the state store; 0 while it does not answer and each instance judges targets alone. Absent while no policy is shared.",
      [],
    );
    this.reloads.child("ok");
    this.reloads.child("failed");
    this.stateErrors.child();
    if (probe === null) this.process = undefined;
    else {
      const gauges = new ProcessGauges(r);
      probe.onGc?.((kind, seconds) => gauges.gcEnded(kind, seconds));
      this.process = { probe, gauges };
    }
  }

  /** The graph now serving: the policy version gauge and the budget limits follow it. */
  setGraph(graph: Graph): void {
    if (this.graph !== undefined) this.policyInfo.remove(this.graph.policy);
    this.graph = graph;
    this.policyInfo.set([graph.policy], 1);
    this.policyLoaded.set([], this.now() / 1000);
    this.budgetLimit.clear();
    for (const [name, b] of Object.entries(graph.budgets)) this.budgetLimit.set([name, b.scope], b.limit);
  }

  /**
   * For hot reload: count an attempt to load a new policy (call `setGraph`
   * as well when it succeeded). `refused`: it passed every check but the
   * reload gate refused it (it would drop every route or key, or too many routes).
   */
  policyReloaded(ok: boolean, refused = false): void {
    this.reloads.child(ok ? "ok" : refused ? "refused" : "failed").value++;
  }

  /** Where budget spend is read at scrape time; undefined to stop reading. */
  setBudgetReader(reader: BudgetReader | undefined): void {
    this.reader = reader;
  }

  /** Counts a settlement whose reported usage was not charged as reported (runtime/budget/settle.ts). */
  usageClamped(target: string, reason: "clamped" | "invalid"): void {
    this.usageFaults.child(target, reason).value++;
  }

  /** The cache store whose size (`aigw_cache_bytes`, only a memory store knows it) and evictions are read at scrape time. */
  setCacheStore(store: { bytes(): number | undefined; evicted(): number } | undefined): void {
    this.cacheStore = store;
  }

  /** Counts one finished chat request. */
  observe(f: FinishedRequest): void {
    const t = f.view;
    const route = t.route ?? "";
    const target = t.target ?? "";
    const team = t.team ?? "";
    const stream = t.stream === true;
    const key = route + "\u0001" + target + "\u0001" + f.status + (stream ? "\u0001s\u0001" : "\u0001j\u0001") + team;
    let s = this.bySeries.get(key);
    if (s === undefined) this.bySeries.set(key, (s = this.series(route, target, String(f.status), stream, team)));
    s.requests.value++;
    this.duration.observeIn(s.duration, f.totalMs / 1000);
    this.ttfb.observeIn(s.ttfb, f.ttfbMs / 1000);
    this.overhead.observeIn(s.overhead, f.overheadMs / 1000);
    const u = f.usage;
    if (u !== undefined) {
      s.tokensIn.value += u.promptTokens;
      s.tokensOut.value += u.completionTokens;
      if (u.cacheReadTokens !== undefined) this.promptCache.child(route, target, team, "read").value += u.cacheReadTokens;
      if (u.cacheWriteTokens !== undefined) this.promptCache.child(route, target, team, "write").value += u.cacheWriteTokens;
    }
    if (f.cost !== undefined) s.cost.value += f.cost;

    const history = t.attempts;
    for (let i = 0; i < history.length; i++) {
      const a = history[i]!;
      const outcome = a.cause === "ok" ? "ok" : String(a.cause);
      const ak = a.model + "\u0001" + outcome;
      let as = this.attemptSeries.get(ak);
      if (as === undefined) this.attemptSeries.set(ak, (as = { count: this.attempts.child(a.model, outcome), upstream: this.upstream.child(a.model) }));
      as.count.value++;
      const timing = t.tries?.[i];
      if (timing !== undefined) this.upstream.observeIn(as.upstream, timing.ms / 1000);
      if (i === 0) continue;
      const prev = history[i - 1]!;
      const reason = String(prev.cause);
      if (a.model === prev.model) this.retries.child(a.model, reason).value++;
      else this.fallbacks.child(route, prev.model, a.model, reason).value++;
    }

    const c = t.cache;
    if (c !== undefined) {
      this.cacheRequests.child(c.name, c.result).value++;
      if (f.saved !== undefined) this.cacheSaved.child(c.name).value += f.saved;
      if (c.embedding !== undefined) this.cacheSemantic.child(c.name, c.embedding.error !== undefined ? "error" : c.similarity !== undefined ? "hit" : "miss").value++;
    }
    if (t.redacted.length > 0) this.guardHits(t.redacted, "redact");
    if (t.flagged.length > 0) this.guardHits(t.flagged, "flag");
    if (t.blocked !== undefined) this.guardrails.child(t.blocked.guardrail, "block").value++;
    const r = t.rejected;
    if (r !== undefined) (r.kind === "budget" ? this.budgetRejections : this.limitRejections).child(r.name).value++;
    // A refusal by the state store at admission names no budget or limit in the trace: count it unnamed.
    else if (t.errorCode === "budget_exceeded") this.budgetRejections.child("").value++;
    else if (t.errorCode === "rate_limited") this.limitRejections.child("").value++;
  }

  /** Where target health is read at scrape time. */
  setHealthReader(reader: HealthReader): void {
    this.health = reader;
  }

  /** The exposition text; reads budget spend from the state first (bounded in time, failures counted). */
  async render(): Promise<string> {
    await this.readBudgets();
    this.readHealth();
    if (this.process !== undefined) this.process.gauges.update(this.process.probe.read());
    const bytes = this.cacheStore?.bytes();
    if (bytes !== undefined) this.cacheBytes.set([], bytes);
    if (this.cacheStore !== undefined) this.cacheEvictions.child().value = this.cacheStore.evicted();
    return this.registry.render();
  }

  /** Stops what the process probe runs in the background (the event-loop delay sampler). */
  close(): void {
    this.process?.probe.close();
  }

  /** The `Content-Type` of {@link render}'s text. */
  readonly contentType = EXPOSITION_CONTENT_TYPE;

  private series(route: string, target: string, status: string, stream: boolean, team: string): RequestSeries {
    return {
      requests: this.requests.child(route, target, status, stream ? "true" : "false"),
      duration: this.duration.child(route),
      ttfb: this.ttfb.child(route),
      overhead: this.overhead.child(route),
      tokensIn: this.tokens.child(route, target, team, "input"),
      tokensOut: this.tokens.child(route, target, team, "output"),
      cost: this.cost.child(route, target, team),
    };
  }

  private guardHits(hits: readonly GuardHit[], action: "redact" | "flag"): void {
    for (const h of hits) this.guardrails.child(h.guardrail, action).value++;
  }

  private readHealth(): void {
    const h = this.health;
    if (h === undefined) return;
    for (const t of h.readings()) this.targetHealthy.set([t.model], t.healthy ? 1 : 0);
    for (const l of h.latencies()) this.targetLatency.set([l.model], l.seconds);
    const up = h.sharedUp();
    if (up !== undefined) this.sharedUp.set([], up ? 1 : 0);
    for (const [key, n] of h.ejections) {
      const sep = key.indexOf("\u0000");
      this.targetEjections.child(key.slice(0, sep), key.slice(sep + 1)).value = n;
    }
  }

  private async readBudgets(): Promise<void> {
    const reader = this.reader;
    if (reader === undefined) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("timed out reading budgets")), READ_TIMEOUT_MS);
      });
      const readings = await Promise.race([Promise.resolve(reader.budgetReadings()), timeout]);
      this.budgetSpent.clear();
      this.budgetValueLimit.clear();
      const budgets = this.graph?.budgets ?? {};
      for (const b of readings) {
        const scope = b.scope ?? (Object.hasOwn(budgets, b.budget) ? budgets[b.budget]!.scope : "");
        // `/metrics` is unauthenticated: a `per key` budget is labelled with the key id the access log shows, never the full hash.
        const labels = [b.budget, scope, scope === "key" ? keyId(b.scopeKey) : b.scopeKey];
        this.budgetSpent.set(labels, b.spent);
        if (Object.hasOwn(budgets, b.budget)) this.budgetValueLimit.set(labels, budgetCap(budgets[b.budget]!, b.scopeKey));
      }
    } catch {
      // The last readings stay; the failure is visible as a counter rather than a failed scrape.
      this.stateErrors.child().value++;
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
  }
}
