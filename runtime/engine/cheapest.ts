/**
 * `split cheapest` (lang/SPEC.md §7.9): the arm whose model prices this
 * request's worst case lowest. The worst case is the budget's bound read
 * from the facts, so `decide` stays pure and needs no encoding of the
 * request: input tokens at most the count (or, uncounted, the UTF-8 byte
 * length, which bounds it), capped by the model's `context`; output tokens
 * at most the request's `max_tokens`, else the model's `max_output`, else
 * its `context`, else {@link LARGEST_CONTEXT_TOKENS}. A model without both
 * prices has no price here and ranks after every priced one; ties draw by
 * weight with the request's draw, so equal prices share traffic as written.
 */
import { inputCeiling, type ModelNode } from "../../compiler/graph.js";
import type { Facts } from "./facts.js";
import type { Arm } from "./split.js";

/**
 * The largest context window of any model we know (Llama 4 Scout: 10M
 * tokens). It bounds what cannot be measured when a model declares no
 * `context`, and no request may ask for more output than this
 * (runtime/pipeline/validate.ts).
 */
export const LARGEST_CONTEXT_TOKENS = 10_000_000;

/** Dollars of the request's worst case on `model`; undefined when the model lacks a price. */
export function worstCost(model: ModelNode | undefined, f: Facts, asked: number | undefined = f.maxTokens): number | undefined {
  if (model?.inputPrice === undefined || model.outputPrice === undefined) return undefined;
  const input = model.context === undefined ? f.maxInputTokens : Math.min(f.maxInputTokens, model.context);
  const output = asked ?? model.maxOutput ?? model.context ?? LARGEST_CONTEXT_TOKENS;
  return (input * inputCeiling(model) + output * model.outputPrice) / 1_000_000;
}

/** What `split cheapest` compared and chose. */
export interface CheapestPick {
  /** The arm chosen; -1 when no arm has a positive weight. */
  readonly index: number;
  /** Each arm's worst-case dollars (undefined: unpriced or not drawable), by arm index. */
  readonly costs: readonly (number | undefined)[];
}

/**
 * The cheapest arm with a positive weight: the lowest cost among the priced
 * ones, else (none priced) every arm ties; ties go to the weighted draw `u`
 * among them.
 */
export function pickCheapest(arms: readonly Arm[], u: number, cost: (model: string) => number | undefined): CheapestPick {
  const n = arms.length;
  const costs: (number | undefined)[] = [];
  let best = Infinity;
  let any = false;
  for (let i = 0; i < n; i++) {
    const c = arms[i]!.weight > 0 ? cost(arms[i]!.model) : undefined;
    costs.push(c);
    if (arms[i]!.weight > 0) any = true;
    if (c !== undefined && c < best) best = c;
  }
  if (!any) return { index: -1, costs };
  // The weighted draw among the tied arms (every unpriced one when none is priced), without building their list.
  const tied = (i: number): boolean => arms[i]!.weight > 0 && (best === Infinity ? costs[i] === undefined : costs[i] === best);
  let total = 0;
  for (let i = 0; i < n; i++) if (tied(i)) total += arms[i]!.weight;
  const at = u * total;
  let acc = 0;
  let last = -1;
  for (let i = 0; i < n; i++) {
    if (!tied(i)) continue;
    acc += arms[i]!.weight;
    last = i;
    if (at < acc) return { index: i, costs };
  }
  return { index: last, costs };
}
