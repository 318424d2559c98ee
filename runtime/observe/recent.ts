/**
 * The last requests' decision records, by request id, for the dashboard's
 * lookup (`GET /admin/requests?id=…`): the access-log entry without bodies
 * (route, where it is written, every try, status, tokens, cost, guardrail
 * actions, and the decision record when decisions are logged). Bounded: the
 * oldest entry leaves when a new one would pass the capacity, so the ring
 * costs the same memory after a million requests as after a thousand.
 */
import { requestEntry } from "./access-log.js";
import type { AccessEntry } from "./log.js";
import type { FinishedRequest } from "./request.js";

/** Entries kept by default. */
export const RECENT_REQUESTS = 1_000;

export class RecentRequests {
  /** Insertion-ordered: the first key is the oldest. */
  private readonly entries = new Map<string, AccessEntry>();

  constructor(readonly capacity: number = RECENT_REQUESTS) {}

  record(f: FinishedRequest): void {
    const id = f.view.requestId;
    this.entries.delete(id);
    this.entries.set(id, requestEntry(f));
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  get(requestId: string): AccessEntry | undefined {
    return this.entries.get(requestId);
  }

  /** The newest `n` request ids, newest first. */
  latest(n: number): string[] {
    const ids = [...this.entries.keys()];
    return ids.slice(Math.max(0, ids.length - n)).reverse();
  }
}
