/**
 * What a request may cost and what it did cost, in integer micro-dollars
 * (runtime/state/money.ts), from the policy's model prices ($ per million
 * tokens, so one token at $P/Mtok is exactly P micro-dollars).
 *
 * Worst case, reserved before the request is sent (lang/SPEC.md §12):
 * - input tokens: counted with the tokenizer when it is already loaded,
 *   else bounded by the UTF-8 byte length of the text (a byte-level BPE
 *   token covers at least one byte); plus OpenAI's chat framing (4 tokens a
 *   message and 3 for the reply) and the bytes of any `tools` definitions;
 * - output tokens: `max_completion_tokens`, else `max_tokens`, else the
 *   model's `max_output`, else its `context`, else {@link FALLBACK_OUTPUT_TOKENS};
 * - the most expensive target of the plan (a fallback may answer).
 */
import type { Graph, ModelNode } from "../../compiler/graph.js";
import { loadedTokenizer, type Facts, type PlannedTarget } from "../engine/index.js";
import type { Usage } from "../providers/index.js";
import { priceMicros } from "./price.js";

/** Output bound for a model that declares neither `max_output` nor `context` and a request without `max_tokens`. */
export const FALLBACK_OUTPUT_TOKENS = 32_768;

/** The request fields the worst case reads. */
export interface CostedRequest {
  readonly messages: readonly unknown[];
  readonly max_tokens?: number | null;
  readonly max_completion_tokens?: number | null;
  readonly tools?: unknown;
}

/** Input tokens counted at admission (an upper bound of what the provider reports, see the module comment). */
export function admissionInputTokens(facts: Facts, body: CostedRequest): number {
  const tok = facts.tokensCounted ? undefined : loadedTokenizer();
  const text = facts.tokensCounted ? facts.inputTokens : tok !== undefined ? tok.count(facts.text) : facts.inputBytes;
  const tools = body.tools === undefined || body.tools === null ? 0 : Buffer.byteLength(JSON.stringify(body.tools));
  return text + 4 * body.messages.length + 3 + tools;
}

/** The most output tokens a target may produce for this request. */
export function outputBound(model: ModelNode, body: CostedRequest): number {
  return body.max_completion_tokens ?? body.max_tokens ?? model.maxOutput ?? model.context ?? FALLBACK_OUTPUT_TOKENS;
}

/** The worst-case cost over the plan's targets, in micro-dollars. */
export function worstCaseMicros(graph: Graph, targets: readonly PlannedTarget[], inputTokens: number, body: CostedRequest): number {
  let worst = 0;
  for (const t of targets) {
    const m = graph.models[t.model];
    if (m === undefined) continue;
    worst = Math.max(worst, priceMicros(m, inputTokens, outputBound(m, body)));
  }
  return worst;
}

/** What a finished request cost on the model that answered, from the provider's usage. */
export function actualMicros(graph: Graph, model: string, usage: Usage): number {
  const m = graph.models[model];
  return m === undefined ? 0 : priceMicros(m, usage.promptTokens, usage.completionTokens);
}
