/**
 * What a request cost, in dollars: the provider's reported usage priced with
 * the model's declared prices (`input $2.50/Mtok output $10/Mtok`). The same
 * prices budgets charge with, so the cost in the log and in `/metrics`
 * agrees with the spend a budget counts.
 */
import type { Graph } from "../../compiler/graph.js";
import type { Usage } from "../providers/index.js";

/**
 * Dollars for `usage` on the policy model `model`; undefined without usage,
 * for an unknown model, or for a model with no price at all. A model with
 * only one of the two prices is charged nothing for the other.
 */
export function costOf(graph: Graph, model: string | undefined, usage: Usage | undefined): number | undefined {
  if (usage === undefined || model === undefined) return undefined;
  const m = Object.hasOwn(graph.models, model) ? graph.models[model] : undefined;
  if (m === undefined || (m.inputPrice === undefined && m.outputPrice === undefined)) return undefined;
  return (usage.promptTokens * (m.inputPrice ?? 0) + usage.completionTokens * (m.outputPrice ?? 0)) / 1_000_000;
}
