/**
 * Lowering of routes: each `route` block to a `RouteNode` (defaults filled
 * in: fallback reasons, retry count and backoff), and the route index that
 * partitions routes by the requested model so the evaluator never scans
 * routes written for other models.
 */
import type { DefaultsDecl, RouteDecl, RouteStmt, Value } from "../lang/ast.js";
import { routeStmt as statementText } from "../lang/format-text.js";
import type { FailureReason, RouteIndex, RouteNode, TargetPlan } from "./graph.js";
import { factNode, lowerExpr, modelsOf, sourceRef } from "./lower-expr.js";
import { DEFAULTS } from "./settings.js";
import { lowerShaping } from "./shaping.js";

/** A checked fallback reason as the graph writes it: `"429"`, `"5xx"`, `"timeout"`, `"connection"`, `"context_length"`, `"content_filter"`. */
export function failureReason(value: Value): FailureReason {
  if (value.kind === "quantity") return value.unit === "status" ? `${value.value}xx` : String(value.value);
  if (value.kind === "ident") return value.name;
  return "";
}

function numberOf(value: Value | undefined, fallback: number): number {
  return value?.kind === "quantity" ? value.value : fallback;
}

/** Appends `names` to `into`, skipping repeats (a route may list a guardrail in two statements). */
function addNames(into: string[], names: readonly { name: string }[]): void {
  for (const n of names) if (!into.includes(n.name)) into.push(n.name);
}

/** The graph's name for a route's inline `cache { … }`: `:` is in no declared name. */
export function inlineCacheName(route: string): string {
  return `route:${route}`;
}

/**
 * The `defaults` blocks a route's statements came from, in the order first
 * met, each with its statements as written: what `aigw explain` shows.
 */
function defaultsOf(route: RouteDecl, inherited: ReadonlyMap<RouteStmt, DefaultsDecl>): RouteNode["defaults"] {
  const by = new Map<DefaultsDecl, string[]>();
  for (const s of route.body) {
    const from = inherited.get(s);
    if (from === undefined) continue;
    let list = by.get(from);
    if (list === undefined) by.set(from, (list = []));
    list.push(statementText(s));
  }
  if (by.size === 0) return undefined;
  return [...by].map(([d, settings]) => ({ name: d.name.name, span: sourceRef(d.span), settings }));
}

/**
 * Lowers one checked route (its `use` already expanded, passes/expand-defaults.ts;
 * `inherited` says which statements came from a `defaults` block). A route
 * without a target statement (reported by the lint) lowers with an empty split.
 */
export function lowerRoute(route: RouteDecl, inherited: ReadonlyMap<RouteStmt, DefaultsDecl> = new Map()): RouteNode {
  let when: RouteNode["when"];
  let target: TargetPlan | undefined;
  let fallback: string[] = [];
  let fallbackOn: FailureReason[] = [...DEFAULTS.fallbackOn];
  let retry: RouteNode["retry"] = { ...DEFAULTS.retry };
  let timeoutMs: number | undefined;
  const guard: string[] = [];
  const budgets: string[] = [];
  const limits: string[] = [];
  let cache: string | undefined;
  let health: string | undefined;
  let maxLatencyMs: number | undefined;
  let maxCost: number | undefined;
  for (const s of route.body) {
    switch (s.kind) {
      case "when":
        when ??= lowerExpr(s.condition);
        break;
      case "to":
        target ??= { kind: "to", model: s.target.name };
        break;
      case "split":
        target ??= {
          kind: "split",
          ...(s.by ? { by: factNode(s.by) } : {}),
          ...(s.fastest ? { fastest: true as const } : {}),
          ...(s.cheapest ? { cheapest: true as const } : {}),
          arms: s.arms.map((a) => ({ model: a.target.name, weight: a.weight.value })),
        };
        break;
      case "fallback":
        fallback = s.targets.map((t) => t.name);
        if (s.on.length > 0) fallbackOn = s.on.map(failureReason);
        break;
      case "retry":
        retry = { count: numberOf(s.count, 0), backoffMs: numberOf(s.backoff, DEFAULTS.retry.backoffMs) };
        break;
      case "timeout":
        timeoutMs = numberOf(s.duration, 0);
        break;
      case "guard":
        addNames(guard, s.names);
        break;
      case "budget":
        addNames(budgets, s.names);
        break;
      case "limit":
        addNames(limits, s.names);
        break;
      case "cache":
        cache ??= s.name ? s.name.name : inlineCacheName(route.name.name);
        break;
      case "health":
        health ??= s.name.name;
        break;
      case "reject":
        target ??= { kind: "reject", status: numberOf(s.status, 403), message: s.message?.value ?? `route \`${route.name.name}\` rejects this request` };
        break;
      case "setting":
        if (s.name.name === "max_latency") maxLatencyMs ??= numberOf(s.value, 0);
        else if (s.name.name === "max_cost") maxCost ??= numberOf(s.value, 0);
        break;
    }
  }
  // Built field by field in the schema's order, so the JSON reads top-down and every route
  // node has the same shape (no temporary objects from conditional spreads).
  const node = { name: route.name.name } as RouteNode;
  if (when) node.when = when;
  node.target = target ?? { kind: "split", arms: [] };
  node.fallback = fallback;
  node.fallbackOn = fallbackOn;
  node.retry = retry;
  if (timeoutMs !== undefined) node.timeoutMs = timeoutMs;
  node.guard = guard;
  node.budgets = budgets;
  node.limits = limits;
  if (cache !== undefined) node.cache = cache;
  if (health !== undefined) node.health = health;
  if (maxLatencyMs !== undefined) node.maxLatencyMs = maxLatencyMs;
  if (maxCost !== undefined) node.maxCost = maxCost;
  const shaping = lowerShaping(route.body);
  if (shaping !== undefined) node.shaping = shaping;
  const defaults = defaultsOf(route, inherited);
  if (defaults !== undefined) node.defaults = defaults;
  node.span = sourceRef(route.span);
  return node;
}

/**
 * The route index and the accepted model names. A route whose condition pins
 * the requested model (`model == "x"`, `model in [...]`, through `and`/`or`)
 * is listed under each such name; any other route is in `anyModel`. Lists
 * stay in ascending route order, so merging a model's list with `anyModel`
 * keeps first-match order. `accepted` is every name the index knows, sorted:
 * a route in `anyModel` may accept more, which no list can name.
 */
export function indexRoutes(routes: readonly RouteNode[]): { index: RouteIndex; accepted: string[] } {
  const byModel = new Map<string, number[]>();
  const anyModel: number[] = [];
  routes.forEach((route, i) => {
    const models = route.when ? modelsOf(route.when) : "any";
    if (models === "any") {
      anyModel.push(i);
      return;
    }
    for (const m of models) {
      const list = byModel.get(m);
      if (list) list.push(i);
      else byModel.set(m, [i]);
    }
  });
  const accepted = [...byModel.keys()].sort();
  return { index: { byModel: Object.fromEntries(byModel), anyModel }, accepted };
}
