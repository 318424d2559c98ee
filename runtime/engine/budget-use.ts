/**
 * `budget_used("B")`: percent of budget B spent (and reserved) for the
 * caller's scope value, of that value's amount. `decide` is synchronous and
 * reads facts only, so the values are worked out before it runs — by the
 * server from its store, by policy tests from `given budget B spent $X` —
 * and only for the budgets the policy's conditions name: a policy that never
 * reads `budget_used` pays nothing for it.
 */
import { budgetCap, type ExprNode, type Graph } from "../../compiler/graph.js";
import { scopeKey } from "./decide.js";
import type { Facts } from "./facts.js";

/** The budgets some condition of the graph reads with `budget_used`, each once. */
export function budgetsReadByConditions(graph: Graph): string[] {
  const out = new Set<string>();
  const visit = (e: ExprNode | undefined): void => {
    if (e === undefined) return;
    switch (e.op) {
      case "and":
      case "or":
        for (const a of e.args) visit(a);
        return;
      case "not":
        visit(e.arg);
        return;
      default:
        if (e.fact.name === "budget_used" && e.fact.arg !== undefined && Object.hasOwn(graph.budgets, e.fact.arg)) out.add(e.fact.arg);
    }
  };
  for (const r of graph.routes) visit(r.when);
  for (const g of Object.values(graph.guardrails)) for (const rule of g.rules) visit(rule.when);
  for (const c of Object.values(graph.caches ?? {})) visit(c.when);
  for (const b of Object.values(graph.budgets)) visit(b.when);
  for (const l of Object.values(graph.limits)) visit(l.when);
  return [...out];
}

/** The scope value of budget `name` for this caller (a `per route` budget is refused in `budget_used` by the compiler). */
export function callerScopeKey(graph: Graph, name: string, facts: Facts): string {
  return scopeKey(graph.budgets[name]!.scope, facts, "");
}

/** Percent used of each budget in `names`, from dollars spent for the caller's scope value. A budget of $0 is wholly used. */
export function budgetUse(graph: Graph, names: readonly string[], facts: Facts, spent: (budget: string, scopeKey: string) => number): Record<string, number> {
  const out = Object.create(null) as Record<string, number>;
  for (const name of names) {
    const key = callerScopeKey(graph, name, facts);
    const cap = budgetCap(graph.budgets[name]!, key);
    out[name] = cap > 0 ? (spent(name, key) / cap) * 100 : 100;
  }
  return out;
}
