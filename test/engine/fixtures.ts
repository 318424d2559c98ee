/**
 * Hand-built decision graphs for the engine tests: small builders so each
 * test states only what it is about. The route index is derived the way the
 * compiler does it (a route whose `when` requires `model == m` or
 * `model in [...]` at its top level goes under those models, every other
 * route under any model).
 */
import type {
  BudgetNode,
  ExprNode,
  FactNode,
  Graph,
  GuardrailNode,
  KeyNode,
  LimitNode,
  Literal,
  RouteNode,
  SourceRef,
  TestCase,
  TestExpect,
  TestGiven,
  TestRequest,
} from "../../compiler/graph.js";

export function span(line = 1, file = "main.route"): SourceRef {
  return { file, line, column: 1, endLine: line, endColumn: 2 };
}

// ---------------------------------------------------------------- expressions

export const fact = (name: FactNode["name"], arg?: string): FactNode => (arg === undefined ? { name } : { name, arg });
export const eq = (f: FactNode, value: Literal): ExprNode => ({ op: "eq", fact: f, value });
export const ne = (f: FactNode, value: Literal): ExprNode => ({ op: "ne", fact: f, value });
export const cmp = (op: "eq" | "ne" | "lt" | "gt" | "le" | "ge", f: FactNode, value: Literal): ExprNode => ({ op, fact: f, value });
export const isIn = (f: FactNode, values: Literal[]): ExprNode => ({ op: "in", fact: f, values });
export const matches = (f: FactNode, source: string, flags = ""): ExprNode => ({ op: "matches", fact: f, source, flags });
export const truthy = (f: FactNode): ExprNode => ({ op: "truthy", fact: f });
export const and = (...args: ExprNode[]): ExprNode => ({ op: "and", args });
export const or = (...args: ExprNode[]): ExprNode => ({ op: "or", args });
export const not = (arg: ExprNode): ExprNode => ({ op: "not", arg });
export const model = (m: string): ExprNode => eq(fact("model"), m);
export const header = (name: string, v: string): ExprNode => eq(fact("header", name), v);

// ---------------------------------------------------------------- routes

export interface RouteInit {
  when?: ExprNode;
  to?: string;
  split?: [string, number][];
  by?: FactNode;
  fallback?: string[];
  on?: string[];
  retry?: number;
  backoffMs?: number;
  timeoutMs?: number;
  guard?: string[];
  budgets?: string[];
  limits?: string[];
}

export function route(name: string, init: RouteInit, line = 1): RouteNode {
  const target: RouteNode["target"] =
    init.split !== undefined
      ? { kind: "split", ...(init.by ? { by: init.by } : {}), arms: init.split.map(([m, weight]) => ({ model: m, weight })) }
      : { kind: "to", model: init.to ?? "m" };
  return {
    name,
    ...(init.when ? { when: init.when } : {}),
    target,
    fallback: init.fallback ?? [],
    fallbackOn: init.on ?? [],
    retry: { count: init.retry ?? 0, backoffMs: init.backoffMs ?? 0 },
    ...(init.timeoutMs !== undefined ? { timeoutMs: init.timeoutMs } : {}),
    guard: init.guard ?? [],
    budgets: init.budgets ?? [],
    limits: init.limits ?? [],
    span: span(line),
  };
}

/** The models a route's `when` requires at its top level, or undefined for any model. */
export function requiredModels(e: ExprNode | undefined): string[] | undefined {
  if (e === undefined) return undefined;
  if (e.op === "eq" && e.fact.name === "model" && typeof e.value === "string") return [e.value];
  if (e.op === "in" && e.fact.name === "model" && e.values.every((v) => typeof v === "string")) return e.values as string[];
  if (e.op === "and") {
    for (const a of e.args) {
      const m = requiredModels(a);
      if (m !== undefined) return m;
    }
  }
  return undefined;
}

export interface GraphInit {
  routes: RouteNode[];
  budgets?: Record<string, BudgetNode>;
  limits?: Record<string, LimitNode>;
  guardrails?: Record<string, GuardrailNode>;
  keys?: Record<string, KeyNode>;
  /** Extra models beyond those the routes name. */
  models?: string[];
}

/** A graph with every referenced model declared (provider `p`, timeout 30 s) and the index derived. */
export function graph(init: GraphInit): Graph {
  const names = new Set<string>(init.models ?? []);
  for (const r of init.routes) {
    if (r.target.kind === "to") names.add(r.target.model);
    else if (r.target.kind === "split") for (const a of r.target.arms) names.add(a.model);
    for (const f of r.fallback) names.add(f);
  }
  for (const b of Object.values(init.budgets ?? {})) if (b.exceeded.action === "downgrade") names.add(b.exceeded.model);
  const models: Graph["models"] = {};
  for (const m of names) models[m] = { provider: "p", upstream: `up-${m}`, inputPrice: 1, outputPrice: 2, span: span() };

  const byModel: Record<string, number[]> = {};
  const anyModel: number[] = [];
  const accepted = new Set<string>();
  init.routes.forEach((r, i) => {
    const ms = requiredModels(r.when);
    if (ms === undefined) anyModel.push(i);
    else for (const m of ms) (byModel[m] ??= []).push(i), accepted.add(m);
  });

  return {
    version: 1,
    policy: "test",
    gateway: { state: { kind: "memory" }, auth: "none", logBodies: false, maxBodyBytes: 1 << 20, deadlineMs: 60_000 },
    providers: { p: { api: "mock", timeoutMs: 30_000, span: span() } },
    models,
    keys: init.keys ?? {},
    budgets: init.budgets ?? {},
    limits: init.limits ?? {},
    guardrails: init.guardrails ?? {},
    caches: {},
    routes: init.routes,
    index: { byModel, anyModel },
    accepted: [...accepted].sort(),
  };
}

export function budget(limit: number, exceeded: BudgetNode["exceeded"], scope: BudgetNode["scope"] = "team", warnPercent?: number): BudgetNode {
  return { scope, limit, window: { kind: "calendar", unit: "day" }, exceeded, ...(warnPercent !== undefined ? { warnPercent } : {}), span: span() };
}

export function limit(scope: LimitNode["scope"], requests?: number, tokens?: number): LimitNode {
  const window = { kind: "calendar", unit: "minute" } as const;
  return {
    scope,
    ...(requests !== undefined ? { requests: { count: requests, window } } : {}),
    ...(tokens !== undefined ? { tokens: { count: tokens, window } } : {}),
    span: span(),
  };
}

// ---------------------------------------------------------------- policy tests

export function testCase(name: string, request: Partial<TestRequest>, given: TestGiven[], expect: TestExpect[], line = 10): TestCase {
  return {
    name,
    span: span(line),
    request: { headers: {}, metadata: {}, ...request },
    given,
    expect: expect.map((e, i) => ({ ...e, span: span(line + 1 + i) })),
  };
}
