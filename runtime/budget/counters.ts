/**
 * The counters a routed decision's budgets and limits read, fetched in one
 * store `read`, and the state view that shows them to `decide`. Only needed
 * when the decision record must show the counters (a traced decide): on the
 * hot path the atomic admission (admission.ts) refuses what is used up and
 * the pipeline re-plans exactly as a decide on the counters would.
 */
import type { Graph } from "../../compiler/graph.js";
import { budgetUse, callerScopeKey } from "../engine/budget-use.js";
import type { Facts } from "../engine/facts.js";
import type { RoutedDecision, StateView } from "../engine/index.js";
import { budgetKey, limitKey } from "../state/keys.js";
import { microsToDollars } from "../state/money.js";
import type { CounterRef, CounterValue, Store } from "../state/store.js";

/** Counter values by store key (state/keys.ts). */
export type Counters = ReadonlyMap<string, CounterValue>;

export const NO_COUNTERS: Counters = new Map();

/** Reads the counters of the decision's budgets and limits; store failures propagate. */
export async function readCounters(store: Store, d: Pick<RoutedDecision, "budgets" | "limits">): Promise<Counters> {
  const refs: CounterRef[] = [];
  for (const b of d.budgets) refs.push({ key: budgetKey(b.budget, b.scopeKey), window: b.node.window });
  for (const l of d.limits) {
    for (const m of ["requests", "tokens"] as const) {
      const w = l.node[m]?.window;
      if (w !== undefined) refs.push({ key: limitKey(l.limit, m, l.scopeKey), window: w });
    }
  }
  if (refs.length === 0) return NO_COUNTERS;
  const values = await store.read(refs);
  const out = new Map<string, CounterValue>();
  for (let i = 0; i < refs.length; i++) out.set(refs[i]!.key, values[i]!);
  return out;
}

/** `base` with the budgets' spent+reserved and the limits' use taken from `counters`. */
export function countedView(base: StateView, counters: Counters): StateView {
  const used = (key: string): number | undefined => {
    const v = counters.get(key);
    return v === undefined ? undefined : v.spent + v.reserved;
  };
  return {
    ...base,
    budgetSpent: (budget, scope) => {
      const v = used(budgetKey(budget, scope));
      return v === undefined ? base.budgetSpent(budget, scope) : microsToDollars(v);
    },
    limitUsed: (limit, scope, measure) => used(limitKey(limit, measure, scope)) ?? base.limitUsed(limit, scope, measure),
  };
}

/**
 * `budget_used` for this caller: the counters of the budgets the policy's
 * conditions read (engine/budget-use.ts), fetched in one store `read`, as
 * percent of each scope value's amount. Store failures propagate.
 */
export async function readBudgetUse(store: Store, graph: Graph, names: readonly string[], facts: Facts): Promise<Record<string, number>> {
  const keys = names.map((n) => budgetKey(n, callerScopeKey(graph, n, facts)));
  const values = await store.read(names.map((n, i) => ({ key: keys[i]!, window: graph.budgets[n]!.window })));
  const spent = new Map<string, number>();
  for (let i = 0; i < keys.length; i++) spent.set(keys[i]!, microsToDollars(values[i]!.spent + values[i]!.reserved));
  return budgetUse(graph, names, facts, (b, key) => spent.get(budgetKey(b, key)) ?? 0);
}
