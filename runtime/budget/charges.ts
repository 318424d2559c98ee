/**
 * Budgets and rate limits on the request path, backed by the state store:
 *
 *   decideWithState   decide; read the matched route's counters once; decide again on them
 *   chargeRequest     reserve the worst case + take the limits in ONE atomic `admit`;
 *                     on refusal, re-plan with `decide` (downgrade) or answer 429
 *   Hold              settle with the provider's usage, or release, exactly once
 *
 * Every decision still comes from the pure `decide`: a refused budget is
 * shown to it as spent (the same as `given budget B spent $limit`), so a
 * downgrade or reject happens exactly as `aigw check` predicts. A budget
 * that is already exceeded and only downgrades the request is not reserved
 * against (the downgrade is its answer); every other budget and limit of
 * the route is, in the same batch.
 */
import type { Graph } from "../../compiler/graph.js";
import { decide, type DecideOptions, type Decision, type RejectedDecision, type Facts, type RoutedDecision, type StateView } from "../engine/index.js";
import type { ChatStream, ChatCompletionChunk, Completion, Usage } from "../providers/index.js";
import { GatewayError } from "../pipeline/errors.js";
import { budgetKey, dollarsToMicros, limitKey, microsToDollars, type Check, type CheckResult, type CounterRef, type CounterValue, type Reservation, type Store } from "../state/index.js";
import { inputBound, requestSize, worstCase, type CostedRequest, type RequestSize } from "./cost.js";
import { settlementOf, type UsageFault } from "./settle.js";

/** Logs what a budget does (a warning crossed, a store that failed); the server's logger fits. */
export interface BudgetLog {
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** What the pipeline needs for budgets and limits. */
export interface BudgetDeps {
  store: Store;
  log?: BudgetLog;
  /** Hears each settlement whose reported usage was above the reservation or unrecordable (the `aigw_usage_clamped_total` metric). */
  onUsageFault?: (target: string, fault: UsageFault) => void;
}

type Header = readonly [string, string];

/**
 * Decides on the counters of the matched route: a first decide finds the
 * route (the base view says nothing is spent). Without `options` that is
 * the decision: no expression reads the counters, and the atomic admission
 * of {@link chargeRequest} refuses what is used up and re-plans (downgrade,
 * reject, limit) exactly as a decide on the counters would, so reading them
 * first would only cost a store round trip per request. With `options` (a
 * tracer: the decision record), one `read` fetches the route's budgets'
 * spent+reserved and its limits' use and a second decide on those values is
 * the decision, so the record shows the counters. Returns the view the
 * decision read, for {@link chargeRequest}.
 */
export async function decideWithState(graph: Graph, facts: Facts, base: StateView, deps: BudgetDeps, options?: DecideOptions): Promise<Stated> {
  let drawn: number | undefined;
  const once: StateView = { ...base, budgetSpent: base.budgetSpent, limitUsed: base.limitUsed, draw: () => (drawn ??= base.draw()) };
  const first = decide(graph, facts, once);
  if (options === undefined) return { decision: first, view: once, counters: new Map() };
  if (first.kind === "no-route" || (first.budgets.length === 0 && first.limits.length === 0)) {
    return { decision: decide(graph, facts, once, options), view: once, counters: new Map() };
  }
  const keys: string[] = [];
  const refs: CounterRef[] = [];
  for (const b of first.budgets) {
    keys.push(budgetKey(b.budget, b.scopeKey));
    refs.push({ key: keys[keys.length - 1]!, window: b.node.window });
  }
  for (const l of first.limits) {
    for (const m of ["requests", "tokens"] as const) {
      const w = l.node[m]?.window;
      if (w === undefined) continue;
      keys.push(limitKey(l.limit, m, l.scopeKey));
      refs.push({ key: keys[keys.length - 1]!, window: w });
    }
  }
  const values = await unlessUnavailable(() => deps.store.read(refs), deps.log);
  const used = new Map<string, number>();
  const counters = new Map<string, CounterValue>();
  for (let i = 0; i < keys.length; i++) {
    used.set(keys[i]!, values[i]!.spent + values[i]!.reserved);
    counters.set(keys[i]!, values[i]!);
  }
  const view: StateView = {
    ...once,
    budgetSpent: (budget, scope) => {
      const v = used.get(budgetKey(budget, scope));
      return v === undefined ? base.budgetSpent(budget, scope) : microsToDollars(v);
    },
    limitUsed: (limit, scope, measure) => used.get(limitKey(limit, measure, scope)) ?? base.limitUsed(limit, scope, measure),
  };
  return { decision: decide(graph, facts, view, options), view, counters };
}

/** What {@link decideWithState} returns. */
export interface Stated {
  readonly decision: Decision;
  /** The view the decision read (for {@link chargeRequest}). */
  readonly view: StateView;
  /** The counters read, by key. */
  readonly counters: ReadonlyMap<string, CounterValue>;
}

/**
 * The 429 of a decision `decide` rejected on the counters read: a budget's
 * names it and when it resets, a limit's carries `Retry-After` and the
 * `x-ratelimit-*` headers.
 */
export function rejectedError(d: RejectedDecision, stated: Stated, now: number): RefusalError {
  const r = d.reason;
  if (r.kind === "budget") return budgetError(d.message, r.budget, stated.counters.get(budgetKey(r.budget, r.scopeKey))?.resetAt, now);
  const node = d.limits.find((l) => l.limit === r.limit)!.node;
  const headers: Header[] = [];
  let resetAt = now;
  for (const m of ["requests", "tokens"] as const) {
    const spec = node[m];
    const c = stated.counters.get(limitKey(r.limit, m, r.scopeKey));
    if (spec === undefined || c === undefined) continue;
    if (m === r.measure) resetAt = c.resetAt;
    headers.push(...rateLimitHeaders(m, { limit: spec.count, remaining: spec.count - c.spent, resetAt: c.resetAt }, now));
  }
  headers.unshift(["retry-after", String(Math.max(1, Math.ceil((resetAt - now) / 1000)))]);
  return new RefusalError("rate_limited", `${d.message}; retry after ${resetText(resetAt - now)}`, headers, { kind: "limit", name: r.limit });
}

/** The 429 of a rejected decision when no store is configured (a fixed state view). */
export function plainRejectedError(d: RejectedDecision): RefusalError {
  const r = d.reason;
  return r.kind === "budget"
    ? new RefusalError("budget_exceeded", d.message, [], { kind: "budget", name: r.budget })
    : new RefusalError("rate_limited", d.message, [], { kind: "limit", name: r.limit });
}

/** An admitted request's holds: settle or release it exactly once, on every path. */
export interface Hold {
  /** The decision to execute (a downgrade may have replaced the one given). */
  readonly decision: RoutedDecision;
  /** Response headers (`x-aigw-budget-warning`). */
  readonly headers: readonly Header[];
  /** What admission measured of the request (cost.ts). */
  readonly size: RequestSize;
  /** Settles with the cost of `usage` on `model` (checked against its bound, settle.ts); without usage, releases (charges 0). Later calls do nothing. */
  settle(model: string | undefined, usage: Usage | undefined): Promise<void>;
  /** Settles a non-streaming completion: its usage, else the input bound and its choices' bytes as output tokens. */
  settleCompletion(model: string, completion: Completion): Promise<void>;
  /** A stream that settles once it ends, fails or is cancelled (from its usage chunk, else the input bound and the streamed deltas' bytes). */
  wrap(stream: ChatStream, model: string): ChatStream;
}

interface Slot {
  check: Check;
  kind: "budget" | "requests" | "tokens";
  name: string;
  warnPercent?: number;
}

/**
 * Admits the routed decision's budgets and limits in one atomic `admit`
 * (see the module comment). Throws a 429 `GatewayError` when a limit or a
 * `reject` budget refuses; a refused `downgrade` budget re-plans to its model.
 * `redecide` decides again with an overriding view (usually `decide` on the
 * same facts).
 */
export async function chargeRequest(
  graph: Graph,
  deps: BudgetDeps,
  first: RoutedDecision,
  facts: Facts,
  body: CostedRequest,
  view: StateView,
  now: number,
): Promise<Hold | undefined> {
  if (first.budgets.length === 0 && first.limits.length === 0) return undefined;
  const size = requestSize(body);
  const spentOut = new Set<string>();
  let decision = first;
  for (;;) {
    const slots = slotsOf(graph, decision, size, body);
    const admission = await unlessUnavailable(() => deps.store.admit(slots.map((s) => s.check)), deps.log);
    if (admission.admitted) return hold(graph, deps, decision, slots, admission.results, size, body, now);

    const refused = slots.map((s, i) => [s, admission.results[i]!] as const).filter(([, r]) => !r.admitted);
    const limit = refused.find(([s]) => s.kind !== "budget");
    if (limit !== undefined) throw limitError(slots, admission.results, limit[0], limit[1], now);
    for (const [s] of refused) spentOut.add(s.name);
    const over: StateView = {
      ...view,
      budgetSpent: (budget, scope) => (spentOut.has(budget) ? graph.budgets[budget]!.limit : view.budgetSpent(budget, scope)),
    };
    const next = decide(graph, facts, over);
    if (next.kind === "rejected") {
      const r = next.reason;
      const at = r.kind === "budget" ? refused.find(([s]) => s.name === r.budget)?.[1].resetAt : undefined;
      throw budgetError(next.message, r.kind === "budget" ? r.budget : "", at, now);
    }
    if (next.kind !== "route" || next.downgrade === undefined) throw new Error("budgets: a refused budget neither rejected nor downgraded");
    decision = next;
  }
}

/**
 * The admission batch: the worst case reserved on every budget not already
 * exceeded, one request taken and the worst case's tokens (in + out)
 * reserved on every limit. An amount above a counter's limit is sent as
 * limit + 1: refused all the same, and never an unsafe integer the store
 * would reject as a bad argument (which would read as a store outage).
 */
function slotsOf(graph: Graph, d: RoutedDecision, size: RequestSize, body: CostedRequest): Slot[] {
  const slots: Slot[] = [];
  const worst = worstCase(graph, d.plan.targets, size, body);
  // At least 1 µ$: a budget already at its limit refuses even a request priced at nothing, as `spent >= limit` says.
  const micros = Math.max(1, worst.micros);
  for (const b of d.budgets) {
    if (b.state === "exceeded") continue; // it downgraded this request: the downgrade is its answer
    const limit = dollarsToMicros(b.limit);
    const check: Check = { kind: "reserve", key: budgetKey(b.budget, b.scopeKey), amount: Math.min(micros, limit + 1), limit, window: b.node.window };
    slots.push(b.node.warnPercent === undefined ? { check, kind: "budget", name: b.budget } : { check, kind: "budget", name: b.budget, warnPercent: b.node.warnPercent });
  }
  for (const l of d.limits) {
    const r = l.node.requests;
    if (r) slots.push({ kind: "requests", name: l.limit, check: { kind: "take", key: limitKey(l.limit, "requests", l.scopeKey), amount: 1, limit: r.count, window: r.window } });
    const t = l.node.tokens;
    if (t) {
      const check: Check = { kind: "reserve", key: limitKey(l.limit, "tokens", l.scopeKey), amount: Math.min(worst.tokens, t.count + 1), limit: t.count, window: t.window };
      slots.push({ kind: "tokens", name: l.limit, check });
    }
  }
  return slots;
}

function hold(
  graph: Graph,
  deps: BudgetDeps,
  decision: RoutedDecision,
  slots: Slot[],
  results: readonly CheckResult[],
  size: RequestSize,
  body: CostedRequest,
  now: number,
): Hold {
  const reservations: Reservation[] = [];
  const tokenHolds: Reservation[] = [];
  const headers: Header[] = [];
  // Per kind, the limit closest to running out: what a client pacing itself on OpenAI's headers needs.
  const tightest: Partial<Record<"requests" | "tokens", CheckResult>> = {};
  for (let i = 0; i < slots.length; i++) {
    const s = slots[i]!;
    const r = results[i]!;
    if (s.kind === "tokens" && r.reservation) tokenHolds.push(r.reservation);
    if (s.kind !== "budget") {
      const t = tightest[s.kind];
      if (t === undefined || r.remaining < t.remaining) tightest[s.kind] = r;
      continue;
    }
    if (r.reservation) reservations.push(r.reservation);
    if (s.warnPercent === undefined || r.limit === 0) continue;
    const after = (r.spent + r.reserved) / r.limit;
    if (after * 100 < s.warnPercent) continue;
    const percent = Math.floor(after * 100);
    headers.push(["x-aigw-budget-warning", `${s.name}; ${percent}%`]);
    if (firstWarning(deps.store, `${s.check.key}@${r.resetAt}`)) {
      deps.log?.warn("budget warning crossed", { budget: s.name, key: s.check.key, percent, warnPercent: s.warnPercent, resetAt: new Date(r.resetAt).toISOString() });
    }
  }
  for (const kind of ["requests", "tokens"] as const) {
    const r = tightest[kind];
    if (r !== undefined) headers.push(...rateLimitHeaders(kind, r, now));
  }
  let done = false;
  /** `reported`: the upstream's own usage (a fault when it passes the bound); else the gateway's byte count (capped silently). */
  const settle = async (model: string | undefined, usage: Usage | undefined, reported = true): Promise<void> => {
    if (done) return;
    done = true;
    if (reservations.length === 0 && tokenHolds.length === 0) return;
    const m = model === undefined ? undefined : graph.models[model];
    const s = m === undefined || usage === undefined ? undefined : settlementOf(m, size, body, usage);
    if (s?.fault !== undefined && reported && model !== undefined) {
      // The provider reported usage no honest bill can reach (or no number at all): its fault, not the store's.
      deps.log?.warn("upstream fault: reported usage is above the reservation or not a token count; charged the bound instead", {
        target: model,
        fault: s.fault,
        promptTokens: String(usage!.promptTokens),
        completionTokens: String(usage!.completionTokens),
        chargedInput: s.input,
        chargedOutput: s.output,
      });
      deps.onUsageFault?.(model, s.fault);
    }
    const actual = s?.micros ?? 0;
    const tokens = s === undefined ? 0 : s.input + s.output;
    try {
      await deps.store.finish([
        // Never above what was held: an honest bill is within the bound, so this only caps rounding.
        ...reservations.map((reservation) => ({ reservation, actual: Math.min(actual, reservation.amount) })),
        ...tokenHolds.map((reservation) => ({ reservation, actual: Math.min(tokens, reservation.amount) })),
      ]);
    } catch (err) {
      // The reply was paid for: the caller still gets it. The cost is logged for reconciliation; the holds expire.
      deps.log?.error("state store unavailable: a cost was not recorded", {
        error: err instanceof Error ? err.message : String(err),
        costMicros: actual,
        model,
        budgets: reservations.map((r) => r.key),
      });
    }
  };
  const inputOf = (model: string): number => {
    const m = graph.models[model];
    return m === undefined ? 0 : inputBound(m, size);
  };
  return {
    decision,
    headers,
    size,
    settle: (model, usage) => settle(model, usage),
    settleCompletion: (model, c) =>
      c.usage !== undefined
        ? settle(model, c.usage)
        : settle(model, { promptTokens: inputOf(model), completionTokens: Buffer.byteLength(JSON.stringify(c.completion.choices)) }, false),
    wrap: (stream, model) => settlingStream(stream, (usage, reported) => settle(model, usage, reported), inputOf(model)),
  };
}

const warnedByStore = new WeakMap<Store, Set<string>>();

/** True the first time this process sees a counter window in its warn zone (the crossing may have been by settlement). */
function firstWarning(store: Store, id: string): boolean {
  let seen = warnedByStore.get(store);
  if (seen === undefined) warnedByStore.set(store, (seen = new Set()));
  if (seen.has(id)) return false;
  if (seen.size >= 10_000) seen.clear(); // bounded: a cleared set logs a window at most once more
  seen.add(id);
  return true;
}

/**
 * Passes a stream through and settles when it ends, fails or is cancelled:
 * with the upstream's usage chunk when it sent one, else with the input
 * bound (the upstream read the whole prompt before its first chunk) and the
 * bytes of every delta as output tokens — content, tool calls, refusals,
 * whatever the choices carried, as JSON (a token covers at least one byte).
 */
function settlingStream(inner: ChatStream, settle: (usage: Usage | undefined, reported: boolean) => Promise<void>, inputTokens: number): ChatStream {
  let bytes = 0;
  const finish = (): Promise<void> => {
    const usage = inner.usage;
    return usage !== undefined ? settle(usage, true) : settle({ promptTokens: inputTokens, completionTokens: bytes }, false);
  };
  async function* pass(): AsyncGenerator<ChatCompletionChunk> {
    try {
      for await (const chunk of inner) {
        for (const c of chunk.choices) if (c.delta !== undefined) bytes += Buffer.byteLength(JSON.stringify(c.delta));
        yield chunk;
      }
    } finally {
      await finish();
    }
  }
  return {
    get firstChunkMs() {
      return inner.firstChunkMs;
    },
    get usage() {
      return inner.usage;
    },
    [Symbol.asyncIterator]: () => pass(),
    async cancel() {
      await inner.cancel();
      await finish();
    },
  };
}

function limitError(slots: Slot[], results: readonly CheckResult[], slot: Slot, refused: CheckResult, now: number): GatewayError {
  const headers: Header[] = [["retry-after", String(Math.max(1, Math.ceil((refused.resetAt - now) / 1000)))]];
  for (let i = 0; i < slots.length; i++) {
    const s = slots[i]!;
    if (s.kind === "budget" || s.name !== slot.name) continue;
    headers.push(...rateLimitHeaders(s.kind, results[i]!, now));
  }
  const key = slot.check.key.split(":").slice(3).join(":");
  const message = `rate limit \`${slot.name}\` is used up for \`${key}\` (${refused.spent} of ${refused.limit} ${slot.kind}); retry after ${resetText(refused.resetAt - now)}`;
  return new RefusalError("rate_limited", message, headers, { kind: "limit", name: slot.name });
}

/** OpenAI's `x-ratelimit-{limit,remaining,reset}-{requests,tokens}` for one limit's counter. */
function rateLimitHeaders(kind: "requests" | "tokens", r: Pick<CheckResult, "limit" | "remaining" | "resetAt">, now: number): Header[] {
  return [
    [`x-ratelimit-limit-${kind}`, String(r.limit)],
    [`x-ratelimit-remaining-${kind}`, String(Math.max(0, r.remaining))],
    [`x-ratelimit-reset-${kind}`, resetText(r.resetAt - now)],
  ];
}

function budgetError(message: string, budget: string, resetAt: number | undefined, now: number): RefusalError {
  const by = { kind: "budget", name: budget } as const;
  if (resetAt === undefined) return new RefusalError("budget_exceeded", message, [], by);
  const headers: Header[] = [["retry-after", String(Math.max(1, Math.ceil((resetAt - now) / 1000)))]];
  return new RefusalError("budget_exceeded", `${message}; it resets at ${new Date(resetAt).toISOString()}`, headers, by);
}

/**
 * Runs a state-store call before the request is sent; a store that fails
 * (Redis gone, a locked or broken SQLite file) makes the request a 503
 * `state_unavailable` with `Retry-After: 1`: no budget or limit can be
 * checked, so nothing is sent (fail closed). The cause goes to the log,
 * never to the caller.
 */
async function unlessUnavailable<T>(call: () => Promise<T>, log?: BudgetLog): Promise<T> {
  try {
    return await call();
  } catch (err) {
    log?.warn("state store unavailable: request refused", { error: err instanceof Error ? err.message : String(err) });
    throw new GatewayError("state_unavailable", "the store of budgets and rate limits is unavailable, so the request was not sent; retry shortly", {
      headers: [["retry-after", "1"]],
    });
  }
}

/** A 429 from admission that says which budget or limit refused, for the access log and metrics. */
export class RefusalError extends GatewayError {
  constructor(
    code: "rate_limited" | "budget_exceeded",
    message: string,
    headers: Header[],
    readonly by: { readonly kind: "budget" | "limit"; readonly name: string },
  ) {
    super(code, message, { headers });
  }
}

/** OpenAI's reset format: `1s`, `6m0s`, `1h2m3s`. */
export function resetText(ms: number): string {
  let s = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return h > 0 ? `${h}h${m}m${s}s` : m > 0 ? `${m}m${s}s` : `${s}s`;
}
