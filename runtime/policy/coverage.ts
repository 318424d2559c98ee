/**
 * Test coverage of a policy (`aigw check --coverage`): which parts of the
 * decision graph no `test` block exercises. The parts, each with the place
 * in the source a reviewer should look at:
 * - every route;
 * - every split arm with a positive weight;
 * - every fallback edge `A → B` of a route's plans (from the `to` model or
 *   each arm, through the fallback chain);
 * - every retry path: a retry of a target of a route that retries;
 * - every budget outcome of a budget some route charges: its warning (when
 *   it has `warn`) and what happens when it is exceeded (downgrade or
 *   reject);
 * - every rule (input or output) of a guardrail some route applies; an
 *   output rule is reached through a test's `given T answers "…"`.
 * A part is covered when some test's simulated request reaches it (the
 * simulations of policy-tests.ts, the same ones that judge the tests).
 */
import type { Graph, RouteNode, SourceRef } from "../../compiler/graph.js";
import type { Simulation } from "./policy-tests.js";

export type CoverageKind = "route" | "split-arm" | "fallback" | "retry" | "budget" | "guardrail-rule";

/** One part of the policy a test can exercise. */
export interface CoverageItem {
  kind: CoverageKind;
  /** In the policy's words: `route \`chat\``, `fallback \`big\` → \`son\` of route \`chat\``. */
  name: string;
  span: SourceRef;
  covered: boolean;
}

/** What the tests exercise. */
export interface Coverage {
  items: CoverageItem[];
  covered: number;
  total: number;
  /** covered / total in percent, 100 when there is nothing to cover. */
  percent: number;
}

interface Part {
  kind: CoverageKind;
  name: string;
  span: SourceRef;
}

const code = (s: string): string => `\`${s}\``;

/** The models a route's plans start with: its `to` model or its split's arms with a positive weight. */
function firsts(route: RouteNode): string[] {
  const t = route.target;
  return t.kind === "to" ? [t.model] : t.kind === "reject" ? [] : t.arms.filter((a) => a.weight > 0).map((a) => a.model);
}

/** The plan order from `first`, as plan.ts builds it: first, then the fallbacks, no model twice. */
function order(route: RouteNode, first: string): string[] {
  const out = [first];
  for (const m of route.fallback) if (!out.includes(m)) out.push(m);
  return out;
}

/** Every part of `graph` a test could exercise, by key. */
function parts(graph: Graph): Map<string, Part> {
  const out = new Map<string, Part>();
  const budgets = new Set<string>();
  const guardrails = new Set<string>();
  for (const r of graph.routes) {
    const route = code(r.name);
    out.set(`route:${r.name}`, { kind: "route", name: `route ${route}`, span: r.span });
    if (r.target.kind === "split") {
      for (const m of firsts(r)) out.set(`arm:${r.name}:${m}`, { kind: "split-arm", name: `split arm ${code(m)} of route ${route}`, span: r.span });
    }
    for (const first of firsts(r)) {
      const models = order(r, first);
      for (let i = 1; i < models.length; i++) {
        const [a, b] = [models[i - 1]!, models[i]!];
        out.set(`fallback:${r.name}:${a}>${b}`, { kind: "fallback", name: `fallback ${code(a)} → ${code(b)} of route ${route}`, span: r.span });
      }
      if (r.retry.count > 0) for (const m of models) out.set(`retry:${r.name}:${m}`, { kind: "retry", name: `a retry of ${code(m)} on route ${route}`, span: r.span });
    }
    for (const b of r.budgets) budgets.add(b);
    for (const g of r.guard) guardrails.add(g);
  }
  for (const b of budgets) {
    const node = Object.hasOwn(graph.budgets, b) ? graph.budgets[b] : undefined;
    if (node === undefined) continue;
    if (node.warnPercent !== undefined) out.set(`budget:${b}:warn`, { kind: "budget", name: `the warning of budget ${code(b)}`, span: node.span });
    const action = node.exceeded.action;
    out.set(`budget:${b}:${action}`, { kind: "budget", name: `budget ${code(b)} exceeded (${action})`, span: node.span });
  }
  for (const g of guardrails) {
    const node = Object.hasOwn(graph.guardrails, g) ? graph.guardrails[g] : undefined;
    node?.rules.forEach((rule, i) => {
      out.set(`guard:${g}#${i}`, { kind: "guardrail-rule", name: `rule ${i + 1} (${rule.on} ${rule.action}) of guardrail ${code(g)}`, span: node.span });
    });
  }
  return out;
}

/** The keys of the parts one simulated request reached. */
export function reachedParts(sim: Simulation): string[] {
  const d = sim.decision;
  if (d.kind === "no-route") return [];
  const r = d.route.name;
  const out = [`route:${r}`];
  if (d.kind === "route" && d.split !== undefined) out.push(`arm:${r}:${d.split.model}`);
  for (let i = 1; i < sim.tried.length; i++) out.push(`fallback:${r}:${sim.tried[i - 1]!}>${sim.tried[i]!}`);
  for (const a of sim.attempts) if (a.retry > 0) out.push(`retry:${r}:${a.model}`);
  for (const b of d.budgets) if (b.state === "warn") out.push(`budget:${b.budget}:warn`);
  if (d.kind === "route" && d.downgrade !== undefined) out.push(`budget:${d.downgrade.budget}:downgrade`);
  if (d.kind === "rejected" && d.reason.kind === "budget") out.push(`budget:${d.reason.budget}:reject`);
  for (const g of [sim.guard, sim.output]) {
    if (g !== undefined) for (const hit of [...(g.blocked ? [g.blocked] : []), ...g.redacted, ...g.flagged]) out.push(`guard:${hit.guardrail}#${hit.rule}`);
  }
  return out;
}

/** The coverage of `graph` by the tests whose simulations are `sims`. */
export function coverageOf(graph: Graph, sims: Iterable<Simulation>): Coverage {
  const hit = new Set<string>();
  for (const sim of sims) for (const k of reachedParts(sim)) hit.add(k);
  const items = [...parts(graph)].map(([key, p]): CoverageItem => ({ ...p, covered: hit.has(key) }));
  const covered = items.filter((i) => i.covered).length;
  const total = items.length;
  return { items, covered, total, percent: total === 0 ? 100 : Math.floor((covered * 1000) / total) / 10 };
}
