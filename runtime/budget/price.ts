/**
 * The one place model prices are read: `$P/Mtok` is P micro-dollars a
 * token. Budgets count integer micro-dollars, rounded up (`priceMicros`);
 * the access log and `/metrics` report the exact amount in dollars
 * (`priceDollars`). Both come from the same declared prices, so the cost in
 * the log agrees with the spend a budget counts.
 */
import { inputCeiling, type Graph, type ModelNode } from "../../compiler/graph.js";
import type { Usage } from "../providers/index.js";

/** Of a request's input tokens, those read from and written to the provider's prompt cache. */
export interface CacheTokens {
  readonly read: number;
  readonly write: number;
}

const NO_CACHE: CacheTokens = { read: 0, write: 0 };

/**
 * Micro-dollars of `input` and `output` tokens on `model` (rounded up; a
 * model without prices costs 0). Of the input, cache reads and writes are
 * priced at `cache_read` and `cache_write` (each `input` when not declared);
 * more of them than input tokens is cut to the input.
 */
export function priceMicros(model: ModelNode, input: number, output: number, cache: CacheTokens = NO_CACHE): number {
  return Math.ceil(inputDollarsPerM(model, input, cache) + output * (model.outputPrice ?? 0));
}

/** The worst case of `input` and `output` tokens: every input token at the dearest input price (a cache write may be dearer). */
export function boundMicros(model: ModelNode, input: number, output: number): number {
  return Math.ceil(input * inputCeiling(model) + output * (model.outputPrice ?? 0));
}

/** The cache tokens a usage reports (0 when it reports none). */
export function cacheOf(usage: Usage): CacheTokens {
  return usage.cacheReadTokens === undefined && usage.cacheWriteTokens === undefined ? NO_CACHE : { read: usage.cacheReadTokens ?? 0, write: usage.cacheWriteTokens ?? 0 };
}

/** Micro-dollars (unrounded) of `input` tokens, `cache` of them at the cache prices. */
function inputDollarsPerM(model: ModelNode, input: number, cache: CacheTokens): number {
  const price = model.inputPrice ?? 0;
  if (cache.read === 0 && cache.write === 0) return input * price;
  const read = Math.min(cache.read, input);
  const write = Math.min(cache.write, input - read);
  return (input - read - write) * price + read * (model.cacheReadPrice ?? price) + write * (model.cacheWritePrice ?? price);
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
  return (inputDollarsPerM(m, usage.promptTokens, cacheOf(usage)) + usage.completionTokens * (m.outputPrice ?? 0)) / 1_000_000;
}
