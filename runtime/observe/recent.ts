/**
 * The last requests' decision records, by request id, for the dashboard's
 * lookup (`GET /admin/requests?id=…`): the access-log entry without bodies
 * (route, where it is written, every try, status, tokens, cost, guardrail
 * actions, and the decision record when decisions are logged). Bounded: the
 * oldest entry leaves when a new one would pass the capacity, so the ring
 * costs the same memory after a million requests as after a thousand.
 *
 * The entry is built when it is looked up, not per request (building it
 * costs more than the rest of the ledger): the ring keeps the finished
 * request with the parts that can be large — the canonical request, the
 * logged bodies, the completion — left out, so it never holds a prompt.
 */
import { requestEntry } from "./access-log.js";
import type { AccessEntry } from "./log.js";
import type { FinishedRequest, RequestView } from "./request.js";

/** Entries kept by default. */
export const RECENT_REQUESTS = 1_000;

export class RecentRequests {
  /** A ring of slots, the oldest overwritten first, and each id's slot. */
  private readonly slots: (FinishedRequest | undefined)[];
  private readonly byId = new Map<string, number>();
  private next = 0;

  constructor(readonly capacity: number = RECENT_REQUESTS) {
    this.slots = new Array<FinishedRequest | undefined>(capacity).fill(undefined);
  }

  record(f: FinishedRequest): void {
    const old = this.slots[this.next];
    if (old !== undefined && this.byId.get(old.view.requestId) === this.next) this.byId.delete(old.view.requestId);
    this.slots[this.next] = slim(f);
    this.byId.set(f.view.requestId, this.next);
    this.next = (this.next + 1) % this.capacity;
  }

  get(requestId: string): AccessEntry | undefined {
    const i = this.byId.get(requestId);
    const f = i === undefined ? undefined : this.slots[i];
    return f === undefined ? undefined : requestEntry(f);
  }

  /** The newest `n` request ids, newest first. */
  latest(n: number): string[] {
    const out: string[] = [];
    for (let k = 1; k <= this.capacity && out.length < n; k++) {
      const f = this.slots[(this.next - k + this.capacity) % this.capacity];
      if (f === undefined) break;
      out.push(f.view.requestId);
    }
    return out;
  }
}

/** The finished request without what can be large (written out field by field: a spread would cost more than the rest). */
function slim(f: FinishedRequest): FinishedRequest {
  const v = f.view;
  const view: RequestView = {
    requestId: v.requestId,
    route: v.route,
    target: v.target,
    attempts: v.attempts,
    skipped: v.skipped,
    status: v.status,
    errorCode: v.errorCode,
    redacted: v.redacted,
    flagged: v.flagged,
    team: v.team,
    model: v.model,
    stream: v.stream,
    caller: v.caller,
    span: v.span,
    tries: v.tries,
    blocked: v.blocked,
    rejected: v.rejected,
    decision: v.decision,
    cache: v.cache,
  };
  return {
    graph: f.graph,
    prepared: f.prepared,
    method: f.method,
    path: f.path,
    view,
    written: { status: f.written.status, aborted: f.written.aborted, streamError: f.written.streamError === undefined ? undefined : true, usage: f.written.usage },
    status: f.status,
    totalMs: f.totalMs,
    ttfbMs: f.ttfbMs,
    upstreamMs: f.upstreamMs,
    overheadMs: f.overheadMs,
    usage: f.usage,
    cost: f.cost,
    saved: f.saved,
  };
}
