/**
 * Turns a decision graph into its prepared form once: `when` expressions
 * compiled to closures, regexes and detectors compiled, split arms hashed,
 * attempt plans built, the route index copied into sorted integer arrays.
 * Not cached: whoever evaluates a graph many times keeps its prepared form
 * (the server's per-graph runtime, a policy-test run), so nothing hidden
 * outlives a graph.
 *
 * The graph is checked for dangling references on the way: a graph that
 * names an unknown model, budget, limit or guardrail, or holds a bad regex,
 * fails with a `GraphError` here rather than at request time.
 */
import type { BudgetNode, CacheNode, FactNode, Graph, LimitNode, RouteNode, SourceRef } from "../../compiler/graph.js";
import type { RouteRef } from "./decision.js";
import { factKind, factValue, compileExpr, GraphError, readsFact, stringReader, type Pred } from "./expr.js";
import type { Facts } from "./facts.js";
import { compileGuardrail, type PreparedGuardrail } from "./guard-compile.js";
import { budgetsReadByConditions } from "./budget-use.js";
import { modelFits, type ModelFit } from "./fit.js";
import { buildPlan, downgradePlan, type AttemptPlan } from "./plan.js";
import { makeArms, totalWeight, type Arm } from "./split.js";
import { prepareWildcards, type PreparedWildcards } from "./wildcard.js";

/** A budget a route charges, with its downgrade plan precomputed. */
export interface PreparedBudget {
  readonly name: string;
  readonly node: BudgetNode;
  /** The plan used when this budget is exceeded with `downgrade`. */
  readonly downgrade: AttemptPlan | undefined;
  /** The budget's `when`, compiled; undefined: it applies to every request. */
  readonly when: Pred | undefined;
}

/** A rate limit a route counts against. */
export interface PreparedLimit {
  readonly name: string;
  readonly node: LimitNode;
  readonly when: Pred | undefined;
}

/** A route ready to evaluate: compiled condition, hashed split arms, shared plans. */
export interface PreparedRoute {
  readonly node: RouteNode;
  readonly ref: RouteRef;
  /** Undefined: the route has no `when` and matches everything. */
  readonly when: Pred | undefined;
  /** The split's arms; undefined for a `to` route. */
  readonly arms: readonly Arm[] | undefined;
  readonly totalWeight: number;
  readonly by: FactNode | undefined;
  /** `split fastest`: the arm is chosen on latency estimates. */
  readonly fastest: boolean;
  /** `split cheapest`: the arm is chosen on the request's worst-case price (the graph's models, for their prices). */
  readonly cheapest: Graph["models"] | undefined;
  /** Reads the `split by` fact as a string. */
  readonly byValue: ((f: Facts) => string | undefined) | undefined;
  /** One plan per arm (a `to` route has one). */
  readonly plans: readonly AttemptPlan[];
  /** The plan when no arm can win (every weight zero): the fallback chain only. */
  readonly fallbackOnlyPlan: AttemptPlan;
  readonly budgets: readonly PreparedBudget[];
  readonly limits: readonly PreparedLimit[];
  /** The route's response cache (engine/cache.ts), its `when` compiled. */
  readonly cache: PreparedCache | undefined;
  /** Where the route's `health` policy is declared (for explanations). */
  readonly healthSpan: SourceRef | undefined;
  /** What the route's targets can take (engine/fit.ts); undefined when none of them declares anything, so nothing is checked. */
  readonly fits: ReadonlyMap<string, ModelFit> | undefined;
  /** The route's wildcard targets (engine/wildcard.ts); undefined when it has none. */
  readonly wildcards: PreparedWildcards | undefined;
}

/** A cache a route uses: its name in the graph, its node, its compiled `when`. */
export interface PreparedCache {
  readonly name: string;
  readonly node: CacheNode;
  readonly when: Pred | undefined;
}

/** A graph ready to evaluate; built once per graph by `prepare`. */
export interface PreparedGraph {
  readonly graph: Graph;
  readonly routes: readonly PreparedRoute[];
  /** Route indices per requested model, ascending, without the any-model ones. */
  readonly byModel: ReadonlyMap<string, Int32Array>;
  readonly anyModel: Int32Array;
  readonly guardrails: ReadonlyMap<string, PreparedGuardrail>;
  /** Whether any route, guardrail or cache condition reads `input_tokens`, or a model declares a `context` (the tokenizer may be needed). */
  readonly readsTokens: boolean;
  /** Whether a condition reads `input_tokens` (a context check counts only inputs longer than the context in bytes). */
  readonly conditionsReadTokens: boolean;
  /** The budgets conditions read with `budget_used`: their use is read before deciding (budget-use.ts); empty for most policies. */
  readonly budgetsUsed: readonly string[];
  /** Every model that declares `supports`, `context` or `max_output`, with what it can take. */
  readonly fits: ReadonlyMap<string, ModelFit>;
  /** `graph.accepted` joined, for 404 messages. */
  readonly acceptedText: string;
}

/** The prepared form of a graph; throws `GraphError` for a malformed graph. */
export function prepare(graph: Graph): PreparedGraph {
  const guardrails = new Map<string, PreparedGuardrail>();
  for (const name of Object.keys(graph.guardrails)) guardrails.set(name, compileGuardrail(name, graph.guardrails[name]!));

  const fits = modelFits(graph);
  const routes = graph.routes.map((node, index) => prepareRoute(graph, node, index, guardrails, fits));

  const anyModel = indexList(graph.index.anyModel, routes.length, "anyModel");
  const anySet = new Set(anyModel);
  const byModel = new Map<string, Int32Array>();
  for (const model of Object.keys(graph.index.byModel)) {
    const list = indexList(graph.index.byModel[model]!, routes.length, `byModel[${JSON.stringify(model)}]`).filter((i) => !anySet.has(i));
    byModel.set(model, list);
  }

  let readsTokens = graph.routes.some((r) => r.when !== undefined && readsFact(r.when, "input_tokens"));
  for (const g of Object.values(graph.guardrails)) {
    for (const rule of g.rules) if (rule.when !== undefined && readsFact(rule.when, "input_tokens")) readsTokens = true;
  }
  for (const c of Object.values(graph.caches ?? {})) if (c.when !== undefined && readsFact(c.when, "input_tokens")) readsTokens = true;
  for (const b of [...Object.values(graph.budgets), ...Object.values(graph.limits)]) if (b.when !== undefined && readsFact(b.when, "input_tokens")) readsTokens = true;
  const conditionsReadTokens = readsTokens;
  for (const f of fits.values()) if (f.context !== undefined) readsTokens = true;

  return { graph, routes, byModel, anyModel, guardrails, readsTokens, conditionsReadTokens, budgetsUsed: budgetsReadByConditions(graph), fits, acceptedText: graph.accepted.map((m) => `\`${m}\``).join(", ") };
}

/** A copy of an index list as a sorted, duplicate-free Int32Array, checked against the route count. */
function indexList(list: readonly number[], count: number, where: string): Int32Array {
  for (const i of list) {
    if (!Number.isInteger(i) || i < 0 || i >= count) throw new GraphError(`index ${where} names route ${i}, but there are ${count} routes`);
  }
  return Int32Array.from(new Set(list)).sort();
}

function prepareRoute(
  graph: Graph,
  node: RouteNode,
  index: number,
  guardrails: ReadonlyMap<string, PreparedGuardrail>,
  fits: ReadonlyMap<string, ModelFit>,
): PreparedRoute {
  const where = `route \`${node.name}\``;
  const requireModel = (m: string): void => {
    if (!Object.hasOwn(graph.models, m)) throw new GraphError(`${where} names unknown model \`${m}\``);
  };
  for (const m of node.fallback) requireModel(m);
  for (const g of node.guard) if (!guardrails.has(g)) throw new GraphError(`${where} names unknown guardrail \`${g}\``);
  let cache: PreparedCache | undefined;
  if (node.cache !== undefined) {
    const c = (graph.caches ?? {})[node.cache];
    if (c === undefined || !Object.hasOwn(graph.caches, node.cache)) throw new GraphError(`${where} names unknown cache \`${node.cache}\``);
    cache = { name: node.cache, node: c, when: c.when === undefined ? undefined : compileExpr(c.when) };
  }
  if (node.health !== undefined && !Object.hasOwn(graph.health ?? {}, node.health)) throw new GraphError(`${where} names unknown health policy \`${node.health}\``);

  const budgets = node.budgets.map((name): PreparedBudget => {
    if (!Object.hasOwn(graph.budgets, name)) throw new GraphError(`${where} names unknown budget \`${name}\``);
    const b = graph.budgets[name]!;
    if (b.exceeded.action === "downgrade") requireModel(b.exceeded.model);
    return { name, node: b, downgrade: b.exceeded.action === "downgrade" ? downgradePlan(graph, node, b.exceeded.model) : undefined, when: b.when === undefined ? undefined : compileExpr(b.when) };
  });
  const limits = node.limits.map((name): PreparedLimit => {
    if (!Object.hasOwn(graph.limits, name)) throw new GraphError(`${where} names unknown limit \`${name}\``);
    const l = graph.limits[name]!;
    return { name, node: l, when: l.when === undefined ? undefined : compileExpr(l.when) };
  });

  let arms: Arm[] | undefined;
  let plans: AttemptPlan[];
  let by: FactNode | undefined;
  let byValue: ((f: Facts) => string | undefined) | undefined;
  if (node.target.kind === "to") {
    requireModel(node.target.model);
    plans = [buildPlan(graph, node, node.target.model)];
  } else if (node.target.kind === "reject") {
    plans = [];
  } else {
    for (const a of node.target.arms) requireModel(a.model);
    arms = makeArms(node.target.arms);
    plans = arms.map((a) => buildPlan(graph, node, a.model));
    by = node.target.by;
    if (by !== undefined) byValue = splitReader(by);
  }

  return {
    node,
    ref: Object.freeze({ name: node.name, index, span: node.span }),
    when: node.when === undefined ? undefined : compileExpr(node.when),
    arms,
    totalWeight: arms === undefined ? 0 : totalWeight(arms),
    by,
    fastest: node.target.kind === "split" && node.target.fastest === true,
    cheapest: node.target.kind === "split" && node.target.cheapest === true ? graph.models : undefined,
    byValue,
    plans,
    fallbackOnlyPlan: buildPlan(graph, node, undefined),
    budgets,
    limits,
    cache,
    healthSpan: node.health === undefined ? undefined : graph.health?.[node.health]?.span,
    fits: routeModels(node, budgets).some((m) => fits.has(m)) ? fits : undefined,
    wildcards: prepareWildcards(graph, node, routeModels(node, budgets)),
  };
}

/** Every model a route can send to: its `to` or arms, its fallbacks, its budgets' downgrades. */
function routeModels(node: RouteNode, budgets: readonly PreparedBudget[]): string[] {
  const first = node.target.kind === "to" ? [node.target.model] : node.target.kind === "reject" ? [] : node.target.arms.map((a) => a.model);
  return [...first, ...node.fallback, ...budgets.flatMap((b) => (b.node.exceeded.action === "downgrade" ? [b.node.exceeded.model] : []))];
}

/** How `split by` reads its fact: string facts directly, others as text (`"true"`, `"1200"`). */
function splitReader(by: FactNode): (f: Facts) => string | undefined {
  if (factKind(by.name) === "string") {
    const read = stringReader(by);
    return (f) => read(f, f.text);
  }
  return (f) => factValue(by, f, f.text);
}
