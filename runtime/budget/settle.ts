/**
 * What a settlement charges, from the usage a provider reported, checked
 * against the bound admission reserved for the model that answered
 * (cost.ts). An honest bill never passes the bound, so usage above it, or
 * usage that is no token count at all (negative, fractional, NaN, beyond a
 * safe integer), is the upstream's fault: it is charged conservatively and
 * reported, never dropped and never handed to the store (which would refuse
 * it as a bad argument and leave the hold reserved until it expires).
 *
 * - above the bound (`clamped`): each direction is capped at its bound;
 * - not a token count (`invalid`): the whole bound is charged, input and
 *   output — the reservation is the most the request could have cost, and
 *   nothing the upstream said can be trusted to lower it.
 */
import type { ModelNode } from "../../compiler/graph.js";
import type { Usage } from "../providers/index.js";
import { isTokenCount, priceMicros, targetBound, type CostedRequest, type RequestSize } from "./cost.js";

/** Why reported usage was not charged as reported. */
export type UsageFault = "clamped" | "invalid";

/** The tokens and micro-dollars a settlement charges, and the fault when the usage was not charged as reported. */
export interface SettlementAmount {
  readonly input: number;
  readonly output: number;
  readonly micros: number;
  readonly fault?: UsageFault;
}

/** The charge for `usage` on `model`, within the bound of a request of `size`. */
export function settlementOf(model: ModelNode, size: RequestSize, body: CostedRequest, usage: Usage): SettlementAmount {
  const bound = targetBound(model, size, body);
  if (!isTokenCount(usage.promptTokens) || !isTokenCount(usage.completionTokens)) {
    return { input: bound.input, output: bound.output, micros: bound.micros, fault: "invalid" };
  }
  const input = Math.min(usage.promptTokens, bound.input);
  const output = Math.min(usage.completionTokens, bound.output);
  // Cache counts that are no token count are charged as plain input (priceMicros cuts them to the input either way).
  const read = usage.cacheReadTokens !== undefined && isTokenCount(usage.cacheReadTokens) ? usage.cacheReadTokens : 0;
  const write = usage.cacheWriteTokens !== undefined && isTokenCount(usage.cacheWriteTokens) ? usage.cacheWriteTokens : 0;
  const micros = priceMicros(model, input, output, { read, write });
  return input < usage.promptTokens || output < usage.completionTokens ? { input, output, micros, fault: "clamped" } : { input, output, micros };
}
