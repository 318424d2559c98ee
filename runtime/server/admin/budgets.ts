/**
 * `GET /admin/budgets` (admin token): every budget counter with something
 * spent or reserved in its current window, in dollars, from `store.list()`.
 * Rate-limit counters are listed too, under `limits` (`name`, `measure`, `used`, `limit`), in requests or tokens.
 */
import { budgetCap, type Graph } from "../../../compiler/graph.js";
import { requireAdmin, type RouteTable } from "./guard.js";
import { microsToDollars, parseKey, type CounterEntry, type Store } from "../../state/index.js";

/** One budget counter as the endpoint shows it. */
export interface BudgetRow {
  budget: string;
  scope: string;
  spent: number;
  reserved: number;
  /** The limit in the current policy (else the one the last admission used). */
  limit: number;
  resetAt: string;
}

/** The endpoint's body. */
export function budgetsBody(graph: Graph, entries: readonly CounterEntry[]): { budgets: BudgetRow[]; limits: Record<string, unknown>[] } {
  const budgets: BudgetRow[] = [];
  const limits: Record<string, unknown>[] = [];
  for (const e of entries) {
    const k = parseKey(e.key);
    if (k?.kind === "budget") {
      const node = Object.hasOwn(graph.budgets, k.name) ? graph.budgets[k.name] : undefined;
      budgets.push({
        budget: k.name,
        scope: k.scopeValue,
        spent: microsToDollars(e.spent),
        reserved: microsToDollars(e.reserved),
        limit: node === undefined ? microsToDollars(e.limit) : budgetCap(node, k.scopeValue),
        resetAt: new Date(e.resetAt).toISOString(),
      });
    } else if (k?.kind === "limit") {
      limits.push({ name: k.name, measure: k.measure, scope: k.scopeValue, used: e.spent, limit: e.limit, resetAt: new Date(e.resetAt).toISOString() });
    }
  }
  return { budgets, limits };
}

/** The route table for `startGateway`'s `routes`. */
export function budgetRoutes(store: Store, graph: () => Graph, env: Readonly<Record<string, string | undefined>>): RouteTable {
  return {
    "/admin/budgets": {
      GET: async (req, res) => {
        const g = graph();
        requireAdmin(req, g, env);
        const body = JSON.stringify(budgetsBody(g, await store.list()));
        res.send(200, [["content-type", "application/json"]], body);
      },
    },
  };
}
