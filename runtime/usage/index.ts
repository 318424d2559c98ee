/**
 * The usage ledger's public entry: per-minute cells of what the gateway
 * served (ledger.ts), kept in the store beside the gateway's `state`
 * (`openUsageStore`), and rolled up into reports (report.ts) for
 * `aigw usage`, `GET /admin/usage` and the `/ui` dashboard.
 */
import type { GatewayNode } from "../../compiler/graph.js";
import { memoryUsageStore } from "./memory.js";
import { redisUsageStore } from "./redis.js";
import { sqliteUsageStore } from "./sqlite.js";
import type { UsageStore } from "./store.js";
import { UsageLedger } from "./ledger.js";
import { stateLocation, sweepEvery, type Swept } from "../state/index.js";

export type { UsageStore } from "./store.js";
export { addCounts, bucketOf, bucketUpperMs, emptyCounts, quantileMs, HISTOGRAM_BUCKETS, SUM_FIELDS, type Histogram, type UsageCounts } from "./counts.js";
export { DIMENSIONS, OUTCOMES, dimsKey, minuteOf, MINUTE_MS, type Dimension, type Outcome, type UsageDims, type UsageRow } from "./row.js";
export { UsageLedger, outcomeOf, DEFAULT_FLUSH_MS, type LedgerOptions } from "./ledger.js";
export { isDimension, parseSpan, parseTime, parseUsageQuery, usageReport, UsageQueryError, DEFAULT_SINCE, MAX_POINTS, type Percentiles, type SeriesPoint, type UsageQuery, type UsageReport, type UsageSummary } from "./report.js";
export { memoryUsageStore } from "./memory.js";
export { sqliteUsageStore } from "./sqlite.js";
export { redisUsageStore } from "./redis.js";

/**
 * Opens the usage store beside the gateway's state: memory, the same SQLite
 * file (its own table and connection) or the same Redis (its own client,
 * `aigw:usage:` keys). Throws when it cannot (a Redis URL unset).
 */
export function openUsageStore(config: GatewayNode["state"], options: { env: Readonly<Record<string, string | undefined>>; baseDir?: string }): UsageStore {
  const at = stateLocation(config, options);
  switch (at.kind) {
    case "memory":
      return memoryUsageStore();
    case "sqlite":
      return sqliteUsageStore({ path: at.path });
    case "redis":
      if (at.url === undefined) throw new Error(`cannot open the redis usage ledger: ${at.missing}`);
      return redisUsageStore({ url: at.url });
  }
}

/** How often minutes past the retention are swept. */
export const USAGE_SWEEP_MS = 3_600_000;

/** A ledger with its sweep timer; `close()` stops the sweep, flushes and closes the store. */
export type ManagedLedger = Swept<UsageLedger>;

/**
 * Opens the ledger of a served policy beside its `state`, flushing every
 * few seconds and swept hourly; `retentionMs` is read at each flush and
 * sweep (the serving policy's `usage_retention`, so a reload changes it).
 */
export function openManagedLedger(
  config: GatewayNode["state"],
  options: { env: Readonly<Record<string, string | undefined>>; baseDir: string; retentionMs: () => number; clock?: () => number; onError?: (err: unknown) => void },
): ManagedLedger {
  const store = openUsageStore(config, options);
  const ledger = new UsageLedger({ store, clock: options.clock ?? Date.now, retentionMs: options.retentionMs, ...(options.onError ? { onError: options.onError } : {}) });
  return sweepEvery(ledger, USAGE_SWEEP_MS, options.onError);
}
