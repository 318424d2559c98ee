/**
 * Prompt and completion text for the access log, only when the policy says
 * `log_bodies true`. The request is logged as it was sent upstream (the
 * input guardrails' redactions already applied): the canonical request's
 * messages in OpenAI's chat format (runtime/request/chat.ts; for a request
 * that came in on that wire unredacted, the caller's own messages). The completion is passed
 * through the route's redacting rules (input and output rules alike: a
 * policy that redacts emails from prompts does not want them in its logs
 * either); if any of them would block it, the text is withheld.
 *
 * A blocked request's body is never logged: the guardrails after the one
 * that blocked did not run, so it may still hold what they would redact.
 * Whatever the policy, every logged string also passes the built-in
 * `api_key` detector: a key pasted into a prompt (or echoed in an answer)
 * does not end up in the log.
 */
import { applyGuardrails, compileDetector, redactText, type Detector, type PreparedGraph } from "../engine/index.js";
import type { ChatStream } from "../providers/index.js";
import { tapStream } from "../providers/tap.js";
import { encodeChat } from "../request/index.js";
import type { RequestView } from "./request.js";

type Bodies = NonNullable<RequestView["bodies"]>;

/** The texts to log: the messages as sent upstream, and the completion's text when there was one. */
export function loggedBodies(graph: PreparedGraph, bodies: Bodies, streamText: string | undefined): { request: unknown; response?: string } {
  const request = withoutKeys(encodeChat(bodies.request).messages);
  const text = streamText ?? completionText(bodies.completion);
  if (text === undefined) return { request };
  return { request, response: withoutKeys(redactForLog(graph, bodies, text)) };
}

let keys: Detector | undefined;

/** A copy of `value` with every string passed through the `api_key` detector (the same value when there is none). */
function withoutKeys<T>(value: T): T {
  keys ??= compileDetector({ kind: "builtin", name: "api_key" });
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return redactText(v, [keys!]).text;
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = walk(x);
      return out;
    }
    return v;
  };
  return walk(value) as T;
}

function completionText(c: Bodies["completion"]): string | undefined {
  if (c === undefined) return undefined;
  let out = "";
  for (const choice of c.choices) if (typeof choice.message?.content === "string") out += choice.message.content;
  return out;
}

function redactForLog(graph: PreparedGraph, bodies: Bodies, text: string): string {
  let texts: readonly string[] = [text];
  for (const direction of ["input", "output"] as const) {
    const o = applyGuardrails(graph, bodies.guardrails, direction, bodies.facts, texts);
    if (o.blocked !== undefined) return `[withheld: guardrail ${o.blocked.guardrail} (${o.blocked.by})]`;
    texts = o.texts;
  }
  return texts.join("");
}

/** A stream that hands its chunks on unchanged and keeps the text of their deltas, for `log_bodies` (the one stream tap). */
export function captureStreamText(stream: ChatStream): { stream: ChatStream; text: () => string } {
  const tapped = tapStream(stream, { keepText: true });
  return { stream: tapped.stream, text: () => tapped.seen().text };
}
