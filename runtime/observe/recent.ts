/**
 * The last requests' decision records, by request id, for the dashboard's
 * lookup (`GET /admin/requests?id=…`): the access-log entry without bodies
 * (route, where it is written, every try, status, tokens, cost, guardrail
 * actions, and the decision record when decisions are logged). Bounded: the
 * oldest entry leaves when a new one would pass the capacity, so the ring
 * costs the same memory after a million requests as after a thousand.
 *
 * The entry is built when it is looked up, not per request (building it
 * costs more than the rest of the ledger), from fields copied into slots
 * made once and overwritten in place: a ring that made an object per
 * request would keep each alive for a thousand requests, long enough to be
 * promoted out of V8's young generation, and the collector's work for that
 * cost more than the ledger itself (measured: ~3 µs CPU per request).
 */
import { requestEntry } from "./access-log.js";
import type { AccessEntry } from "./log.js";
import type { FinishedRequest, RequestView } from "./request.js";
import type { AttemptRecord, GuardHit } from "../engine/index.js";

/** Entries kept by default. */
export const RECENT_REQUESTS = 1_000;

export class RecentRequests {
  /**
   * A ring of slots, overwritten in place oldest first: no object is made
   * per request, and no index is kept (a lookup, an admin's click, scans the
   * slots instead of every request paying for a Map entry).
   */
  private readonly slots: Kept[];
  private next = 0;
  private filled = 0;

  constructor(readonly capacity: number = RECENT_REQUESTS) {
    this.slots = Array.from({ length: capacity }, () => new Kept());
  }

  record(f: FinishedRequest): void {
    this.slots[this.next]!.keep(f);
    this.next = (this.next + 1) % this.capacity;
    if (this.filled < this.capacity) this.filled++;
  }

  /** The newest request with this id (a client may reuse an `x-request-id`). */
  get(requestId: string): AccessEntry | undefined {
    for (let k = 1; k <= this.filled; k++) {
      const slot = this.slots[(this.next - k + this.capacity) % this.capacity]!;
      if (slot.requestId === requestId) return requestEntry(slot.finished());
    }
    return undefined;
  }

  /** The newest `n` request ids, newest first. */
  latest(n: number): string[] {
    const out: string[] = [];
    for (let k = 1; k <= this.filled && out.length < n; k++) out.push(this.slots[(this.next - k + this.capacity) % this.capacity]!.requestId);
    return out;
  }
}

/**
 * One slot: the fields the entry is built from, copied in place. What can be
 * large — the canonical request, logged bodies, the completion, an internal
 * error — is never copied, so the ring never holds a prompt.
 */
class Kept {
  requestId = "";
  graph: FinishedRequest["graph"] | undefined;
  prepared: FinishedRequest["prepared"] | undefined;
  method = "";
  path = "";
  status = 0;
  totalMs = 0;
  ttfbMs = 0;
  upstreamMs = 0;
  overheadMs = 0;
  /** Usage as two numbers (-1: none), so no object of the request is kept. */
  promptTokens = -1;
  completionTokens = 0;
  cost: number | undefined;
  saved: number | undefined;
  aborted = false;
  streamError = false;
  viewStatus = 0;
  route: string | undefined;
  target: string | undefined;
  /**
   * Each try, copied into arrays the slot reuses: model, retry, cause, and its timing. Only the first
   * `attempts`/`tryCount` entries are this request's: the arrays are never shortened, since a shortened
   * array drops its backing store and the next request's pushes would allocate a young one the slot keeps.
   */
  attempts = 0;
  tryCount = 0;
  readonly attModel: string[] = [];
  readonly attRetry: number[] = [];
  readonly attCause: AttemptRecord["cause"][] = [];
  readonly tryStart: number[] = [];
  readonly tryMs: number[] = [];
  readonly tryError: (string | undefined)[] = [];
  /** Guardrail hits as guardrail, rule, detectors, count (redactions then flags). */
  readonly hits: GuardHit[] = [];
  redactions = 0;
  /** Hits of this request: the first `hitCount` of `hits` (never shortened, like the tries). */
  hitCount = 0;
  skipped: RequestView["skipped"];
  errorCode: string | undefined;
  team: string | undefined;
  model: string | undefined;
  stream: boolean | undefined;
  caller: RequestView["caller"];
  span: RequestView["span"];
  blocked: RequestView["blocked"];
  rejected: RequestView["rejected"];
  decision: RequestView["decision"];
  cache: RequestView["cache"];

  keep(f: FinishedRequest): void {
    const v = f.view;
    this.requestId = v.requestId;
    this.graph = f.graph;
    this.prepared = f.prepared;
    // Strings a request repeats (its method, path, model, team) are kept only when they differ from the slot's:
    // an equal string already held is old, and pointing the slot at the request's young copy would promote it.
    if (this.method !== f.method) this.method = f.method;
    if (this.path !== f.path) this.path = f.path;
    this.status = f.status;
    this.totalMs = f.totalMs;
    this.ttfbMs = f.ttfbMs;
    this.upstreamMs = f.upstreamMs;
    this.overheadMs = f.overheadMs;
    this.promptTokens = f.usage?.promptTokens ?? -1;
    this.completionTokens = f.usage?.completionTokens ?? 0;
    this.cost = f.cost;
    this.saved = f.saved;
    this.aborted = f.written.aborted;
    this.streamError = f.written.streamError !== undefined;
    this.viewStatus = v.status;
    this.route = v.route;
    this.target = v.target;
    copyAttempts(this, v.attempts, v.tries);
    copyHits(this, v.redacted, v.flagged);
    this.skipped = v.skipped;
    if (this.errorCode !== v.errorCode) this.errorCode = v.errorCode;
    if (this.team !== v.team) this.team = v.team;
    if (this.model !== v.model) this.model = v.model;
    this.stream = v.stream;
    this.caller = v.caller;
    this.span = v.span;
    this.blocked = v.blocked;
    this.rejected = v.rejected;
    this.decision = v.decision;
    this.cache = v.cache;
  }

  /** The finished request again, as far as the entry reads it. */
  finished(): FinishedRequest {
    const view: RequestView = {
      requestId: this.requestId,
      route: this.route,
      target: this.target,
      attempts: this.attModel.slice(0, this.attempts).map((model, i) => ({ model, retry: this.attRetry[i]!, cause: this.attCause[i]! })),
      skipped: this.skipped,
      status: this.viewStatus,
      errorCode: this.errorCode,
      redacted: this.hits.slice(0, this.redactions),
      flagged: this.hits.slice(this.redactions, this.hitCount),
      team: this.team,
      model: this.model,
      stream: this.stream,
      caller: this.caller,
      span: this.span,
      tries: this.tryMs.slice(0, this.tryCount).map((ms, i) => (this.tryError[i] === undefined ? { startMs: this.tryStart[i]!, ms } : { startMs: this.tryStart[i]!, ms, error: this.tryError[i]! })),
      blocked: this.blocked,
      rejected: this.rejected,
      decision: this.decision,
      cache: this.cache,
    };
    return {
      graph: this.graph!,
      prepared: this.prepared!,
      method: this.method,
      path: this.path,
      view,
      written: { status: this.status, aborted: this.aborted, ...(this.streamError ? { streamError: true } : {}) },
      status: this.status,
      totalMs: this.totalMs,
      ttfbMs: this.ttfbMs,
      upstreamMs: this.upstreamMs,
      overheadMs: this.overheadMs,
      usage: this.promptTokens < 0 ? undefined : { promptTokens: this.promptTokens, completionTokens: this.completionTokens },
      cost: this.cost,
      saved: this.saved,
    };
  }
}

function copyAttempts(k: Kept, attempts: RequestView["attempts"], tries: RequestView["tries"]): void {
  let i = 0;
  for (const a of attempts) {
    if (k.attModel[i] !== a.model) k.attModel[i] = a.model;
    k.attRetry[i] = a.retry;
    k.attCause[i] = a.cause;
    i++;
  }
  k.attempts = i;
  i = 0;
  for (const t of tries) {
    k.tryStart[i] = t.startMs;
    k.tryMs[i] = t.ms;
    if (k.tryError[i] !== t.error) k.tryError[i] = t.error;
    i++;
  }
  k.tryCount = i;
}

function copyHits(k: Kept, redacted: readonly GuardHit[], flagged: readonly GuardHit[]): void {
  // GuardHit objects are small and made per request: their fields are copied into objects the slot keeps.
  const n = redacted.length + flagged.length;
  while (k.hits.length < n) k.hits.push({ guardrail: "", rule: 0, by: "", count: 0 });
  k.hitCount = n;
  let i = 0;
  for (const h of redacted) setHit(k.hits[i++]!, h);
  for (const h of flagged) setHit(k.hits[i++]!, h);
  k.redactions = redacted.length;
}

function setHit(into: GuardHit, h: GuardHit): void {
  const w = into as { guardrail: string; rule: number; by: string; count: number };
  if (w.guardrail !== h.guardrail) w.guardrail = h.guardrail;
  w.rule = h.rule;
  if (w.by !== h.by) w.by = h.by;
  w.count = h.count;
}
