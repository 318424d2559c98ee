/**
 * The SQLite usage store: a `usage_minutes` table (minute, dimensions,
 * counts as JSON) in the gateway's state file, on its own connection (WAL
 * lets it sit beside the budget store's and the cache's).
 *
 * A flush is one `BEGIN IMMEDIATE` transaction that reads each cell it
 * touches, adds to it and writes it back: the writer lock is held from the
 * first read, so two gateway processes flushing into one file add up
 * instead of overwriting each other. Flushes are seconds apart and carry
 * one row per active (minute, dimensions) pair, so the JSON merge costs
 * nothing that matters; what the hot path pays is the in-memory Map
 * increment (ledger.ts).
 */
import type Database from "better-sqlite3";
import { openSqliteFile } from "../state/sqlite-file.js";
import { addCounts, emptyCounts, type UsageCounts } from "./counts.js";
import { dimsKey, parseDims, type UsageRow } from "./row.js";
import type { UsageStore } from "./store.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS usage_minutes (
  minute INTEGER NOT NULL,
  dims TEXT NOT NULL,
  counts TEXT NOT NULL,
  PRIMARY KEY (minute, dims)
) WITHOUT ROWID;
`;

export function sqliteUsageStore(options: { path: string }): UsageStore {
  let db: Database.Database;
  try {
    db = openSqliteFile(options.path, SCHEMA);
  } catch (err) {
    throw new Error(`cannot open the usage ledger in \`${options.path}\`: ${(err as Error).message}`, { cause: err });
  }
  const get = db.prepare<[number, string], { counts: string }>("SELECT counts FROM usage_minutes WHERE minute = ? AND dims = ?");
  const put = db.prepare<[number, string, string]>("INSERT OR REPLACE INTO usage_minutes (minute, dims, counts) VALUES (?, ?, ?)");
  const range = db.prepare<[number, number], { minute: number; dims: string; counts: string }>("SELECT minute, dims, counts FROM usage_minutes WHERE minute >= ? AND minute < ?");
  const drop = db.prepare<[number]>("DELETE FROM usage_minutes WHERE minute < ?");
  const addAll = db.transaction((rows: readonly UsageRow[]) => {
    for (const r of rows) {
      const key = dimsKey(r.dims);
      const found = get.get(r.minute, key);
      const merged = found === undefined ? r.counts : addCounts(parseCounts(found.counts), r.counts);
      put.run(r.minute, key, JSON.stringify(merged));
    }
  });
  return {
    kind: "sqlite",
    async add(rows) {
      if (rows.length > 0) addAll.immediate(rows);
    },
    async rows(since, until) {
      const out: UsageRow[] = [];
      for (const r of range.all(since, until)) {
        const dims = parseDims(r.dims);
        if (dims !== undefined) out.push({ minute: r.minute, dims, counts: parseCounts(r.counts) });
      }
      return out;
    },
    async sweep(before) {
      return drop.run(before).changes;
    },
    async close() {
      if (db.open) db.close();
    },
  };
}

/** Stored counts, with any field a newer or older writer left out taken as 0. */
function parseCounts(text: string): UsageCounts {
  return addCounts(emptyCounts(), { ...emptyCounts(), ...(JSON.parse(text) as Partial<UsageCounts>) });
}
