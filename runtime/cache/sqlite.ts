/**
 * The SQLite cache store: a `cache_entries` table (key, value, expiry) in
 * the gateway's state file, on its own connection (WAL lets it sit beside
 * the budget store's). A read ignores an expired row; the sweep deletes
 * expired rows. Statements are prepared once; every call is one statement,
 * so there is nothing to keep atomic across calls.
 */
import type Database from "better-sqlite3";
import { openSqliteFile } from "../state/sqlite-file.js";
import { CacheStoreError } from "./errors.js";
import type { CacheStore, Clock } from "./store.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS cache_entries (
  key TEXT PRIMARY KEY,
  value BLOB NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS cache_entries_expiry ON cache_entries (expires_at);
`;

export function sqliteCacheStore(options: { path: string; clock: Clock }): CacheStore {
  const { clock } = options;
  let db: Database.Database;
  try {
    db = openSqliteFile(options.path, SCHEMA);
  } catch (err) {
    throw new CacheStoreError("AIGW_CACHE_OPEN_FAILED", `cannot open the sqlite cache at ${options.path}: ${(err as Error).message}`);
  }
  const read = db.prepare<[string, number], { value: Buffer }>("SELECT value FROM cache_entries WHERE key = ? AND expires_at > ?");
  const write = db.prepare<[string, Uint8Array, number]>("INSERT OR REPLACE INTO cache_entries (key, value, expires_at) VALUES (?, ?, ?)");
  let evicted = 0;
  const sweep = db.prepare<[number]>("DELETE FROM cache_entries WHERE expires_at <= ?");
  return {
    kind: "sqlite",
    async get(key) {
      const row = read.get(key, clock());
      return row === undefined ? undefined : new Uint8Array(row.value.buffer, row.value.byteOffset, row.value.byteLength);
    },
    async set(key, value, ttlMs) {
      write.run(key, value, clock() + ttlMs);
    },
    bytes: () => undefined,
    evicted: () => evicted,
    async sweep() {
      const n = sweep.run(clock()).changes;
      evicted += n;
      return n;
    },
    async close() {
      if (db.open) db.close();
    },
  };
}
