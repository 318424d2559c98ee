/**
 * E307 unpriced-model: a budget can only reserve and settle a request's cost
 * when the model it goes to has prices. So every model a route with a budget
 * can send to — its `to` or `split` targets, its fallbacks, and the models its
 * budgets downgrade to — needs both an `input` and an `output` price. Reported
 * once per model, at the model's name, related to the first such route's
 * `budget` line. (Whether the price has the right unit is E201, elsewhere.)
 *
 * A wildcard model (`provider/"*"`) is priced by its table: on a route that
 * needs prices — a budget, a `max_cost` (its own or the gateway's) or a
 * `split cheapest` — it needs a table, and every row both prices, since the
 * route sends only the names its table lists (graph.ts, `pricesRequired`).
 */
import type { BudgetDecl, Declaration, ModelDecl, RouteDecl, RouteStmt } from "../../lang/ast.js";
import type { Span } from "../../lang/span.js";
import { WILDCARD_UPSTREAM } from "../graph.js";
import { diagnostic, type Diagnostic } from "../../lang/diagnostics.js";
import type { Rule } from "./rule.js";
import { arr, declarations, nameOf, routeModels, routesInOrder, spanOf, statements } from "./walk.js";

const PRICES = ["input", "output"] as const;

function missingPrices(model: Pick<ModelDecl, "settings">): string[] {
  const have = new Set(arr(model.settings).map((s) => nameOf(s?.name)));
  return PRICES.filter((p) => !have.has(p));
}

/** Why a route needs its wildcards priced, with where it says so; undefined when it does not. */
function pricedBy(route: RouteDecl, budgets: ReadonlyMap<string, BudgetDecl>, gatewayMaxCost: Span | undefined): { why: string; span: Span } | undefined {
  for (const s of statements(route)) {
    if (s?.kind === "budget" && arr(s.names).some((n) => budgets.has(nameOf(n) ?? ""))) return { why: `budget \`${nameOf(arr(s.names)[0]) ?? ""}\` pays for it`, span: s.span };
    if (s?.kind === "setting" && nameOf(s.name) === "max_cost") return { why: `route \`${nameOf(route.name) ?? ""}\` has a \`max_cost\``, span: s.span };
    if (s?.kind === "split" && s.cheapest) return { why: `route \`${nameOf(route.name) ?? ""}\` picks the cheapest arm`, span: s.span };
  }
  return gatewayMaxCost === undefined ? undefined : { why: "the gateway has a `max_cost`", span: gatewayMaxCost };
}

function gatewayMaxCost(decls: Iterable<{ decl: Declaration }>): Span | undefined {
  for (const { decl } of decls) if (decl?.kind === "gateway") for (const s of arr(decl.settings)) if (nameOf(s?.name) === "max_cost") return s.span;
  return undefined;
}

/** E307 for a wildcard a route that needs prices sends to: no table, or rows without both prices. */
function unpricedWildcard(name: string, model: ModelDecl, route: RouteDecl, by: { why: string; span: Span }): Diagnostic[] {
  const file = model.span?.file ?? "";
  const related = { message: `route \`${nameOf(route.name) ?? ""}\` can send to it and needs prices`, span: spanOf(route.span?.file ?? file, by, route) };
  const rows = arr(model.prices);
  if (rows.length === 0) {
    return [diagnostic("E307", `wildcard model \`${name}\` has no price table, but ${by.why}`, spanOf(file, model.name, model), { related, help: `list the names it may send with their prices: \`"gpt-4o" input $2.50/Mtok output $10/Mtok\`` })];
  }
  return rows.flatMap((row) => {
    if (!row) return [];
    const missing = missingPrices(row);
    if (missing.length === 0) return [];
    const what = missing.length === 2 ? "`input` or `output` price" : `\`${missing[0]}\` price`;
    return [diagnostic("E307", `\`${row.name?.value ?? ""}\` in the price table of \`${name}\` has no ${what}, but ${by.why}`, spanOf(file, row.name, row), { related, help: `add ${missing.map((p) => `\`${p} $…/Mtok\``).join(" and ")} to the row` })];
  });
}

export const unpricedModel: Rule = {
  name: "unpriced-model",
  codes: ["E307"],
  check(ctx) {
    const out: Diagnostic[] = [];
    const budgets = ctx.symbols?.budgets ?? new Map<string, BudgetDecl>();
    const models = ctx.symbols?.models ?? new Map<string, ModelDecl>();
    const reported = new Set<string>();
    const gateway = gatewayMaxCost(declarations(ctx));
    for (const route of routesInOrder(ctx)) {
      const by = pricedBy(route, budgets, gateway);
      if (by !== undefined) {
        for (const name of routeModels(route)) {
          const model = models.get(name);
          if (model?.upstream?.value !== WILDCARD_UPSTREAM || reported.has(name)) continue;
          reported.add(name);
          out.push(...unpricedWildcard(name, model, route, by));
        }
      }
      const budgetLines: { stmt: Extract<RouteStmt, { kind: "budget" }>; budget: BudgetDecl }[] = [];
      for (const s of statements(route)) {
        if (s.kind !== "budget") continue;
        for (const n of arr(s.names)) {
          const b = budgets.get(nameOf(n) ?? "");
          if (b) budgetLines.push({ stmt: s, budget: b });
        }
      }
      if (budgetLines.length === 0) continue;
      const names = routeModels(route);
      for (const { budget } of budgetLines) {
        for (const c of arr(budget.clauses)) if (c?.kind === "exceeded") {
          const n = nameOf(c.model);
          if (n) names.push(n);
        }
      }
      const first = budgetLines[0]!;
      for (const name of names) {
        const model = models.get(name);
        if (!model || reported.has(name) || model.upstream?.value === WILDCARD_UPSTREAM) continue;
        const missing = missingPrices(model);
        if (missing.length === 0) continue;
        reported.add(name);
        const file = model.span?.file ?? "";
        const what = missing.length === 2 ? "`input` or `output` price" : `\`${missing[0]}\` price`;
        const budgetName = nameOf(first.budget.name) ?? "";
        out.push(
          diagnostic("E307", `model \`${name}\` has no ${what}, but budget \`${budgetName}\` pays for it`, spanOf(file, model.name, model), {
            related: {
              message: `route \`${nameOf(route.name) ?? ""}\` can send to it under this budget`,
              span: spanOf(route.span?.file ?? file, first.stmt, route),
            },
            help: `add ${missing.map((p) => `\`${p} $…/Mtok\``).join(" and ")} to the model so the budget can price its requests`,
          }),
        );
      }
    }
    return out;
  },
};
