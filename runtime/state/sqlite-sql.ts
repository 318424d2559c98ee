/**
 * The SQLite store's schema and statements, prepared once per connection.
 *
 * Both counter tables are clustered on the counter (WITHOUT ROWID, no
 * secondary index): a reservation or settlement rewrites about two B-tree
 * pages, and a WAL commit costs per page written. A bucket row carries its
 * running `reserved` total, a `seq` that numbers its reservations (so ids
 * are never reused and no id table is touched) and `next_exp`, a lower
 * bound on its reservations' expiry times: only when the clock passes it is
 * there anything to release.
 */
import type { Database, Statement } from "better-sqlite3";

/** `next_exp` of a bucket with no reservation (the largest JavaScript date). */
export const NEVER = 8_640_000_000_000_000;

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS buckets (
  key TEXT NOT NULL, tag TEXT NOT NULL, b INTEGER NOT NULL,
  kind TEXT NOT NULL, lim INTEGER NOT NULL, spent INTEGER NOT NULL, reserved INTEGER NOT NULL,
  seq INTEGER NOT NULL, next_exp INTEGER NOT NULL, drop_at INTEGER NOT NULL,
  PRIMARY KEY (key, tag, b)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS reservations (
  key TEXT NOT NULL, tag TEXT NOT NULL, b INTEGER NOT NULL, id INTEGER NOT NULL,
  amount INTEGER NOT NULL, expires_at INTEGER NOT NULL,
  PRIMARY KEY (key, tag, b, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS health (key TEXT PRIMARY KEY, rec TEXT NOT NULL) WITHOUT ROWID;
`;

type Counter = [key: string, tag: string, lo: number, cur: number];

/** The prepared statements, typed by their parameters and raw result rows. */
export interface Statements {
  /** [spent, reserved, oldest non-empty bucket, earliest next_exp] over buckets lo..cur. */
  totals: Statement<Counter, [number, number, number | null, number | null]>;
  /** Per bucket in lo..cur: [b, spent, reserved not yet expired at now]; the slow, exact path when an expiry is pending. */
  liveTotals: Statement<[number, ...Counter], [number, number, number]>;
  /** Releases reservations of lo..cur expired at now: rows [b, amount]. */
  expireHolds: Statement<[...Counter, number], [number, number]>;
  /** Lowers a bucket's `reserved`: (amount, key, tag, b). */
  release: Statement<[number, string, string, number]>;
  /** Recomputes `next_exp` of buckets in lo..cur whose bound has passed: (key, tag, lo, cur, now). */
  renewNextExp: Statement<[...Counter, number]>;
  /** Adds a reservation to bucket `cur`: (key, tag, b, limit, amount, expiresAt, dropAt) → [seq]. */
  holdBucket: Statement<[string, string, number, number, number, number, number], [number]>;
  insertHold: Statement<[string, string, number, number, number, number]>;
  /** Deletes one reservation: → [amount, expiresAt]. */
  deleteHold: Statement<[string, string, number, number], [number, number]>;
  /** A take: (key, tag, b, limit, amount, dropAt). */
  takeBucket: Statement<[string, string, number, number, number, number]>;
  /** Charges spend and releases a hold: (key, tag, b, kind, spent, dropAt, release). */
  charge: Statement<[string, string, number, string, number, number, number]>;
  /** Every counter with a bucket not yet dropped: [key, tag, kind, limit of the newest bucket]. */
  listCounters: Statement<[number], [string, string, string, number]>;
  /** Deletes every reservation expired at now: rows [key, tag, b, amount]. */
  sweepHolds: Statement<[number], [string, string, number, number]>;
  sweepNextExp: Statement<[number]>;
  sweepBuckets: Statement<[number]>;
  /** Shared health records (health.ts), one JSON row per (policy, target): a handful, read whole. */
  healthAll: Statement<[], [string]>;
  healthPut: Statement<[string, string]>;
}

const RANGE = "key = ? AND tag = ? AND b >= ? AND b <= ?";

export function prepare(db: Database): Statements {
  return {
    totals: db
      .prepare<Counter, [number, number, number | null, number | null]>(
        `SELECT COALESCE(SUM(spent), 0), COALESCE(SUM(reserved), 0), MIN(CASE WHEN spent > 0 OR reserved > 0 THEN b END), MIN(next_exp)
         FROM buckets WHERE ${RANGE}`,
      )
      .raw(true),
    liveTotals: db
      .prepare<[number, ...Counter], [number, number, number]>(
        `SELECT b, spent, reserved - COALESCE((SELECT SUM(amount) FROM reservations r WHERE r.key = k.key AND r.tag = k.tag AND r.b = k.b AND r.expires_at <= ?), 0)
         FROM buckets k WHERE ${RANGE}`,
      )
      .raw(true),
    expireHolds: db.prepare<[...Counter, number], [number, number]>(`DELETE FROM reservations WHERE ${RANGE} AND expires_at <= ? RETURNING b, amount`).raw(true),
    release: db.prepare("UPDATE buckets SET reserved = reserved - ? WHERE key = ? AND tag = ? AND b = ?"),
    renewNextExp: db.prepare(
      `UPDATE buckets SET next_exp = COALESCE((SELECT MIN(expires_at) FROM reservations r WHERE r.key = buckets.key AND r.tag = buckets.tag AND r.b = buckets.b), ${NEVER})
       WHERE ${RANGE} AND next_exp <= ?`,
    ),
    holdBucket: db
      .prepare<[string, string, number, number, number, number, number], [number]>(
        `INSERT INTO buckets (key, tag, b, kind, lim, spent, reserved, seq, next_exp, drop_at) VALUES (?, ?, ?, 'budget', ?, 0, ?, 1, ?, ?)
         ON CONFLICT (key, tag, b) DO UPDATE SET seq = seq + 1, reserved = reserved + excluded.reserved,
           next_exp = MIN(next_exp, excluded.next_exp), lim = excluded.lim, kind = 'budget'
         RETURNING seq`,
      )
      .raw(true),
    insertHold: db.prepare("INSERT INTO reservations (key, tag, b, id, amount, expires_at) VALUES (?, ?, ?, ?, ?, ?)"),
    deleteHold: db
      .prepare<[string, string, number, number], [number, number]>("DELETE FROM reservations WHERE key = ? AND tag = ? AND b = ? AND id = ? RETURNING amount, expires_at")
      .raw(true),
    takeBucket: db.prepare(
      `INSERT INTO buckets (key, tag, b, kind, lim, spent, reserved, seq, next_exp, drop_at) VALUES (?, ?, ?, 'limit', ?, ?, 0, 0, ${NEVER}, ?)
       ON CONFLICT (key, tag, b) DO UPDATE SET spent = spent + excluded.spent, lim = excluded.lim, kind = 'limit'`,
    ),
    charge: db.prepare(
      `INSERT INTO buckets (key, tag, b, kind, lim, spent, reserved, seq, next_exp, drop_at) VALUES (?, ?, ?, ?, 0, ?, 0, 0, ${NEVER}, ?)
       ON CONFLICT (key, tag, b) DO UPDATE SET spent = spent + excluded.spent, reserved = reserved - ?`,
    ),
    // SQLite takes the bare columns of a MAX() aggregate from the row holding the maximum: the newest bucket's kind and limit.
    listCounters: db
      .prepare<[number], [string, string, string, number]>("SELECT key, tag, kind, lim, MAX(b) FROM buckets WHERE drop_at > ? GROUP BY key, tag")
      .raw(true),
    sweepHolds: db.prepare<[number], [string, string, number, number]>("DELETE FROM reservations WHERE expires_at <= ? RETURNING key, tag, b, amount").raw(true),
    sweepNextExp: db.prepare(
      `UPDATE buckets SET next_exp = COALESCE((SELECT MIN(expires_at) FROM reservations r WHERE r.key = buckets.key AND r.tag = buckets.tag AND r.b = buckets.b), ${NEVER})
       WHERE next_exp <= ?`,
    ),
    sweepBuckets: db.prepare("DELETE FROM buckets WHERE drop_at <= ?"),
    healthAll: db.prepare<[], [string]>("SELECT rec FROM health").raw(true),
    healthPut: db.prepare("INSERT INTO health (key, rec) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET rec = excluded.rec"),
  };
}
