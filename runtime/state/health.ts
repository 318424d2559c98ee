/**
 * Shared target health (`health H { shared 1s }`, lang/SPEC.md §7.6): what
 * the state store keeps so several gateway processes honour one another's
 * ejections and take turns probing. The store holds the **ejection
 * verdict**, not the outcomes: each process still counts its own tries and
 * judges them by its policy; what it shares is "ejected until T" and who
 * holds the half-open probe.
 *
 * One record per (policy, target), written only by {@link applyNews} (memory
 * and SQLite) or its Lua twin (redis-scripts.ts), atomically:
 * - `eject` wins when the record is closed or the new ejection ends later;
 *   each applied ejection bumps `epoch`;
 * - `close` (a probe or a tried-last try answered) closes only the ejection
 *   its sender saw (same `epoch`), so a late close never undoes a fresher
 *   ejection by another process;
 * - `claim` takes the half-open probe lease when the ejection is over and
 *   the lease is free, expired or already the claimer's (a renewal);
 * - `release` gives the claimer's lease back.
 * Times are the store's clock (the gateway's; keep instance clocks in sync,
 * as for budgets): skew shifts when each process sees an ejection end, and
 * the lease, judged on one clock inside the atomic step, still lets only
 * one process probe at a time.
 */

/** One (policy, target) as the store keeps it. */
export interface SharedHealth {
  /** `<policy>\t<target>` (names never hold a tab). */
  readonly key: string;
  /** Bumped by each applied ejection and close: a process adopts a record whose epoch it has not seen. */
  readonly epoch: number;
  readonly ejected: boolean;
  readonly ejectedAt: number;
  readonly until: number;
  /** Ejections in a row (the doubling). */
  readonly ejections: number;
  /** The cause as the ejecting process saw it (JSON of an `EjectCause`). */
  readonly cause: string;
  /** The process holding the half-open probe lease, and until when; `""`/0: free. */
  readonly owner: string;
  readonly lease: number;
}

/** What one process tells the store in one sync. */
export type HealthNews =
  | { readonly op: "eject"; readonly key: string; readonly ejectedAt: number; readonly until: number; readonly ejections: number; readonly cause: string }
  | { readonly op: "close"; readonly key: string; readonly epoch: number }
  | { readonly op: "claim"; readonly key: string; readonly holdMs: number }
  | { readonly op: "release"; readonly key: string };

/** A record nobody has written. */
export function emptyHealth(key: string): SharedHealth {
  return { key, epoch: 0, ejected: false, ejectedAt: 0, until: 0, ejections: 0, cause: "", owner: "", lease: 0 };
}

/** Applies one piece of news from `owner` at `now` to a record (the store's one merge rule; redis-scripts.ts mirrors it). */
export function applyNews(rec: SharedHealth, news: HealthNews, owner: string, now: number): SharedHealth {
  switch (news.op) {
    case "eject":
      if (rec.ejected && news.until <= rec.until) return rec;
      return {
        key: rec.key,
        epoch: rec.epoch + 1,
        ejected: true,
        ejectedAt: news.ejectedAt,
        until: news.until,
        ejections: Math.max(rec.ejections, news.ejections),
        cause: news.cause,
        owner: "",
        lease: 0,
      };
    case "close":
      if (!rec.ejected || rec.epoch !== news.epoch) return rec;
      return { ...rec, epoch: rec.epoch + 1, ejected: false, owner: "", lease: 0 };
    case "claim":
      if (!rec.ejected || now < rec.until || (rec.owner !== owner && rec.lease > now)) return rec;
      return { ...rec, owner, lease: now + news.holdMs };
    case "release":
      return rec.owner === owner ? { ...rec, owner: "", lease: 0 } : rec;
  }
}
