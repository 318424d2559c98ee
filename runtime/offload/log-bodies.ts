/**
 * The body log's text (`log_bodies true`), redacted: the pure part the
 * guard pass runs, on a worker for large bodies (observe/bodies.ts picks
 * the bodies, the observer writes the line). The request is logged as it
 * was sent upstream (the input guardrails' redactions already applied).
 * The completion is passed through the route's redacting rules (input and
 * output rules alike: a policy that redacts emails from prompts does not
 * want them in its logs either); if any of them would block it, the text is
 * withheld. Whatever the policy, every logged string also passes the
 * built-in `api_key` detector: a key pasted into a prompt (or echoed in an
 * answer) does not end up in the log.
 *
 * Each of the two bodies keeps at most {@link LOGGED_BODY_CHARS}
 * characters of text (the request's strings in order, then nothing of the
 * rest), cut after the redaction and marked with what was left out: an
 * access-log line is written synchronously to a pipe, and a line of
 * megabytes would hold the event loop while the reader catches up.
 */
import { applyGuardrails, compileDetector, redactText, type Detector, type Facts, type PreparedGraph } from "../engine/index.js";

/** What the body log redacts: the messages as sent upstream, the route's guardrails and the request's facts. */
export interface LogBodies {
  request: unknown;
  guardrails: readonly string[];
  facts: Facts;
}

/** The body log's two fields. */
export interface LoggedBodies {
  request: unknown;
  response?: string;
}

/** How many characters of text each logged body keeps. */
export const LOGGED_BODY_CHARS = 64 * 1024;

/** The texts to log, redacted and cut (the guard pass runs it on a worker for large bodies). */
export function loggedBodies(graph: PreparedGraph, bodies: LogBodies, text: string | undefined): LoggedBodies {
  const request = capped(withoutKeys(bodies.request));
  if (text === undefined) return { request };
  return { request, response: capped(withoutKeys(redactForLog(graph, bodies, text))) };
}

/** A copy of `value` whose strings together hold at most LOGGED_BODY_CHARS characters (the same value when they do). */
function capped<T>(value: T): T {
  let left = LOGGED_BODY_CHARS;
  const cut = (s: string): string => {
    if (s.length <= left) {
      left -= s.length;
      return s;
    }
    const kept = s.slice(0, left);
    left = 0;
    return `${kept}…[cut: ${s.length - kept.length} more characters]`;
  };
  return mapStrings(value, cut);
}

let keys: Detector | undefined;

/** A copy of `value` with every string passed through the `api_key` detector (the same value when there is none). */
function withoutKeys<T>(value: T): T {
  const detector = (keys ??= compileDetector({ kind: "builtin", name: "api_key" }));
  return mapStrings(value, (s) => redactText(s, [detector]).text);
}

/** A copy of a JSON value with every string (not key) passed through `f`, in document order. */
function mapStrings<T>(value: T, f: (s: string) => string): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return f(v);
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

function redactForLog(graph: PreparedGraph, bodies: LogBodies, text: string): string {
  let texts: readonly string[] = [text];
  for (const direction of ["input", "output"] as const) {
    const o = applyGuardrails(graph, bodies.guardrails, direction, bodies.facts, texts);
    if (o.blocked !== undefined) return `[withheld: guardrail ${o.blocked.guardrail} (${o.blocked.by})]`;
    texts = o.texts;
  }
  return texts.join("");
}
