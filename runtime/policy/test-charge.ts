/**
 * What a policy test's request is charged (`expect cost`, lang/SPEC.md
 * §8.3): the server's price of the model that answered
 * (runtime/budget/price.ts — what the access log, `/metrics` and the usage
 * ledger record) for the request's input tokens (its `input_tokens`, given
 * or counted) and the reply's, counted by the same tokenizer from `given T
 * answers "…"` (no text given: no output tokens). Only an answer from
 * upstream is settled, so a request that was blocked, refused, failed, had
 * no route or was answered from the cache is charged nothing.
 */
import type { Graph } from "../../compiler/graph.js";
import { priceDollars } from "../budget/price.js";
import type { Facts } from "../engine/facts.js";
import type { Tokenizer } from "../engine/tokens.js";

export interface Charge {
  /** Dollars; undefined when the model that answered declares no price. */
  dollars: number | undefined;
  /** The model that answered; undefined when nothing upstream did. */
  model?: string;
  input: number;
  output: number;
}

export function testCharge(graph: Graph, answered: { model: string; answer: string | undefined } | undefined, facts: Facts, tokenizer: Tokenizer | undefined): Charge {
  if (answered === undefined) return { dollars: 0, input: 0, output: 0 };
  const input = facts.inputTokens;
  const output = answered.answer === undefined ? 0 : (tokenizer?.count(answered.answer) ?? 0);
  return { dollars: priceDollars(graph, answered.model, { promptTokens: input, completionTokens: output }), model: answered.model, input, output };
}
