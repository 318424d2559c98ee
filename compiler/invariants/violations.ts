/**
 * What one route does against one requirement of an invariant, from the
 * lowered graph alone: the ways it breaks it, each with the plan that does
 * (compiler/bounds' `routePlans`: every first target with the fallbacks
 * after, and every budget downgrade) and, where it takes a particular
 * request to break it, the requests that do (a cube). Whether such a
 * request reaches the route at all is prove.ts's question.
 *
 * - `guard G, …`: the route guards with each `G`; every plan is guarded
 *   alike, so a route without one breaks it whatever it sends to.
 * - `residency R, …`: every model of every plan declares a residency (its
 *   own, else its provider's) among the `R`s. Absent is not proof.
 * - `price`: every model of every plan has both prices (E307 asks it only of
 *   budgeted routes; here it is an organisation's rule for the routes in
 *   scope).
 * - `context`: no model later in a plan takes fewer tokens than the plan's
 *   first target does — a prompt the first target admits would skip it
 *   (lang/SPEC.md §7.8), so the fallback is no fallback for that prompt. A
 *   downgrade must take what the route's largest first target takes. A first
 *   target without `context` admits any prompt; a later model without one
 *   cannot be shown to fit. The requests that break it are those whose
 *   `input_tokens` lie between the two contexts.
 */
import { tokenText } from "../units-text.js";
import { routePlans, type RoutePlan } from "../bounds/worst-case.js";
import { EVERYTHING, type Constraint, type Cube } from "../conditions/index.js";
import { isWildcard, pricesRequired, type Graph, type RouteNode } from "../graph.js";
import type { Requirement } from "../passes/check-invariants.js";

export interface Violation {
  /** The plan that breaks it, and the position in it of the model that does (0 for a route-wide break). */
  plan: RoutePlan;
  at: number;
  /** Why, in words, after "route `r` breaks invariant `i`: ". */
  why: string;
  /** The requests that break it, beyond being the route's (EVERYTHING: all of them). */
  needs: Cube;
  /** The route breaks it whatever it sends to (a missing guardrail). */
  wholeRoute?: true;
}

/** A model's residency: its own, else its provider's (see prove.ts, which reads them from the declarations). */
export type Residency = (model: string) => string | undefined;

const code = (s: string): string => `\`${s}\``;
const list = (xs: readonly string[]): string => xs.map(code).join(", ");

/** Each model once, with the first plan reaching it and its position there. */
function reached(plans: readonly RoutePlan[]): { model: string; plan: RoutePlan; at: number }[] {
  const seen = new Map<string, { model: string; plan: RoutePlan; at: number }>();
  for (const plan of plans) plan.models.forEach((model, at) => seen.has(model) || seen.set(model, { model, plan, at }));
  return [...seen.values()];
}

function inputTokens(lo: number, hi: number): Cube {
  return new Map<string, Constraint>([["input_tokens", { kind: "ranges", parts: [[lo, hi]] }]]);
}

function contextBreaks(graph: Graph, plans: readonly RoutePlan[]): Violation[] {
  const ctx = (m: string): number => graph.models[m]?.context ?? Infinity;
  const firsts = plans.filter((p) => p.downgradeOf === undefined).map((p) => p.models[0]).filter((m): m is string => m !== undefined);
  const out: Violation[] = [];
  const seen = new Set<string>();
  for (const plan of plans) {
    const downgrade = plan.downgradeOf !== undefined;
    const admitted = downgrade ? Math.max(0, ...firsts.map(ctx)) : ctx(plan.models[0] ?? "");
    const by = downgrade ? "the route's first targets take" : `${code(plan.models[0] ?? "")} takes`;
    plan.models.forEach((model, at) => {
      if ((at === 0 && !downgrade) || seen.has(model)) return;
      const own = graph.models[model]?.context;
      if (own === undefined) {
        seen.add(model);
        out.push({ plan, at, why: `${code(model)} declares no \`context\`, so nothing shows it takes the prompts ${by}`, needs: EVERYTHING });
      } else if (own < admitted) {
        seen.add(model);
        const first = downgrade ? "a first target of the route" : code(plan.models[0] ?? "");
        const than = admitted === Infinity ? `while ${first} declares no \`context\` and may take more` : `fewer than the ${tokenText(admitted)} ${by}`;
        out.push({ plan, at, why: `${code(model)} takes ${tokenText(own)} tokens, ${than}`, needs: inputTokens(own + 1, admitted) });
      }
    });
  }
  return out;
}

/** The ways `route` breaks `require what names`. */
export function violations(graph: Graph, route: RouteNode, what: Requirement, names: readonly string[], residency: Residency): Violation[] {
  const plans = routePlans(graph, route);
  switch (what) {
    case "guard": {
      const missing = names.filter((g) => !route.guard.includes(g));
      const plan = plans[0];
      if (!missing.length || !plan) return [];
      return [{ plan, at: 0, why: `it sends to ${code(plan.models[0] ?? "")} without guardrail${missing.length > 1 ? "s" : ""} ${list(missing)}`, needs: EVERYTHING, wholeRoute: true }];
    }
    case "residency":
      return reached(plans).flatMap(({ model, plan, at }) => {
        const r = residency(model);
        if (r !== undefined && names.includes(r)) return [];
        const has = r === undefined ? "declares no `residency`" : `has residency ${code(r)}`;
        return [{ plan, at, why: `it can send to ${code(model)}, which ${has}, not ${names.length > 1 ? "one of " : ""}${list(names)}`, needs: EVERYTHING }];
      });
    case "price":
      return reached(plans).flatMap(({ model, plan, at }) => {
        const m = graph.models[model];
        if (m !== undefined && isWildcard(m)) {
          // A wildcard sends only the names its table prices on a route that needs prices (E307 checks the rows); elsewhere any name.
          if (pricesRequired(route, graph.gateway)) return [];
          return [{ plan, at, why: `it can send to wildcard ${code(model)}, which passes names its price table lacks on a route without a budget or \`max_cost\``, needs: EVERYTHING }];
        }
        const missing = [m?.inputPrice === undefined ? "input" : "", m?.outputPrice === undefined ? "output" : ""].filter(Boolean);
        if (!missing.length) return [];
        return [{ plan, at, why: `it can send to ${code(model)}, which has no ${missing.map(code).join(" or ")} price`, needs: EVERYTHING }];
      });
    case "context":
      return contextBreaks(graph, plans);
  }
}

/** The plan in words: `sonnet → small`, or `the downgrade of budget \`b\` to small`. */
export function pathText(plan: RoutePlan, at: number): string {
  if (plan.downgradeOf !== undefined) return `the downgrade of budget ${code(plan.downgradeOf)} to ${code(plan.models[0] ?? "")}`;
  return `the path ${code(plan.models.slice(0, at + 1).join(" → "))}`;
}
