/**
 * The one place model prices are read: `$P/Mtok` is P micro-dollars a
 * token. Budgets count integer micro-dollars, rounded up (`priceMicros`);
 * the access log and `/metrics` report the exact amount in dollars
 * (`priceDollars`). Both come from the same declared prices, so the cost in
 * the log agrees with the spend a budget counts.
 */
import type { Graph, ModelNode } from "../../compiler/graph.js";
import type { Usage } from "../providers/index.js";

/** Micro-dollars of `input` and `output` tokens on `model` (rounded up; a model without prices costs 0). */
export function priceMicros(model: ModelNode, input: number, output: number): number {
  return Math.ceil(input * (model.inputPrice ?? 0) + output * (model.outputPrice ?? 0));
}

/**
 * Dollars for `usage` on the policy model `model`; undefined without usage,
 * for an unknown model, or for a model with no price at all. A model with
 * only one of the two prices is charged nothing for the other.
 */
export function priceDollars(graph: Graph, model: string | undefined, usage: Usage | undefined): number | undefined {
  if (usage === undefined || model === undefined) return undefined;
  const m = Object.hasOwn(graph.models, model) ? graph.models[model] : undefined;
  if (m === undefined || (m.inputPrice === undefined && m.outputPrice === undefined)) return undefined;
  return (usage.promptTokens * (m.inputPrice ?? 0) + usage.completionTokens * (m.outputPrice ?? 0)) / 1_000_000;
}
