/**
 * Wildcard targets (`model any = openai/"*" { … }`, compiler/graph.ts): the
 * name sent upstream comes from the request. `decide` asks this module two
 * things. First, up front, whether the route may send the requested name at
 * all: a name outside the safe charset never leaves the gateway (400), and a
 * route that needs prices (a budget, `max_cost`, `split cheapest`) sends only
 * names its wildcards' tables list (404) — nothing unpriced is admitted.
 * Second, once the plan is chosen, each wildcard target becomes its table
 * row (`any/gpt-4o`, a priced model like any other) or, on a route that
 * needs no prices, stays the wildcard with the requested upstream name.
 */
import { isWildcard, pricesRequired, requestedUpstream, tableRow, type Graph, type ModelNode } from "../../compiler/graph.js";
import type { Facts } from "./facts.js";
import type { AttemptPlan, PlannedTarget } from "./plan.js";

/** A route's wildcards, prepared once. */
export interface PreparedWildcards {
  readonly models: Readonly<Record<string, ModelNode>>;
  /** The wildcard targets the route can send to, by name. */
  readonly wildcards: readonly string[];
  /** Whether only table names may be sent (graph.ts, `pricesRequired`). */
  readonly priced: boolean;
}

/** Why a wildcard route refuses a request before anything else happens. */
export interface WildcardRefusal {
  readonly status: 400 | 404;
  readonly code: "invalid_model" | "model_not_found";
  readonly message: string;
}

/** The route's wildcards, or undefined when it has none (the hot path then never looks). */
export function prepareWildcards(graph: Graph, route: Graph["routes"][number], models: readonly string[]): PreparedWildcards | undefined {
  const wildcards = [...new Set(models)].filter((m) => Object.hasOwn(graph.models, m) && isWildcard(graph.models[m]!));
  if (wildcards.length === 0) return undefined;
  return { models: graph.models, wildcards, priced: pricesRequired(route, graph.gateway) };
}

/** The refusal for this request, if the route cannot send its model name. */
export function refuseWildcard(w: PreparedWildcards, facts: Facts): WildcardRefusal | undefined {
  for (const name of w.wildcards) {
    const upstream = requestedUpstream(w.models[name]!.provider, facts.model);
    if (upstream === undefined) {
      return { status: 400, code: "invalid_model", message: `model \`${printable(facts.model)}\` cannot be sent upstream: a name is 1 to 128 letters, digits, \`.\`, \`_\`, \`:\` and \`-\`` };
    }
    if (w.priced && !Object.hasOwn(w.models, tableRow(name, upstream))) {
      return { status: 404, code: "model_not_found", message: `model \`${upstream}\` is not in the price table of \`${name}\`, and this route only sends priced models` };
    }
  }
  return undefined;
}

/** The model a wildcard target is for this request: its table row when listed, else undefined. */
export function rowFor(w: Pick<PreparedWildcards, "models">, model: string, facts: Facts): string | undefined {
  const node = Object.hasOwn(w.models, model) ? w.models[model] : undefined;
  if (node === undefined || !isWildcard(node)) return undefined;
  const upstream = requestedUpstream(node.provider, facts.model);
  if (upstream === undefined) return undefined;
  const row = tableRow(model, upstream);
  return Object.hasOwn(w.models, row) ? row : undefined;
}

/** The plan with each wildcard target resolved for this request (a new plan only when one is). */
export function resolvePlan(plan: AttemptPlan, w: PreparedWildcards, facts: Facts): AttemptPlan {
  let changed = false;
  const targets = plan.targets.map((t): PlannedTarget => {
    const node = Object.hasOwn(w.models, t.model) ? w.models[t.model]! : undefined;
    if (node === undefined || !isWildcard(node)) return t;
    const upstream = requestedUpstream(node.provider, facts.model);
    if (upstream === undefined) return t;
    changed = true;
    const row = tableRow(t.model, upstream);
    return Object.freeze({ ...t, model: Object.hasOwn(w.models, row) ? row : t.model, upstream });
  });
  return changed ? Object.freeze({ ...plan, targets: Object.freeze(targets) }) : plan;
}

/** A requested name as it may appear in a message: control bytes and quotes escaped, at most 200 characters. */
function printable(model: string | undefined): string {
  if (model === undefined) return "";
  const text = JSON.stringify(model).slice(1, -1);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
