/**
 * Attempt plans: the ordered targets a request may be sent to, built once
 * per route and first target at prepare time, so `decide` hands out a shared
 * immutable plan instead of building one per request.
 *
 * A plan is the first target (the `to` model, the split's arm, or a budget's
 * downgrade model) followed by the route's fallback chain, without
 * duplicates, each with the route's retry count. A downgrade plan has the
 * downgrade model only: the fallbacks are usually the models the budget is
 * there to stop.
 */
import type { FailureReason, Graph, RouteNode } from "../../compiler/graph.js";

/** One target of a plan, with what the runtime needs to call it. */
export interface PlannedTarget {
  /** The policy's model name (`gpt-4o`). */
  readonly model: string;
  /** The provider name, undefined if the graph does not declare the model. */
  readonly provider: string | undefined;
  /** The model name sent upstream. */
  readonly upstream: string | undefined;
  /** Tries after the first one (the route's `retry N`). */
  readonly retries: number;
  /** Per-try timeout: the route's `timeout`, else the provider's. */
  readonly timeoutMs: number | undefined;
}

/** The targets of one decision, in order, with how failures move between them. */
export interface AttemptPlan {
  /** In the order tried; no model appears twice. */
  readonly targets: readonly PlannedTarget[];
  /** Failure reasons that move on to a retry or the next target (`"429"`, `"5xx"`, `"timeout"`, `"connection"`). */
  readonly fallbackOn: readonly FailureReason[];
  /** Base of the exponential backoff between retries of one target. */
  readonly backoffMs: number;
  /** Upper bound on tries: the sum of (retries + 1) over the targets. */
  readonly maxAttempts: number;
}

/**
 * The reasons used when a route lists none (`fallback b` with no `on`):
 * rate limits, server errors, timeouts and connection failures. Client
 * errors (other 4xx) are never retried: the same request would fail again.
 */
export const DEFAULT_FALLBACK_ON: readonly FailureReason[] = Object.freeze(["429", "5xx", "timeout", "connection"]);

/** The plan for a route whose first target is `first` (undefined: only the fallback chain, e.g. a split with no positive weight). */
export function buildPlan(graph: Pick<Graph, "models" | "providers">, route: RouteNode, first: string | undefined): AttemptPlan {
  const order: string[] = [];
  if (first !== undefined) order.push(first);
  for (const m of route.fallback) if (!order.includes(m)) order.push(m);
  return makePlan(graph, route, order);
}

/** The plan for a budget downgrade: the downgrade model only. */
export function downgradePlan(graph: Pick<Graph, "models" | "providers">, route: RouteNode, model: string): AttemptPlan {
  return makePlan(graph, route, [model]);
}

function makePlan(graph: Pick<Graph, "models" | "providers">, route: RouteNode, order: readonly string[]): AttemptPlan {
  const retries = Math.max(0, Math.floor(route.retry.count));
  const targets = order.map((model): PlannedTarget => {
    const node = Object.hasOwn(graph.models, model) ? graph.models[model] : undefined;
    const provider = node && Object.hasOwn(graph.providers, node.provider) ? graph.providers[node.provider] : undefined;
    return Object.freeze({
      model,
      provider: node?.provider,
      upstream: node?.upstream,
      retries,
      timeoutMs: route.timeoutMs ?? provider?.timeoutMs,
    });
  });
  return Object.freeze({
    targets: Object.freeze(targets),
    fallbackOn: route.fallbackOn.length > 0 ? Object.freeze([...route.fallbackOn]) : DEFAULT_FALLBACK_ON,
    backoffMs: Math.max(0, route.retry.backoffMs),
    maxAttempts: targets.length * (retries + 1),
  });
}

/**
 * Why one try failed: an HTTP status from upstream, a timeout, a connection
 * failure (refused, reset, DNS), or a client error that says this model will
 * not take the request: the prompt is longer than its context
 * (`context_length`) or its content filter refused it (`content_filter`).
 */
export type FailureCause = number | "timeout" | "connection" | RefusalCause;

/** The client errors another model may not have; never retried on the same model. */
export type RefusalCause = "context_length" | "content_filter";

/** The status an upstream refusal came with: they are all client errors, matched by `400` and `4xx` as before they had a word. */
export const REFUSAL_STATUS = 400;

export function isRefusal(cause: FailureCause | "ok"): cause is RefusalCause {
  return cause === "context_length" || cause === "content_filter";
}

/**
 * Whether a failure matches one of the listed reasons: `"429"` matches
 * exactly 429, `"5xx"` matches 500–599, the words match themselves, and a
 * refusal also matches `"400"` and `"4xx"` (it is a 400 from upstream).
 */
export function reasonMatches(reasons: readonly FailureReason[], cause: FailureCause): boolean {
  for (const r of reasons) {
    if (r === cause) return true;
    const status = typeof cause === "number" ? cause : isRefusal(cause) ? REFUSAL_STATUS : undefined;
    if (status === undefined) continue;
    if (r.length === 3 && r.endsWith("xx")) {
      if (Math.floor(status / 100) === r.charCodeAt(0) - 48) return true;
    } else if (String(status) === r) return true;
  }
  return false;
}
