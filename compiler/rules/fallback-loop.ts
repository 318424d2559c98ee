/**
 * E303 fallback-loop: a budget downgrade that leads back to where it started.
 *
 * What can loop, given how runtime/engine/decide.ts and plan.ts evaluate a
 * route. A plan is the first target followed by the fallback list with
 * duplicates removed, so no plan tries a model twice (repeats are still
 * reported, as E302). `retry N` is bounded. Routes are matched once, top to
 * bottom, and never name each other; import cycles are the loader's L002.
 * Budgets are checked once, in the route's order, and the first exceeded
 * `downgrade M` budget replaces the plan with M alone; budgets are not
 * re-checked at M, so two budgets downgrading to different models do not
 * ping-pong (the first exceeded one wins) and are not reported.
 *
 * The one cycle left is a downgrade to the model the route already uses —
 * `to M`, or a split whose every arm is M — with `exceeded downgrade M`, on a
 * route without fallbacks: M → M, the over-budget request goes on exactly as
 * before, so the budget is never enforced. With fallbacks the downgrade is
 * not a loop: it drops them (plan M alone), which is a real way to stop
 * paying for a fallback once over budget. Reported at the budget's name in
 * the route's `budget` line, related to the budget's `downgrade` model.
 * If the evaluator ever re-checks budgets after a downgrade, two budgets of
 * one route downgrading to different models become a real M1 → M2 → M1 loop
 * and belong here too.
 */
import type { BudgetDecl, Ident, RouteDecl } from "../../lang/ast.js";
import { diagnostic, type Diagnostic } from "../../lang/diagnostics.js";
import type { Rule } from "./rule.js";
import { arr, nameOf, routesInOrder, spanOf, statements } from "./walk.js";

/** The model a budget downgrades to, with the identifier that names it. */
function downgradeOf(budget: BudgetDecl): Ident | undefined {
  for (const c of arr(budget.clauses)) {
    if (c?.kind === "exceeded" && nameOf(c.action) === "downgrade" && nameOf(c.model)) return c.model;
  }
  return undefined;
}

/** The single model every primary target of the route names, if there is exactly one. */
function onlyTarget(route: RouteDecl): string | undefined {
  const names = new Set<string>();
  for (const s of statements(route)) {
    if (s.kind === "to") {
      const n = nameOf(s.target);
      if (n) names.add(n);
    } else if (s.kind === "split") for (const a of arr(s.arms)) {
      const n = nameOf(a?.target);
      if (n) names.add(n);
    }
  }
  return names.size === 1 ? [...names][0] : undefined;
}

/** Does the route fall back to any model other than `target` (which a downgrade would drop)? */
function hasFallbacks(route: RouteDecl, target: string): boolean {
  return statements(route).some((s) => s.kind === "fallback" && arr(s.targets).some((m) => ![undefined, target].includes(nameOf(m))));
}

function checkRoute(route: RouteDecl, budgets: ReadonlyMap<string, BudgetDecl>, out: Diagnostic[]): void {
  const target = onlyTarget(route);
  if (target === undefined || hasFallbacks(route, target)) return;
  const file = route.span?.file ?? "";
  const routeName = nameOf(route.name) ?? "";
  const seen = new Set<string>();
  for (const s of statements(route)) {
    if (s.kind !== "budget") continue;
    for (const ref of arr(s.names)) {
      const n = nameOf(ref);
      if (!n || seen.has(n)) continue;
      seen.add(n);
      const budget = budgets.get(n);
      const model = budget && downgradeOf(budget);
      if (!budget || !model || model.name !== target) continue;
      out.push(
        diagnostic("E303", `budget \`${n}\` downgrades route \`${routeName}\` to \`${model.name}\`, the model it already uses`, spanOf(file, ref, s), {
          related: { message: "the downgrade is here", span: spanOf(budget.span?.file ?? file, model, budget) },
          help: "downgrade to a cheaper model, or use `exceeded reject`; as written the budget never stops spending",
        }),
      );
    }
  }
}

export const fallbackLoop: Rule = {
  name: "fallback-loop",
  codes: ["E303"],
  check(ctx) {
    const out: Diagnostic[] = [];
    const budgets = ctx.symbols?.budgets ?? new Map<string, BudgetDecl>();
    for (const route of routesInOrder(ctx)) checkRoute(route, budgets, out);
    return out;
  },
};
