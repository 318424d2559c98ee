/**
 * The worst case of one request on a route, from the graph alone: the most
 * tries, the longest wall time and the highest cost — each over every plan
 * the route can run (each split arm or its `to` model first, then its
 * fallbacks; a budget's downgrade model alone), by the rules the server's
 * attempts machine follows (runtime/engine/attempts.ts, run-plan.ts):
 *
 * - each target is tried `retry + 1` times; no target twice;
 * - a try lasts at most its timeout (the route's, else its provider's);
 * - before a retry the plan waits its backoff (base × 2^(n−1), at most
 *   {@link MAX_WAIT_MS}), or a failure's `Retry-After` when longer and at
 *   most {@link MAX_WAIT_MS} — possible only when the route falls back on a
 *   status (a timeout or a refused connection carries no header);
 * - the gateway's `deadline` ends the request, so the wall time is at most
 *   the deadline;
 * - every try may be billed at its largest: the model's whole `context` in
 *   and its `max_output` (else `context`) out — at most the route's
 *   `max_tokens` cap or `set max_tokens` — at its prices. A model that
 *   declares neither leaves the cost unbounded; an unpriced one counts $0 and
 *   is named. One choice per request (`n` multiplies the output).
 */
import { inputCeiling, isWildcard, pricesRequired, tableRows, type Graph, type ModelNode, type RouteNode } from "../graph.js";
import { shapedMaxTokens } from "../shaping.js";

/** The longest wait between two tries: the backoff cap and the longest `Retry-After` honoured (30 s). */
export const MAX_WAIT_MS = 30_000;

/** One target of a plan, as the bound reads it. */
export interface PlanStep {
  model: string;
  tries: number;
  timeoutMs: number;
  /** The waits before its retries, in order. */
  waitsMs: number[];
  /** What all its tries may cost at most (Infinity: unbounded). */
  cost: number;
}

export interface RouteBound {
  route: string;
  /** The most tries, and the plan that makes them. */
  tries: number;
  triesPlan: PlanStep[];
  /** The longest wall time, the deadline applied; `uncappedMs` without it. */
  latencyMs: number;
  uncappedMs: number;
  latencyPlan: PlanStep[];
  /** The highest cost in dollars (Infinity: unbounded, see `unbounded`). */
  cost: number;
  costPlan: PlanStep[];
  /** Models whose cost has no bound (neither `context` nor `max_output`). */
  unbounded: string[];
  /** Models that declare no price (counted as $0). */
  unpriced: string[];
}

/** One plan a route can run: the models in the order tried, and the budget whose downgrade it is, if it is one. */
export interface RoutePlan {
  models: string[];
  downgradeOf?: string;
}

/**
 * The plans a route can run: each first target (its `to`, or each split arm
 * with a positive weight) with the fallbacks after, and each budget's
 * downgrade model alone (a downgrade drops the fallbacks, lang/SPEC.md §7.2).
 */
export function routePlans(graph: Graph, route: RouteNode): RoutePlan[] {
  const t = route.target;
  const firsts = t.kind === "to" ? [t.model] : t.kind === "reject" ? [] : t.arms.filter((a) => a.weight > 0).map((a) => a.model);
  const out: RoutePlan[] = (firsts.length ? firsts : [undefined]).map((first) => {
    const order = first === undefined ? [] : [first];
    for (const m of route.fallback) if (!order.includes(m)) order.push(m);
    return { models: order };
  });
  for (const b of route.budgets) {
    const x = graph.budgets[b]?.exceeded;
    if (x?.action === "downgrade") out.push({ models: [x.model], downgradeOf: b });
  }
  return out;
}

// A refusal is never retried on the same model (lang/SPEC.md §7.4): it moves to the next target at once.
const isRefusal = (r: string): boolean => r === "context_length" || r === "content_filter";

/** Whether a failure that may carry `Retry-After` (an HTTP status) leads to a retry. */
function statusRetries(route: RouteNode): boolean {
  const on = route.fallbackOn.length ? route.fallbackOn : ["429", "5xx"];
  return on.some((r) => r !== "timeout" && r !== "connection" && !isRefusal(r));
}

/**
 * The model a try of `model` is priced as: itself, or for a wildcard on a
 * route that sends only the names its table prices, its dearest row (on any
 * other route a wildcard may send an unpriced name, so it stays unpriced).
 */
function pricedAs(graph: Graph, route: RouteNode, model: string): ModelNode | undefined {
  const m = graph.models[model];
  if (m === undefined || !isWildcard(m) || !pricesRequired(route, graph.gateway)) return m;
  let dearest: ModelNode | undefined;
  let most = -1;
  for (const [, row] of tableRows(graph.models, model)) {
    const c = tryCost(row, shapedMaxTokens(route.shaping));
    if (c > most) [dearest, most] = [row, c];
  }
  return dearest;
}

/** One try's most cost on `m`; `shaped` is the route's cap (or `set max_tokens`), which bounds every try's output as the shaped request the reservation reads does. */
function tryCost(m: ModelNode | undefined, shaped: number | undefined): number {
  const input = m?.context;
  const bound = m?.maxOutput ?? m?.context;
  const output = shaped === undefined ? bound : bound === undefined ? shaped : Math.min(bound, shaped);
  const inPrice = m === undefined ? 0 : inputCeiling(m);
  const outPrice = m?.outputPrice ?? 0;
  const part = (tokens: number | undefined, price: number): number => (price === 0 ? 0 : tokens === undefined ? Infinity : (tokens * price) / 1e6);
  return part(input, inPrice) + part(output, outPrice);
}

function step(graph: Graph, route: RouteNode, model: string): PlanStep {
  const m = graph.models[model];
  const timeoutMs = route.timeoutMs ?? graph.providers[m?.provider ?? ""]?.timeoutMs ?? 0;
  const retried = route.fallbackOn.length === 0 || route.fallbackOn.some((r) => !isRefusal(r));
  const retries = retried ? Math.max(0, Math.floor(route.retry.count)) : 0;
  const waitsMs: number[] = [];
  for (let n = 1; n <= retries; n++) {
    const backoff = route.retry.backoffMs > 0 ? Math.min(MAX_WAIT_MS, route.retry.backoffMs * 2 ** (n - 1)) : 0;
    waitsMs.push(statusRetries(route) ? Math.max(backoff, MAX_WAIT_MS) : backoff);
  }
  const perTry = tryCost(pricedAs(graph, route, model), shapedMaxTokens(route.shaping));
  return { model, tries: retries + 1, timeoutMs, waitsMs, cost: perTry * (retries + 1) };
}

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
const stepMs = (s: PlanStep): number => s.tries * s.timeoutMs + sum(s.waitsMs);

/** The worst case of `route` (see the module header). */
export function routeBound(graph: Graph, route: RouteNode): RouteBound {
  const all = routePlans(graph, route).map((p) => p.models.map((m) => step(graph, route, m)));
  const best = (score: (p: PlanStep[]) => number): { plan: PlanStep[]; value: number } => {
    let plan: PlanStep[] = all[0] ?? [];
    let value = score(plan);
    for (const p of all.slice(1)) {
      const v = score(p);
      if (v > value) [plan, value] = [p, v];
    }
    return { plan, value };
  };
  const tries = best((p) => sum(p.map((s) => s.tries)));
  const latency = best((p) => sum(p.map(stepMs)));
  const cost = best((p) => sum(p.map((s) => s.cost)));
  const reached = [...new Set(all.flat().map((s) => s.model))];
  const price = (m: string): boolean => {
    const node = pricedAs(graph, route, m);
    return node?.inputPrice !== undefined || node?.outputPrice !== undefined;
  };
  return {
    route: route.name,
    tries: tries.value,
    triesPlan: tries.plan,
    latencyMs: Math.min(latency.value, graph.gateway.deadlineMs),
    uncappedMs: latency.value,
    latencyPlan: latency.plan,
    cost: cost.value,
    costPlan: cost.plan,
    unbounded: reached.filter((m) => price(m) && all.flat().some((s) => s.model === m && s.cost === Infinity)),
    unpriced: reached.filter((m) => !price(m)),
  };
}

/** Every route's worst case, in first-match order. */
export function graphBounds(graph: Graph): RouteBound[] {
  return graph.routes.map((r) => routeBound(graph, r));
}
