/**
 * Prompt and completion text for the access log, only when the policy says
 * `log_bodies true`: which bodies are logged (the request as sent upstream,
 * the input guardrails' redactions already applied, as the canonical
 * request's messages in OpenAI's chat format, runtime/request/chat.ts; the
 * completion or a stream's captured text), handed to the redaction of
 * runtime/offload/log-bodies.ts. A blocked request's body is never logged:
 * the guardrails after the one that blocked did not run, so it may still
 * hold what they would redact.
 */
import type { ChatStream } from "../providers/index.js";
import { tapStream } from "../providers/tap.js";
import type { LogBodies } from "../offload/log-bodies.js";
import { encodeChat } from "../request/index.js";
import type { RequestView } from "./request.js";

export { LOGGED_BODY_CHARS, loggedBodies, type LogBodies, type LoggedBodies } from "../offload/log-bodies.js";

type Bodies = NonNullable<RequestView["bodies"]>;

/** The messages to log, and the completion text (a stream's captured text, else the completion's) when there was one. */
export function bodiesToLog(bodies: Bodies, streamText: string | undefined): { log: LogBodies; text: string | undefined } {
  return { log: { request: encodeChat(bodies.request).messages, guardrails: bodies.guardrails, facts: bodies.facts }, text: streamText ?? completionText(bodies.completion) };
}

function completionText(c: Bodies["completion"]): string | undefined {
  if (c === undefined) return undefined;
  let out = "";
  for (const choice of c.choices) if (typeof choice.message?.content === "string") out += choice.message.content;
  return out;
}

/** A stream that hands its chunks on unchanged and keeps the text of their deltas, for `log_bodies` (the one stream tap). */
export function captureStreamText(stream: ChatStream): { stream: ChatStream; text: () => string } {
  const tapped = tapStream(stream, { keepText: true });
  return { stream: tapped.stream, text: () => tapped.seen().text };
}
