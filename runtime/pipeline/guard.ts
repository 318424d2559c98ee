/**
 * Input guardrails on a canonical request: runs the engine's
 * `applyGuardrails` over everything the model will read
 * (runtime/request/text.ts: message texts and names, tool calls and their
 * arguments, tool definitions, response schemas) and acts on the verdict. A
 * block is a 400 naming the guardrail (nothing is sent upstream); a
 * redaction makes a new request with the redacted texts where the originals
 * were, so the provider never sees the original; flags are only reported.
 * Output guardrails do the same over a completion's messages, decoded into
 * canonical messages, tool calls included. `apply` is the engine's pass,
 * on a worker for large texts (pipeline/offloaded.ts).
 */
import { applyGuardrails, type Facts, type GuardHit, type GuardOutcome, type PreparedGraph } from "../engine/index.js";
import type { AssistantMessage, ChatCompletion, ChatMessage } from "../providers/index.js";
import { decodeChatMessage, encodeChatMessage, messagesTexts, withMessagesTexts, withRequestTexts, type CanonicalRequest } from "../request/index.js";
import { GatewayError } from "./errors.js";
import type { ApplyGuard } from "./offloaded.js";

export interface GuardResult {
  /** The request to send: the original when nothing was redacted. */
  request: CanonicalRequest;
  redacted: readonly GuardHit[];
  flagged: readonly GuardHit[];
}

/** The verdict when a route has no guardrails. */
const NO_GUARDRAILS: GuardOutcome = Object.freeze({ blocked: undefined, texts: Object.freeze([]), redacted: Object.freeze([]), flagged: Object.freeze([]) });

/**
 * Applies the decision's guardrails to the input; throws a 400 {@link GatewayError} when one blocks.
 * `seen` receives the engine's verdict first, a block included (the access log's decision record and metrics).
 */
export function guardInput(
  graph: PreparedGraph,
  guardrails: readonly string[],
  facts: Facts,
  request: CanonicalRequest,
  texts: readonly string[],
  seen?: (outcome: GuardOutcome) => void,
  apply: ApplyGuard = applyGuardrails,
): GuardResult | Promise<GuardResult> {
  if (guardrails.length === 0) {
    seen?.(NO_GUARDRAILS);
    return { request, redacted: [], flagged: [] };
  }
  const outcome = apply(graph, guardrails, "input", facts, texts);
  // Inline (a small text) the verdict is at hand: no promise, no microtask; on a worker it is awaited.
  return outcome instanceof Promise ? outcome.then((o) => acted(o, request, texts, seen)) : acted(outcome, request, texts, seen);
}

/** Acts on the input verdict: a block throws, a redaction makes the request to send. */
function acted(outcome: GuardOutcome, request: CanonicalRequest, texts: readonly string[], seen: ((outcome: GuardOutcome) => void) | undefined): GuardResult {
  seen?.(outcome);
  if (outcome.blocked) {
    const b = outcome.blocked;
    throw new GatewayError("blocked_by_guardrail", `request blocked by guardrail \`${b.guardrail}\` (${b.by})`, { param: "messages" });
  }
  const sent = outcome.texts === texts ? request : withRequestTexts(request, outcome.texts);
  return { request: sent, redacted: outcome.redacted, flagged: outcome.flagged };
}

/** What the output guardrails did to a completion. */
export interface OutputResult {
  /** The completion to send: the original object when nothing changed. */
  completion: ChatCompletion;
  /** Whether `completion` differs from what the provider sent (its raw bytes must not be forwarded). */
  changed: boolean;
  blocked: GuardOutcome["blocked"];
  redacted: readonly GuardHit[];
  flagged: readonly GuardHit[];
}

/**
 * Output guardrails on a non-streaming completion, over everything its
 * choices say (content, refusal, tool-call names and arguments).
 * A block withholds the reply the way OpenAI-compatible APIs report filtered
 * output: each choice's content and refusal become null, its tool calls and
 * reasoning are dropped and
 * its `finish_reason` is `content_filter` (the provider has already
 * answered, so this is not a request error); a redaction replaces the text
 * where it was (inside tool-call arguments, keeping them valid JSON); flags
 * are only reported. Streams are not inspected (lang/SPEC.md §7.5).
 */
export async function guardOutput(graph: PreparedGraph, guardrails: readonly string[], facts: Facts, completion: ChatCompletion, apply: ApplyGuard = applyGuardrails): Promise<OutputResult> {
  const unchanged: OutputResult = { completion, changed: false, blocked: undefined, redacted: [], flagged: [] };
  if (guardrails.length === 0) return unchanged;
  const messages = completion.choices.map((c) => decodeChatMessage(c.message as ChatMessage));
  const texts = messagesTexts(messages);
  const outcome = await apply(graph, guardrails, "output", facts, texts);
  if (outcome.blocked) {
    const choices = completion.choices.map((c) => {
      // Everything the model said is withheld: what completionTexts reads, nothing of it survives.
      const { tool_calls: _calls, function_call: _legacy, reasoning_content: _thought, reasoning: _reasoning, ...message } = c.message;
      return { ...c, message: { ...message, content: null, refusal: null }, finish_reason: "content_filter" as const };
    });
    return { completion: { ...completion, choices }, changed: true, blocked: outcome.blocked, redacted: outcome.redacted, flagged: outcome.flagged };
  }
  if (outcome.texts === texts) return { ...unchanged, flagged: outcome.flagged };
  const redacted = withMessagesTexts(messages, outcome.texts);
  const choices = completion.choices.map((c, i) => (redacted[i] === messages[i] ? c : { ...c, message: encodeChatMessage(redacted[i]!) as AssistantMessage }));
  return { completion: { ...completion, choices }, changed: true, blocked: undefined, redacted: outcome.redacted, flagged: outcome.flagged };
}
