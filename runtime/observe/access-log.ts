/**
 * The access-log entry of one finished chat request: who called (team,
 * user, a prefix of the key's hash), what they asked for, the route and
 * where it is written, every try with its status, duration and error class,
 * tokens, cost, guardrail actions, the policy version, and — when decisions
 * are logged — the decision record `aigw explain` prints.
 *
 * Never in an entry: a key or any header value (the trace holds none), the
 * prompt or the completion unless the policy says `log_bodies true` (and
 * then after the guardrails' redactions).
 */
import { describeTraceEvent, describeUnfit, isRefusal } from "../engine/index.js";
import type { AttemptEntry, AccessEntry, GuardrailEntry } from "./log.js";
import { bodiesToLog, loggedBodies, type LoggedBodies } from "./bodies.js";
import { errorClass, type FinishedRequest } from "./request.js";
import { priceDollars } from "../budget/price.js";
import { describeShaping } from "../request/index.js";

/** Hex digits of the key hash kept in `keyId`: enough to find the entry in `keys`, far too few to matter. */
const KEY_ID_HEX = 12;

/**
 * Builds the entry; `bodyText` is a stream's captured completion text
 * (log_bodies only), `logged` the bodies already redacted off the event
 * loop (the observer does that for large ones).
 */
export function accessEntry(f: FinishedRequest, bodyText?: string, logged?: LoggedBodies): AccessEntry {
  const e = requestEntry(f);
  const t = f.view;
  if (t.bodies !== undefined) {
    const b = logged ?? inlineBodies(f, t.bodies, bodyText);
    e.requestBody = b.request;
    if (b.response !== undefined) e.responseText = b.response;
  }
  return e;
}

/** The entry without bodies: what was decided and how it went (the dashboard's request lookup keeps these). */
export function requestEntry(f: FinishedRequest): AccessEntry {
  const t = f.view;
  const e: AccessEntry = {
    requestId: t.requestId,
    method: f.method,
    path: f.path,
    status: f.status,
    ms: round(f.totalMs),
    ttfbMs: round(f.ttfbMs),
    upstreamMs: round(f.upstreamMs),
    overheadMs: round(f.overheadMs),
    policy: f.graph.policy,
  };
  if (t.model !== undefined) e.model = t.model;
  if (t.stream !== undefined) e.stream = t.stream;
  const c = t.caller;
  if (c !== undefined) {
    if (c.team !== undefined) e.team = c.team;
    if (c.user !== undefined) e.user = c.user;
    if (c.key !== undefined) e.keyId = keyId(c.key);
  } else if (t.team !== undefined) e.team = t.team;
  if (t.route !== undefined) e.route = t.route;
  if (t.span !== undefined) e.source = `${t.span.file}:${t.span.line}`;
  if (t.target !== undefined) e.target = t.target;
  if (t.attempts.length > 0) e.attempts = attempts(f);
  if (t.unfit !== undefined) e.skipped = t.unfit.map(describeUnfit);
  if (t.shaped !== undefined) e.shaped = describeShaping(t.shaped);
  if (t.skipped !== undefined) {
    const health = f.graph.health ?? {};
    const ejected = t.skipped.map((s) => describeTraceEvent({ kind: "skipped", skipped: s, span: Object.hasOwn(health, s.health) ? health[s.health]!.span : undefined }));
    e.skipped = e.skipped === undefined ? ejected : [...e.skipped, ...ejected];
  }
  if (f.usage !== undefined) {
    e.promptTokens = f.usage.promptTokens;
    e.completionTokens = f.usage.completionTokens;
  }
  if (f.cost !== undefined) e.cost = f.cost;
  const cache = t.cache;
  if (cache !== undefined) {
    e.cache = { name: cache.name, result: cache.result, ...(cache.entry !== undefined ? { entry: cache.entry } : {}), ...(f.saved !== undefined ? { saved: f.saved } : {}) };
    if (cache.similarity !== undefined) e.cache.similarity = Math.round(cache.similarity * 1000) / 1000;
    const em = cache.embedding;
    if (em !== undefined) {
      const cost = priceDollars(f.graph, em.model, em.usage);
      e.cache.embedding = { model: em.model, ...(em.usage ? { tokens: em.usage.promptTokens } : {}), ...(cost !== undefined ? { cost } : {}), ...(em.error ? { error: em.error } : {}) };
    }
  }
  const guardrails = guardrailEntries(f);
  if (guardrails !== undefined) e.guardrails = guardrails;
  if (t.rejected !== undefined) e.rejectedBy = { kind: t.rejected.kind, name: t.rejected.name };
  if (t.errorCode !== undefined) e.error = t.errorCode;
  if (f.written.streamError !== undefined) e.error = "stream_error";
  if (f.written.aborted) e.aborted = true;
  if (t.decision !== undefined) e.decision = t.decision;
  return e;
}

function inlineBodies(f: FinishedRequest, bodies: NonNullable<FinishedRequest["view"]["bodies"]>, bodyText: string | undefined): LoggedBodies {
  const { log, text } = bodiesToLog(bodies, bodyText);
  return loggedBodies(f.prepared, log, text);
}

/** `sha256:2c26b46b68ff` from `sha256:2c26b46b68ffc68f…`. */
export function keyId(hash: string): string {
  const colon = hash.indexOf(":");
  return hash.slice(0, colon + 1 + KEY_ID_HEX);
}

function attempts(f: FinishedRequest): AttemptEntry[] {
  const history = f.view.attempts;
  const tries = f.view.tries;
  const out: AttemptEntry[] = [];
  for (let i = 0; i < history.length; i++) {
    const a = history[i]!;
    const entry: AttemptEntry = { target: a.model };
    if (a.cause === "ok") entry.status = 200;
    else if (typeof a.cause === "number") entry.status = a.cause;
    if (a.retry > 0) entry.retry = a.retry;
    const timing = tries?.[i];
    if (timing !== undefined) {
      entry.ms = round(timing.ms);
      if (timing.error !== undefined) entry.error = errorClass(timing.error);
    } else if (a.cause !== "ok") entry.error = typeof a.cause === "number" ? "status" : a.cause;
    // A refusal says more than its status error: the prompt was too long, or the filter refused it.
    if (isRefusal(a.cause)) entry.error = a.cause;
    out.push(entry);
  }
  return out;
}

function guardrailEntries(f: FinishedRequest): GuardrailEntry[] | undefined {
  const t = f.view;
  if (t.redacted.length === 0 && t.flagged.length === 0 && t.blocked === undefined) return undefined;
  const out: GuardrailEntry[] = [];
  for (const h of t.redacted) out.push({ guardrail: h.guardrail, action: "redact", by: h.by, count: h.count });
  for (const h of t.flagged) out.push({ guardrail: h.guardrail, action: "flag", by: h.by });
  if (t.blocked !== undefined) out.push({ guardrail: t.blocked.guardrail, action: "block", by: t.blocked.by });
  return out;
}

/** Milliseconds to the microsecond: the clock's useful precision, and shorter lines. */
function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
