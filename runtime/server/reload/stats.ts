/**
 * Reload counters, per reloader and for the whole process. The metrics
 * endpoint reads `reloadStats()` (e.g. `aigw_policy_reloads_total{outcome}`
 * and the failure counter) without needing a handle on the reloader.
 */

/** How reloads went. */
export interface ReloadStats {
  /** Every reload attempt (start-up excluded). */
  attempts: number;
  /** A new policy went live. */
  applied: number;
  /** The policy compiled to the version already serving. */
  unchanged: number;
  /** The policy was refused (load, compile, schema or test failure); the last good one kept serving. */
  rejected: number;
  /** How long the last attempt took, from trigger to swap or refusal. */
  lastDurationMs?: number;
  /** Unix ms of the last applied and last rejected attempt. */
  lastAppliedAt?: number;
  lastRejectedAt?: number;
}

export type ReloadStatus = "applied" | "unchanged" | "rejected";

const totals: ReloadStats = { attempts: 0, applied: 0, unchanged: 0, rejected: 0 };

/** The process-wide reload counters (a copy). */
export function reloadStats(): ReloadStats {
  return { ...totals };
}

/** Counts one finished attempt in `stats` and in the process-wide totals. */
export function countReload(stats: ReloadStats, status: ReloadStatus, at: number, ms: number): void {
  for (const s of [stats, totals]) {
    s.attempts++;
    s[status]++;
    s.lastDurationMs = ms;
    if (status === "applied") s.lastAppliedAt = at;
    if (status === "rejected") s.lastRejectedAt = at;
  }
}
