/**
 * W505 unbounded-reservation: a budget or a token limit reserves a request's
 * worst case before it is sent (lang/SPEC.md §9), and a request without
 * `max_tokens` is bounded only by the model's `max_output`, else its
 * `context`, else 10,000,000 tokens. A model with neither, reachable from a
 * budgeted or token-limited route, makes every such request reserve ten
 * million output tokens: the budget or limit refuses nearly all of them.
 * Reported once per model, at the model's name, related to the first route
 * that reserves against it. A route that caps or sets `max_tokens`
 * (lang/SPEC.md §4.8.2) reserves at most that, and is not counted.
 */
import type { BudgetClause, BudgetDecl, LimitDecl, ModelDecl, RouteStmt, Setting } from "../../lang/ast.js";
import { WILDCARD_UPSTREAM } from "../graph.js";
import { diagnostic, type Diagnostic } from "../../lang/diagnostics.js";
import type { Rule } from "./rule.js";
import { arr, nameOf, routeModels, routesInOrder, spanOf, statements } from "./walk.js";

const BOUNDS = new Set(["max_output", "context"]);

function countsTokens(clauses: readonly BudgetClause[]): boolean {
  return arr(clauses).some((c) => c?.kind === "amount" && nameOf(c.measure) === "tokens");
}

function boundsOutput(s: RouteStmt): boolean {
  return s.kind === "shape" && s.verb !== "default" && nameOf(s.param) === "max_tokens";
}

export const unboundedReservation: Rule = {
  name: "unbounded-reservation",
  codes: ["W505"],
  check(ctx) {
    const out: Diagnostic[] = [];
    const budgets = ctx.symbols?.budgets ?? new Map<string, BudgetDecl>();
    const limits = ctx.symbols?.limits ?? new Map<string, LimitDecl>();
    const models = ctx.symbols?.models ?? new Map<string, ModelDecl>();
    const reported = new Set<string>();
    for (const route of routesInOrder(ctx)) {
      let first: { stmt: RouteStmt; what: string } | undefined;
      const names = routeModels(route);
      for (const s of statements(route)) {
        if (s.kind === "budget")
          for (const n of arr(s.names)) {
            const b = budgets.get(nameOf(n) ?? "");
            if (!b) continue;
            first ??= { stmt: s, what: `budget \`${nameOf(n)}\`` };
            for (const c of arr(b.clauses)) if (c?.kind === "exceeded" && nameOf(c.model)) names.push(nameOf(c.model)!);
          }
        else if (s.kind === "limit")
          for (const n of arr(s.names)) {
            const l = limits.get(nameOf(n) ?? "");
            if (l && countsTokens(l.clauses)) first ??= { stmt: s, what: `token limit \`${nameOf(n)}\`` };
          }
      }
      // A route that caps (or sets) `max_tokens` reserves at most that: the model's bound is not needed.
      if (!first || statements(route).some(boundsOutput)) continue;
      for (const name of names) {
        const model = models.get(name);
        if (!model || reported.has(name)) continue;
        const bounded = (settings: readonly Setting[]): boolean => arr(settings).some((s) => BOUNDS.has(nameOf(s?.name) ?? ""));
        // A wildcard's bounds are its price table's, row by row.
        if (model.upstream?.value === WILDCARD_UPSTREAM ? arr(model.prices).every((row) => bounded(row?.settings ?? [])) : bounded(model.settings)) continue;
        reported.add(name);
        const file = model.span?.file ?? "";
        out.push(
          diagnostic("W505", `model \`${name}\` declares neither \`max_output\` nor \`context\`: a request without \`max_tokens\` reserves 10,000,000 output tokens against ${first.what}`, spanOf(file, model.name, model), {
            related: { message: `route \`${nameOf(route.name) ?? ""}\` reserves against it here`, span: spanOf(route.span?.file ?? file, first.stmt, route) },
            help: "add the model's real bound, e.g. `max_output 16k` (or its `context`), so a reservation is what the model can really bill",
          }),
        );
      }
    }
    return out;
  },
};
