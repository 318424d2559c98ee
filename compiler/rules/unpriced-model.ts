/**
 * E307 unpriced-model: a budget can only reserve and settle a request's cost
 * when the model it goes to has prices. So every model a route with a budget
 * can send to — its `to` or `split` targets, its fallbacks, and the models its
 * budgets downgrade to — needs both an `input` and an `output` price. Reported
 * once per model, at the model's name, related to the first such route's
 * `budget` line. (Whether the price has the right unit is E201, elsewhere.)
 */
import type { BudgetDecl, ModelDecl, RouteStmt } from "../../lang/ast.js";
import { diagnostic, type Diagnostic } from "../../lang/diagnostics.js";
import type { Rule } from "./rule.js";
import { arr, nameOf, routeModels, routesInOrder, spanOf, statements } from "./walk.js";

const PRICES = ["input", "output"] as const;

function missingPrices(model: ModelDecl): string[] {
  const have = new Set(arr(model.settings).map((s) => nameOf(s?.name)));
  return PRICES.filter((p) => !have.has(p));
}

export const unpricedModel: Rule = {
  name: "unpriced-model",
  codes: ["E307"],
  check(ctx) {
    const out: Diagnostic[] = [];
    const budgets = ctx.symbols?.budgets ?? new Map<string, BudgetDecl>();
    const models = ctx.symbols?.models ?? new Map<string, ModelDecl>();
    const reported = new Set<string>();
    for (const route of routesInOrder(ctx)) {
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
        if (!model || reported.has(name)) continue;
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
