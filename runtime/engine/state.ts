/**
 * The read-only view of gateway state a decision may consult. The server
 * backs it with its store (budgets, rate limits) and a random
 * source; policy tests back it with their `given`s and a seeded generator.
 * `decide` only reads through it and never calls it more than it must
 * (`draw` only for an unkeyed split, the budget and limit readers only for
 * the matched route's budgets and limits).
 */

import type { TargetHealth } from "./live.js";

/** What `decide` reads about the world besides the request. */
export interface StateView {
  /** Dollars spent (and reserved) in the current window of `budget` for one scope key. */
  budgetSpent(budget: string, scopeKey: string): number;
  /** Requests or tokens used in the current window of `limit` for one scope key; for `concurrent`, the requests in flight. */
  limitUsed(limit: string, scopeKey: string, measure: "requests" | "tokens" | "concurrent"): number;
  /** A uniform random number in [0, 1). */
  draw(): number;
  /** Test override (`given split picks T`): the split picks this model when it is one of its arms. */
  readonly forcedSplit?: string;
  /**
   * What health policy `health` says about `model` (live.ts); absent: every
   * target is healthy. Read only for routes with a `health` statement, at
   * most once per target and request by contract (the server's view
   * memoises it: a half-open target's answer hands this request the probe).
   */
  readonly health?: (health: string, model: string) => TargetHealth;
  /**
   * `model`'s latency estimate in ms (an EWMA of its answered tries, decaying
   * toward 0 while it is not measured: runtime/health/latency.ts); undefined
   * when never measured. Read only by `split fastest`.
   */
  readonly latency?: (model: string) => number | undefined;
}

/** The scope key used when the caller has no value for a budget's or limit's scope (no key, no team). */
export const NO_SCOPE_VALUE = "(none)";

/** A state with nothing spent, nothing used and a fixed draw: handy for explanations and tests. */
export function emptyState(draw = 0): StateView {
  return { budgetSpent: () => 0, limitUsed: () => 0, draw: () => draw };
}
