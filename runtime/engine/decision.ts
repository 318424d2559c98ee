/**
 * What `decide` returns: plain immutable data that the server executes, the
 * policy tests check and `aigw explain` prints. Parts that do not depend on
 * the request (route references, attempt plans) are shared between decisions.
 */
import type { BudgetNode, FactNode, LimitNode, Scope, SourceRef } from "../../compiler/graph.js";
import type { UnfitTarget } from "./fit.js";
import type { SkippedTarget } from "./live.js";
import type { AttemptPlan } from "./plan.js";

/** A route, in the policy's own terms. */
export interface RouteRef {
  readonly name: string;
  /** Position in `graph.routes` (first-match order). */
  readonly index: number;
  readonly span: SourceRef;
}

/** A budget the request is charged to, with what the state said about it. */
export interface BudgetCharge {
  readonly budget: string;
  readonly scope: Scope;
  /** The caller's key/team/user value, the route name, or `global`. */
  readonly scopeKey: string;
  /** Dollars spent in the current window, as the state reported. */
  readonly spent: number;
  readonly limit: number;
  /** `exceeded` at or past the limit; `warn` at or past the warn percentage. */
  readonly state: "ok" | "warn" | "exceeded";
  readonly node: BudgetNode;
}

/** A rate limit the request counts against. */
export interface LimitCharge {
  readonly limit: string;
  readonly scope: Scope;
  readonly scopeKey: string;
  /** Requests used in the window (when the limit counts requests). */
  readonly requestsUsed: number | undefined;
  /** Tokens used in the window (when the limit counts tokens). */
  readonly tokensUsed: number | undefined;
  /** The request cap for this scope value (its amount-table entry, else the default); undefined when the limit counts no requests. */
  readonly requestsCap: number | undefined;
  /** The token cap for this scope value, likewise. */
  readonly tokensCap: number | undefined;
  /** Requests in flight (when the limit counts them). */
  readonly concurrentUsed: number | undefined;
  /** The measure that is used up, if any: the request is rejected. */
  readonly exhausted: "requests" | "tokens" | "concurrent" | undefined;
  readonly node: LimitNode;
}

/** A budget or limit of the route left out for this request: its `when` does not hold. */
export interface NotApplied {
  readonly kind: "budget" | "limit";
  readonly name: string;
  /** Why, in the policy's terms: the condition and what made it false. */
  readonly reason: string;
  readonly span: SourceRef;
}

/** How a split chose its arm. */
export interface SplitChoice {
  /** The model picked. */
  readonly model: string;
  /** The `split by` fact; undefined for an unkeyed split. */
  readonly by: FactNode | undefined;
  /** The fact value hashed; undefined when unkeyed or when the value was missing. */
  readonly value: string | undefined;
  /** The random draw used; undefined when the fact value decided. */
  readonly draw: number | undefined;
  /** Picked by a test's `given split picks`. */
  readonly forced: boolean;
  /** The arm the rule picked first, ejected by the route's health policy (it is tried last). */
  readonly instead?: string;
  /** `split fastest`: the arms drawn and their latency estimates (ms; undefined: never measured). */
  readonly fastest?: { readonly drawn: readonly string[]; readonly estimates: readonly (number | undefined)[] };
  /** `split cheapest`: the arms compared (positive weight, able to take the request) and their worst-case dollars (undefined: unpriced). */
  readonly cheapest?: { readonly arms: readonly string[]; readonly costs: readonly (number | undefined)[] };
}

/** The request matched a route and may be sent. */
export interface RoutedDecision {
  readonly kind: "route";
  readonly route: RouteRef;
  /** Guardrail names to apply, in order. */
  readonly guardrails: readonly string[];
  readonly budgets: readonly BudgetCharge[];
  readonly limits: readonly LimitCharge[];
  /** Undefined for a `to` route or when a downgrade replaced the targets. */
  readonly split: SplitChoice | undefined;
  /** Set when an exceeded budget replaced the targets with its downgrade model. */
  readonly downgrade: { readonly budget: string; readonly model: string } | undefined;
  /** The route's budgets and limits whose `when` does not hold for this request (absent when none). */
  readonly notApplied?: readonly NotApplied[];
  /** The targets to try, in order. */
  readonly plan: AttemptPlan;
  /** Targets the route's health policy has ejected: moved to the end of the plan (absent when none was). */
  readonly skipped?: readonly SkippedTarget[];
  /**
   * Targets that cannot take the request (engine/fit.ts): left out of the
   * plan and of the split's draw (absent when none was). With an empty plan
   * the request is refused with 400.
   */
  readonly unfit?: readonly UnfitTarget[];
}

/** The request matched a route but a budget or rate limit refuses it (HTTP 429). */
export interface RejectedDecision {
  readonly kind: "rejected";
  readonly status: 429;
  readonly route: RouteRef;
  readonly guardrails: readonly string[];
  readonly budgets: readonly BudgetCharge[];
  readonly limits: readonly LimitCharge[];
  readonly reason:
    | { readonly kind: "budget"; readonly budget: string; readonly scopeKey: string; readonly spent: number; readonly limit: number }
    | {
        readonly kind: "limit";
        readonly limit: string;
        readonly scopeKey: string;
        readonly measure: "requests" | "tokens" | "concurrent";
        readonly used: number;
        readonly count: number;
      };
  /** For the OpenAI-style error body. */
  readonly message: string;
  /** As for a routed decision. */
  readonly notApplied?: readonly NotApplied[];
}

/**
 * The matched route rejects every request it takes (`reject 403 "…"`), or
 * its wildcard target cannot send the requested name: answered with its
 * status and message, nothing sent, nothing charged.
 */
export interface RefusedDecision {
  readonly kind: "refused";
  readonly status: number;
  /** Set when a wildcard target refuses the requested name (engine/wildcard.ts); absent: the route's own `reject`. */
  readonly code?: "invalid_model" | "model_not_found";
  readonly route: RouteRef;
  readonly guardrails: readonly never[];
  readonly budgets: readonly never[];
  readonly limits: readonly never[];
  readonly message: string;
}

/** No route accepts the request (HTTP 404). */
export interface NoRouteDecision {
  readonly kind: "no-route";
  readonly status: 404;
  readonly model: string | undefined;
  /** The model names some route accepts. */
  readonly accepted: readonly string[];
  readonly message: string;
}

/** What `decide` returns. */
export type Decision = RoutedDecision | RejectedDecision | RefusedDecision | NoRouteDecision;
