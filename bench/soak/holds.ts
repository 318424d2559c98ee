/**
 * bench/soak/holds: no budget reservation may outlive its request. Every
 * admitted request reserves its worst case and must settle or release it on
 * every path (success, upstream failure, timeout, client abort, stream cut).
 * A hold that is never settled only disappears when it expires (15 min),
 * and until then it counts against the budget: a slow leak of spend.
 *
 * Two readings, both after the traffic has stopped and every response is in:
 *
 * - live: `GET /admin/budgets` while the gateway still runs; the sum of the
 *   budgets' `reserved` must reach 0 within a few seconds (settling is
 *   asynchronous, so the check polls);
 * - at rest: after the gateway exited, the SQLite file itself: no row in
 *   `reservations` and no bucket with `reserved` ≠ 0
 *   (runtime/state/sqlite-sql.ts has the schema).
 */
import Database from "better-sqlite3";
import type { Pool } from "undici";

/** Reservations still held. */
export interface HoldCount {
  /** Rows of `reservations` (at rest) or budgets with something reserved (live). */
  count: number;
  /** Dollars (live) or micro-dollars (at rest) still reserved. */
  reserved: number;
}

/** Polls `GET /admin/budgets` until nothing is reserved or `waitMs` passed; the last reading. */
export async function liveHolds(admin: Pool, token: string, waitMs: number): Promise<HoldCount> {
  const end = performance.now() + waitMs;
  for (;;) {
    const res = await admin.request({ path: "/admin/budgets", method: "GET", headers: { authorization: `Bearer ${token}` } });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`GET /admin/budgets answered ${res.statusCode}: ${text.slice(0, 200)}`);
    const rows = (JSON.parse(text) as { budgets: { reserved: number }[] }).budgets.filter((b) => b.reserved !== 0);
    const held: HoldCount = { count: rows.length, reserved: rows.reduce((a, b) => a + b.reserved, 0) };
    if (held.count === 0 || performance.now() >= end) return held;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Reads the SQLite state file of a stopped gateway. */
export function restingHolds(file: string): HoldCount {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare("SELECT COUNT(*) AS n FROM reservations").get() as { n: number };
    const reserved = db.prepare("SELECT COALESCE(SUM(reserved), 0) AS r FROM buckets").get() as { r: number };
    return { count: rows.n, reserved: reserved.r };
  } finally {
    db.close();
  }
}
