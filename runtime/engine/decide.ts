/**
 * `decide`: the one evaluator. Pure: given a prepared graph, a request's facts and a
 * read-only view of state, it returns the decision (route, guardrails,
 * budgets and limits to charge, the split draw and the attempt plan). The
 * server, `aigw check` and `aigw explain` all call exactly this.
 *
 * Order of evaluation (lang/SPEC.md, "Deciding a request"):
 * 1. Candidates: the index's routes for the requested model merged with the
 *    any-model routes, ascending; the first whose `when` holds wins. None:
 *    a 404 decision listing the accepted models.
 * 2. Budgets, in the route's order: spent ≥ limit is exceeded. Any exceeded
 *    `reject` budget rejects (429); otherwise the first exceeded `downgrade`
 *    budget replaces the targets with its model.
 * 3. Limits, in order: used ≥ count for requests or tokens rejects (429).
 * 4. Targets: the `to` model or the split's pick, then the fallbacks.
 *
 * The hot path (no tracer) allocates the decision object, plus the split
 * choice and the budget/limit charges when the route has them; plans and
 * route references are shared from the prepared graph.
 */
import { amountFor, type ExprNode, type Scope, type SourceRef } from "../../compiler/graph.js";
import type { BudgetCharge, Decision, LimitCharge, NoRouteDecision, NotApplied, RejectedDecision, RoutedDecision, SplitChoice } from "./decision.js";
import { explainExpr } from "./explain.js";
import type { Facts } from "./facts.js";
import type { AttemptPlan } from "./plan.js";
import type { PreparedGraph, PreparedRoute } from "./prepare.js";
import { pickCheapest, worstCost } from "./cheapest.js";
import { FitCheck, fitPlan } from "./fit.js";
import { isEjected, orderByHealth, type HealthReader } from "./live.js";
import { pickByDraw, pickByKey, pickFastest, totalWeight, type Arm } from "./split.js";
import { NO_SCOPE_VALUE, type StateView } from "./state.js";
import type { Tracer } from "./trace.js";
import { refuseWildcard, resolvePlan, rowFor } from "./wildcard.js";
import { shapedAsk } from "../../compiler/shaping.js";

/** Optional extras for `decide`; none of them changes the decision. */
export interface DecideOptions {
  /** Receives trace events; leave undefined on the hot path. */
  tracer?: Tracer;
}

const NONE: readonly never[] = Object.freeze([]);
const NO_ESTIMATE = (): undefined => undefined;

/**
 * Decides a request on a prepared graph (`prepare`, done once per graph:
 * the server's per-graph runtime holds it).
 */
export function decide(p: PreparedGraph, facts: Facts, state: StateView, options?: DecideOptions): Decision {
  const tracer = options?.tracer;
  const route = tracer === undefined ? firstMatch(p, facts) : firstMatchTraced(p, facts, tracer);
  if (route === undefined) return noRoute(p, facts, tracer);
  return decideRoute(route, facts, state, tracer);
}

/** The first candidate route whose `when` holds: the index bucket for the model merged with the any-model list. */
function firstMatch(p: PreparedGraph, facts: Facts): PreparedRoute | undefined {
  const routes = p.routes;
  const any = p.anyModel;
  const bucket = facts.model === undefined ? undefined : p.byModel.get(facts.model);
  const text = facts.text;
  const al = any.length;
  if (bucket === undefined) {
    for (let j = 0; j < al; j++) {
      const r = routes[any[j]!]!;
      if (r.when === undefined || r.when(facts, text)) return r;
    }
    return undefined;
  }
  const bl = bucket.length;
  let i = 0;
  let j = 0;
  while (i < bl || j < al) {
    const idx = j >= al || (i < bl && bucket[i]! < any[j]!) ? bucket[i++]! : any[j++]!;
    const r = routes[idx]!;
    if (r.when === undefined || r.when(facts, text)) return r;
  }
  return undefined;
}

/** `firstMatch` with explanations: the slow path for `aigw explain`, same order, same closures. */
function firstMatchTraced(p: PreparedGraph, facts: Facts, tracer: Tracer): PreparedRoute | undefined {
  const bucket = facts.model === undefined ? undefined : p.byModel.get(facts.model);
  tracer({ kind: "candidates", model: facts.model, forModel: bucket?.length ?? 0, anyModel: p.anyModel.length });
  const order = [...(bucket ?? []), ...p.anyModel].sort((a, b) => a - b);
  for (const idx of order) {
    const r = p.routes[idx]!;
    const matched = r.when === undefined || r.when(facts, facts.text);
    const reason = r.node.when === undefined ? "no `when`: matches every request" : explainExpr(r.node.when, facts, facts.text).reason;
    tracer({ kind: "route", route: r.ref, matched, reason });
    if (matched) return r;
  }
  return undefined;
}

function noRoute(p: PreparedGraph, facts: Facts, tracer: Tracer | undefined): NoRouteDecision {
  if (tracer !== undefined) tracer({ kind: "no-route", model: facts.model });
  const what = facts.model === undefined ? "the request names no model" : `no route accepts model \`${facts.model}\``;
  return {
    kind: "no-route",
    status: 404,
    model: facts.model,
    accepted: p.graph.accepted,
    message: p.acceptedText === "" ? what : `${what}; accepted models: ${p.acceptedText}`,
  };
}

/** The scope key of a budget or limit for this request. */
export function scopeKey(scope: Scope, facts: Facts, route: string): string {
  switch (scope) {
    case "key":
      return facts.key ?? NO_SCOPE_VALUE;
    case "team":
      return facts.team ?? NO_SCOPE_VALUE;
    case "user":
      return facts.user ?? NO_SCOPE_VALUE;
    case "route":
      return route;
    case "global":
      return "global";
    default:
      return namedScopeKey(scope, facts);
  }
}

/** `label:NAME` and `metadata:NAME`: the value of that label or metadata entry. */
function namedScopeKey(scope: `label:${string}` | `metadata:${string}`, facts: Facts): string {
  const colon = scope.indexOf(":");
  const from = scope.charCodeAt(0) === 108 /* l */ ? facts.labels : facts.metadata;
  const name = scope.slice(colon + 1);
  return Object.hasOwn(from, name) ? from[name]! : NO_SCOPE_VALUE;
}

function decideRoute(r: PreparedRoute, facts: Facts, state: StateView, tracer: Tracer | undefined): Decision {
  const name = r.node.name;
  const reject = r.node.target;
  if (reject.kind === "reject") return { kind: "refused", status: reject.status, route: r.ref, guardrails: NONE, budgets: NONE, limits: NONE, message: reject.message };
  const wild = r.wildcards;
  if (wild !== undefined) {
    const refusal = refuseWildcard(wild, facts);
    if (refusal !== undefined) {
      if (tracer !== undefined) tracer({ kind: "rejected", message: refusal.message });
      return { kind: "refused", status: refusal.status, code: refusal.code, route: r.ref, guardrails: NONE, budgets: NONE, limits: NONE, message: refusal.message };
    }
  }

  let budgets: readonly BudgetCharge[] = NONE;
  let rejectBy: BudgetCharge | undefined;
  let downgradeIndex = -1;
  let notApplied: NotApplied[] | undefined;
  if (r.budgets.length > 0) {
    const charges: BudgetCharge[] = [];
    for (let i = 0; i < r.budgets.length; i++) {
      const b = r.budgets[i]!;
      const node = b.node;
      if (b.when !== undefined && !b.when(facts, facts.text)) {
        (notApplied ??= []).push(skip("budget", b.name, node, facts, tracer));
        continue;
      }
      const key = scopeKey(node.scope, facts, name);
      const spent = state.budgetSpent(b.name, key);
      const limit = amountFor(node.limit, node.amounts, key);
      const status: BudgetCharge["state"] = spent >= limit ? "exceeded" : node.warnPercent !== undefined && spent >= (limit * node.warnPercent) / 100 ? "warn" : "ok";
      const charge: BudgetCharge = { budget: b.name, scope: node.scope, scopeKey: key, spent, limit, state: status, node };
      charges.push(charge);
      if (tracer !== undefined) tracer({ kind: "budget", charge });
      if (status === "exceeded") {
        if (node.exceeded.action === "reject") rejectBy ??= charge;
        else if (downgradeIndex < 0) downgradeIndex = i;
      }
    }
    if (charges.length > 0) budgets = charges;
  }

  let limits: readonly LimitCharge[] = NONE;
  let exhausted: LimitCharge | undefined;
  if (r.limits.length > 0) {
    const charges: LimitCharge[] = [];
    for (let i = 0; i < r.limits.length; i++) {
      const l = r.limits[i]!;
      const node = l.node;
      if (l.when !== undefined && !l.when(facts, facts.text)) {
        (notApplied ??= []).push(skip("limit", l.name, node, facts, tracer));
        continue;
      }
      const key = scopeKey(node.scope, facts, name);
      const requestsCap = node.requests === undefined ? undefined : amountFor(node.requests.count, node.requests.amounts, key);
      const tokensCap = node.tokens === undefined ? undefined : amountFor(node.tokens.count, node.tokens.amounts, key);
      const requestsUsed = requestsCap === undefined ? undefined : state.limitUsed(l.name, key, "requests");
      const tokensUsed = tokensCap === undefined ? undefined : state.limitUsed(l.name, key, "tokens");
      const concurrentUsed = node.concurrent === undefined ? undefined : state.limitUsed(l.name, key, "concurrent");
      const out =
        requestsUsed !== undefined && requestsUsed >= requestsCap!
          ? "requests"
          : tokensUsed !== undefined && tokensUsed >= tokensCap!
            ? "tokens"
            : concurrentUsed !== undefined && concurrentUsed >= node.concurrent!
              ? "concurrent"
              : undefined;
      const charge: LimitCharge = { limit: l.name, scope: node.scope, scopeKey: key, requestsUsed, tokensUsed, requestsCap, tokensCap, concurrentUsed, exhausted: out, node };
      charges.push(charge);
      if (tracer !== undefined) tracer({ kind: "limit", charge });
      if (out !== undefined) exhausted ??= charge;
    }
    if (charges.length > 0) limits = charges;
  }
  const skipped = notApplied === undefined ? undefined : { notApplied };

  if (rejectBy !== undefined || exhausted !== undefined) return rejected(r, budgets, limits, rejectBy, exhausted, tracer, skipped);

  let plan: AttemptPlan;
  let split: SplitChoice | undefined;
  let downgrade: RoutedDecision["downgrade"];
  // Capabilities are checked only on routes whose targets declare some (engine/fit.ts).
  // A route's shaping is part of what its targets are asked (`cap max_tokens`, lang/SPEC.md §4.8.2).
  const fit = r.fits === undefined ? undefined : new FitCheck(r.fits, facts, shapedAsk(r.node.shaping, facts.maxTokens) ?? 0);
  if (downgradeIndex >= 0) {
    const b = r.budgets[downgradeIndex]!;
    plan = b.downgrade!;
    downgrade = { budget: b.name, model: plan.targets[0]!.model };
    if (tracer !== undefined) tracer({ kind: "downgrade", budget: b.name, model: downgrade.model });
  } else if (r.arms === undefined) {
    plan = r.plans[0]!;
  } else {
    split = chooseArm(r, facts, state, healthReader(r, state), fit);
    plan = split === undefined ? r.fallbackOnlyPlan : r.plans[armIndex(r, split.model)]!;
    if (tracer !== undefined) tracer({ kind: "split", route: r.ref, choice: split, arms: r.arms, by: r.by });
  }
  let unfit: RoutedDecision["unfit"];
  if (fit !== undefined) {
    plan = fitPlan(plan, fit);
    if (fit.unfit.length > 0) {
      unfit = fit.unfit;
      if (tracer !== undefined) for (const u of unfit) tracer({ kind: "unfit", unfit: u });
    }
  }
  const more = unfit === undefined ? skipped : { unfit, ...skipped };
  if (wild !== undefined) plan = resolvePlan(plan, wild, facts);

  const read = healthReader(r, state);
  if (read !== undefined) {
    const displaced = split?.instead === undefined ? undefined : r.plans[armIndex(r, split.instead)]!.targets[0];
    const ordered = orderByHealth(plan, r.node.health!, read, displaced);
    if (ordered.skipped.length > 0) {
      plan = ordered.plan;
      if (tracer !== undefined) for (const s of ordered.skipped) tracer({ kind: "skipped", skipped: s, span: r.healthSpan });
      if (tracer !== undefined) tracer({ kind: "plan", plan });
      return { kind: "route", route: r.ref, guardrails: r.node.guard, budgets, limits, split, downgrade, plan, skipped: ordered.skipped, ...more };
    }
  }

  if (tracer !== undefined) tracer({ kind: "plan", plan });

  return { kind: "route", route: r.ref, guardrails: r.node.guard, budgets, limits, split, downgrade, plan, ...more };
}

/** The route's health reader, when it has a health policy and the state can tell. */
function healthReader(r: PreparedRoute, state: StateView): HealthReader | undefined {
  const name = r.node.health;
  const health = state.health;
  if (name === undefined || health === undefined) return undefined;
  return (model) => health(name, model);
}

function armIndex(r: PreparedRoute, model: string): number {
  const arms = r.arms!;
  for (let i = 0; i < arms.length; i++) if (arms[i]!.model === model) return i;
  return -1;
}

/**
 * The split's pick: forced by a test, by the fact's hash, or by the random
 * draw; undefined when no arm can win. The draw is among the arms that can
 * take the request (all of them, when the test forces one). An ejected pick
 * gives way to the same rule over the arms that are not ejected (rendezvous
 * hashing keeps every other value where it was), unless every arm is
 * ejected.
 */
function chooseArm(r: PreparedRoute, facts: Facts, state: StateView, read: HealthReader | undefined, fit: FitCheck | undefined): SplitChoice | undefined {
  let arms = r.arms!;
  let total = r.totalWeight;
  if (fit !== undefined && !isForced(arms, state)) {
    let all = true;
    for (const a of arms) if (a.weight > 0 && !fit.takes(a.model)) all = false;
    if (!all) {
      arms = arms.filter((a) => fit.takes(a.model));
      total = totalWeight(arms);
    }
  }
  const choice = pickArm(r, arms, total, facts, state);
  if (read === undefined || choice === undefined || choice.forced || !isEjected(read, choice.model)) return choice;
  const open = arms.filter((a) => a.weight > 0 && !isEjected(read, a.model));
  if (open.length === 0) return choice;
  const again = pickArm(r, open, totalWeight(open), facts, { ...state, draw: () => choice.draw ?? 0 });
  return again === undefined ? choice : { ...again, instead: choice.model };
}

function isForced(arms: readonly Arm[], state: StateView): boolean {
  const forced = state.forcedSplit;
  return forced !== undefined && arms.some((a) => a.model === forced);
}

function pickArm(r: PreparedRoute, arms: readonly Arm[], total: number, facts: Facts, state: StateView): SplitChoice | undefined {
  const forced = state.forcedSplit;
  if (forced !== undefined) {
    for (let i = 0; i < arms.length; i++) {
      if (arms[i]!.model === forced) return { model: forced, by: r.by, value: undefined, draw: undefined, forced: true };
    }
  }
  if (r.byValue !== undefined) {
    const value = r.byValue(facts);
    if (value !== undefined && value !== "") {
      const i = pickByKey(arms, value);
      return i < 0 ? undefined : { model: arms[i]!.model, by: r.by, value, draw: undefined, forced: false };
    }
  }
  const draw = state.draw();
  const models = r.cheapest;
  if (models !== undefined) {
    const priced = (m: string): string => (r.wildcards === undefined ? m : (rowFor(r.wildcards, m, facts) ?? m));
    const asked = shapedAsk(r.node.shaping, facts.maxTokens);
    const c = pickCheapest(arms, draw, (arm) => {
      const m = priced(arm);
      return worstCost(Object.hasOwn(models, m) ? models[m] : undefined, facts, asked);
    });
    if (c.index < 0) return undefined;
    const compared: string[] = [];
    const costs: (number | undefined)[] = [];
    for (let i = 0; i < arms.length; i++) {
      if (!(arms[i]!.weight > 0)) continue;
      compared.push(arms[i]!.model);
      costs.push(c.costs[i]);
    }
    return { model: arms[c.index]!.model, by: undefined, value: undefined, draw, forced: false, cheapest: { arms: compared, costs } };
  }
  if (r.fastest) {
    const latency = state.latency ?? NO_ESTIMATE;
    const f = pickFastest(arms, total, draw, latency);
    if (f.index < 0) return undefined;
    return { model: arms[f.index]!.model, by: undefined, value: undefined, draw, forced: false, fastest: { drawn: f.drawn.map((k) => arms[k]!.model), estimates: f.estimates } };
  }
  const i = pickByDraw(arms, total, draw);
  return i < 0 ? undefined : { model: arms[i]!.model, by: r.by, value: undefined, draw, forced: false };
}

function rejected(
  r: PreparedRoute,
  budgets: readonly BudgetCharge[],
  limits: readonly LimitCharge[],
  budget: BudgetCharge | undefined,
  limit: LimitCharge | undefined,
  tracer: Tracer | undefined,
  skipped: { notApplied: NotApplied[] } | undefined,
): RejectedDecision {
  let reason: RejectedDecision["reason"];
  let message: string;
  if (budget !== undefined) {
    reason = { kind: "budget", budget: budget.budget, scopeKey: budget.scopeKey, spent: budget.spent, limit: budget.limit };
    message = `budget \`${budget.budget}\` is exceeded for ${scopeText(budget.scope, budget.scopeKey)} ($${fmt(budget.spent)} of $${fmt(budget.limit)})`;
  } else {
    const l = limit!;
    const measure = l.exhausted!;
    const used = (measure === "requests" ? l.requestsUsed : measure === "tokens" ? l.tokensUsed : l.concurrentUsed)!;
    const count = measure === "concurrent" ? l.node.concurrent! : (measure === "requests" ? l.requestsCap : l.tokensCap)!;
    reason = { kind: "limit", limit: l.limit, scopeKey: l.scopeKey, measure, used, count };
    message = `rate limit \`${l.limit}\` is used up for ${scopeText(l.scope, l.scopeKey)} (${used} of ${count} ${measure === "concurrent" ? "requests in flight" : measure})`;
  }
  if (tracer !== undefined) tracer({ kind: "rejected", message });
  return { kind: "rejected", status: 429, route: r.ref, guardrails: r.node.guard, budgets, limits, reason, message, ...skipped };
}

/** A budget or limit left out because its `when` is false for this request, with why. */
function skip(kind: NotApplied["kind"], name: string, node: { when?: ExprNode; span: SourceRef }, facts: Facts, tracer: Tracer | undefined): NotApplied {
  const n: NotApplied = { kind, name, reason: explainExpr(node.when!, facts, facts.text).reason, span: node.span };
  if (tracer !== undefined) tracer({ kind: "not-applied", notApplied: n });
  return n;
}

function scopeText(scope: Scope, key: string): string {
  if (scope === "global") return "all callers";
  const colon = scope.indexOf(":");
  const what = colon < 0 ? scope : `${scope.slice(0, colon)} \`${scope.slice(colon + 1)}\``;
  return key === NO_SCOPE_VALUE ? `callers without a ${what}` : `${what} \`${key}\``;
}

function fmt(dollars: number): string {
  return Number.isInteger(dollars) ? String(dollars) : dollars.toFixed(2);
}
