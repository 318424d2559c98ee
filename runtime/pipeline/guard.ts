/**
 * Input guardrails on a chat request: runs the engine's `applyGuardrails`
 * over the request's text parts and acts on the verdict. A block is a 400
 * naming the guardrail (nothing is sent upstream); a redaction puts the
 * redacted texts back where they came from in a copy of the body, so the
 * provider never sees the original; flags are only reported.
 */
import { applyGuardrails, type Facts, type GuardHit, type GuardOutcome, type PreparedGraph } from "../engine/index.js";
import type { ChatCompletion, ChatMessage, ContentPart } from "../providers/index.js";
import { GatewayError } from "./errors.js";
import type { ChatRequest } from "./validate.js";

export interface GuardResult {
  /** The body to send: the original when nothing was redacted. */
  body: ChatRequest;
  redacted: readonly GuardHit[];
  flagged: readonly GuardHit[];
}

/**
 * The text parts of the messages, in the order the engine's `messageText`
 * joins them (so a condition on `text` and the detectors see the same input).
 */
export function textParts(body: ChatRequest): string[] {
  const out: string[] = [];
  for (const m of body.messages) {
    const c = m.content;
    if (typeof c === "string") out.push(c);
    else if (Array.isArray(c)) for (const p of c) if (p.type === "text") out.push(p.text);
  }
  return out;
}

/** The verdict when a route has no guardrails. */
const NO_GUARDRAILS: GuardOutcome = Object.freeze({ blocked: undefined, texts: Object.freeze([]), redacted: Object.freeze([]), flagged: Object.freeze([]) });

/**
 * Applies the decision's guardrails to the input; throws a 400 {@link GatewayError} when one blocks.
 * `seen` receives the engine's verdict first, a block included (the access log's decision record and metrics).
 */
export function guardInput(graph: PreparedGraph, guardrails: readonly string[], facts: Facts, body: ChatRequest, seen?: (outcome: GuardOutcome) => void): GuardResult {
  if (guardrails.length === 0) {
    seen?.(NO_GUARDRAILS);
    return { body, redacted: [], flagged: [] };
  }
  const texts = textParts(body);
  const outcome = applyGuardrails(graph, guardrails, "input", facts, texts);
  seen?.(outcome);
  if (outcome.blocked) {
    const b = outcome.blocked;
    throw new GatewayError("blocked_by_guardrail", `request blocked by guardrail \`${b.guardrail}\` (${b.by})`, { param: "messages" });
  }
  const redactedBody = outcome.texts === texts ? body : withTexts(body, outcome.texts);
  return { body: redactedBody, redacted: outcome.redacted, flagged: outcome.flagged };
}

/** A copy of the body with its text parts replaced, in `textParts` order; the original is not touched. */
function withTexts(body: ChatRequest, texts: readonly string[]): ChatRequest {
  let i = 0;
  const messages = body.messages.map((m): ChatMessage => {
    const c = m.content;
    if (typeof c === "string") return { ...m, content: texts[i++]! } as ChatMessage;
    if (!Array.isArray(c)) return m;
    const parts = c.map((p): ContentPart => (p.type === "text" ? { ...p, text: texts[i++]! } : p));
    return { ...m, content: parts } as ChatMessage;
  });
  return { ...body, messages };
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
 * Output guardrails on a non-streaming completion, over each choice's text.
 * A block withholds the text the way OpenAI-compatible APIs report filtered
 * output: the choice's content becomes null and its `finish_reason`
 * `content_filter` (the provider has already answered, so this is not a
 * request error); a redaction replaces the text; flags are only reported.
 * Streams are not inspected (lang/SPEC.md §7.5).
 */
export function guardOutput(graph: PreparedGraph, guardrails: readonly string[], facts: Facts, completion: ChatCompletion): OutputResult {
  const unchanged: OutputResult = { completion, changed: false, blocked: undefined, redacted: [], flagged: [] };
  if (guardrails.length === 0) return unchanged;
  const texts = completion.choices.map((c) => (typeof c.message.content === "string" ? c.message.content : ""));
  const outcome = applyGuardrails(graph, guardrails, "output", facts, texts);
  if (outcome.blocked) {
    const choices = completion.choices.map((c) => ({ ...c, message: { ...c.message, content: null }, finish_reason: "content_filter" as const }));
    return { completion: { ...completion, choices }, changed: true, blocked: outcome.blocked, redacted: outcome.redacted, flagged: outcome.flagged };
  }
  if (outcome.texts === texts) return { ...unchanged, flagged: outcome.flagged };
  const choices = completion.choices.map((c, i) => (typeof c.message.content === "string" ? { ...c, message: { ...c.message, content: outcome.texts[i]! } } : c));
  return { completion: { ...completion, choices }, changed: true, blocked: undefined, redacted: outcome.redacted, flagged: outcome.flagged };
}
