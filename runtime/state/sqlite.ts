/**
 * The SQLite store (better-sqlite3): the embedded default, one file that
 * survives restarts and may be shared by several gateway processes on one
 * machine.
 *
 * - WAL mode with `synchronous = NORMAL`: a committed transaction survives
 *   the process being killed (SIGKILL); only an OS crash or power loss can
 *   lose the last few commits.
 * - Writes run under `BEGIN IMMEDIATE`: the writer lock is taken before
 *   anything is read, so a check and its write can never interleave with
 *   another process's (others wait up to `busyTimeoutMs`). Operations
 *   submitted in one event-loop turn share one transaction (group commit,
 *   sqlite-batch.ts), each still atomic and in submission order.
 * - `reserved` is a running total per bucket, so an admission costs the
 *   same with one request in flight or a thousand. Expired reservations are
 *   released by the next write that reads their counter (reads subtract
 *   them without writing), found cheaply through each bucket's `next_exp`.
 * - Every statement is prepared once, in the constructor (sqlite-sql.ts).
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database, { type Database as Db } from "better-sqlite3";
import { byKey, checkBatch, checkFinish, checkResult, closedError, expiryOf, reservationWindow } from "./common.js";
import { StateError } from "./errors.js";
import { applyNews, emptyHealth, type HealthNews, type SharedHealth } from "./health.js";
import { GroupCommit } from "./sqlite-batch.js";
import { prepare, SCHEMA, type Statements } from "./sqlite-sql.js";
import type {
  Addition,
  Admission,
  Check,
  CheckResult,
  CounterEntry,
  CounterRef,
  CounterValue,
  Reservation,
  Settlement,
  Store,
  StoreOptions,
} from "./store.js";
import { BatchStore } from "./batch-store.js";
import { dropAt, resetAt, spanAt, windowInfo, windowOfTag, type Span, type WindowInfo } from "./window.js";

/** Options of {@link sqliteStore}. */
export interface SqliteStoreOptions extends StoreOptions {
  /** The database file; its directory is created if missing. */
  path: string;
  /** How long a write waits for another process's transaction; default 5000 ms. */
  busyTimeoutMs?: number;
}

/** Totals of one counter over its current span: [spent, reserved, oldest non-empty bucket or null]. */
type Totals = [number, number, number | null];

/** Opens (creating if needed) a SQLite store at `options.path`. */
export function sqliteStore(options: SqliteStoreOptions): Store {
  return new SqliteStore(options);
}

class SqliteStore extends BatchStore {
  readonly kind = "sqlite" as const;
  private readonly clock: () => number;
  private readonly db: Db;
  private closed = false;

  private readonly q: Statements;
  private readonly batch: GroupCommit;

  constructor(options: SqliteStoreOptions) {
    super();
    this.clock = options.clock;
    try {
      mkdirSync(dirname(options.path), { recursive: true });
      this.db = new Database(options.path, { timeout: options.busyTimeoutMs ?? 5000 });
      this.db.pragma("journal_mode = WAL");
      this.db.pragma("synchronous = NORMAL");
      this.db.transaction(() => this.db.exec(SCHEMA)).immediate();
    } catch (e) {
      throw new StateError("AIGW_STATE_OPEN_FAILED", `cannot open the state database \`${options.path}\`: ${(e as Error).message}`, { cause: e });
    }
    this.q = prepare(this.db);
    this.batch = new GroupCommit(this.db);
  }

  admit(checks: readonly Check[]): Promise<Admission> {
    try {
      checkBatch(checks);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.submit(true, () => this.admitIn(checks));
  }



  finish(settlements: readonly Settlement[], additions: readonly Addition[] = []): Promise<boolean[]> {
    try {
      checkFinish(settlements, additions);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.submit(true, () => this.finishIn(settlements, additions));
  }



  read(refs: readonly CounterRef[]): Promise<CounterValue[]> {
    return this.submit(false, () => this.readIn(refs));
  }

  list(): Promise<CounterEntry[]> {
    return this.submit(false, () => this.listIn());
  }

  sweep(now?: number): Promise<number> {
    return this.submit(true, () => this.sweepIn(now ?? this.clock()));
  }

  shareHealth(owner: string, news: readonly HealthNews[]): Promise<SharedHealth[]> {
    return this.submit(news.length > 0, () => this.shareHealthIn(owner, news));
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.batch.flush(); // operations already accepted still run
      this.db.close();
    }
    return Promise.resolve();
  }

  // ------------------------------------------------------------ inside transactions

  private admitIn(checks: readonly Check[]): Admission {
    // The clock is read after BEGIN IMMEDIATE has the lock, so a wait for another process cannot make `now` stale.
    const now = this.clock();
    const totals: Totals[] = [];
    let admitted = true;
    for (const check of checks) {
      const info = windowInfo(check.window);
      const t = this.totals(check.key, info, spanAt(info, now), now, true);
      totals.push(t);
      if (t[0] + t[1] + check.amount > check.limit) admitted = false;
    }
    const results: CheckResult[] = [];
    for (let i = 0; i < checks.length; i++) {
      const check = checks[i]!;
      const [spent, reserved, found] = totals[i]!;
      const info = windowInfo(check.window);
      const span = spanAt(info, now);
      if (!admitted) {
        const fits = spent + reserved + check.amount <= check.limit;
        results.push(checkResult(fits, spent, reserved, check.limit, resetAt(info, span, found)));
        continue;
      }
      // Every counted bucket is at or before `cur`, so a write only matters when nothing older was counted.
      const oldest = found ?? (check.amount > 0 ? span.cur : null);
      if (check.kind === "take") {
        this.q.takeBucket.run(check.key, info.tag, span.cur, check.limit, check.amount, span.curDropAt);
        results.push(checkResult(true, spent + check.amount, reserved, check.limit, resetAt(info, span, oldest)));
        continue;
      }
      const expiresAt = expiryOf(check, now);
      const [seq] = this.q.holdBucket.get(check.key, info.tag, span.cur, check.limit, check.amount, expiresAt, span.curDropAt)!;
      this.q.insertHold.run(check.key, info.tag, span.cur, seq, check.amount, expiresAt);
      const reservation: Reservation = { id: String(seq), key: check.key, tag: info.tag, bucket: span.cur, amount: check.amount, expiresAt };
      results.push(checkResult(true, spent, reserved + check.amount, check.limit, resetAt(info, span, oldest), reservation));
    }
    return { admitted, results };
  }

  private shareHealthIn(owner: string, news: readonly HealthNews[]): SharedHealth[] {
    const now = this.clock();
    const recs = new Map<string, SharedHealth>();
    for (const [json] of this.q.healthAll.all()) {
      const rec = JSON.parse(json) as SharedHealth;
      recs.set(rec.key, rec);
    }
    for (const n of news) {
      const before = recs.get(n.key) ?? emptyHealth(n.key);
      const after = applyNews(before, n, owner, now);
      if (after === before) continue;
      recs.set(n.key, after);
      this.q.healthPut.run(n.key, JSON.stringify(after));
    }
    return [...recs.values()];
  }

  private finishIn(settlements: readonly Settlement[], additions: readonly Addition[]): boolean[] {
    const now = this.clock();
    const live = settlements.map(({ reservation: r, actual }) => {
      // The deleted row, not the caller's copy, says how much was held: each hold is released once.
      const row = this.q.deleteHold.get(r.key, r.tag, r.bucket, Number(r.id));
      this.q.charge.run(r.key, r.tag, r.bucket, "budget", actual, dropAt(reservationWindow(r), r.bucket), row === undefined ? 0 : row[0]);
      return row !== undefined && row[1] > now;
    });
    for (const a of additions) {
      const info = windowInfo(a.window);
      const span = spanAt(info, now);
      this.q.charge.run(a.key, info.tag, span.cur, "limit", a.amount, span.curDropAt, 0);
    }
    return live;
  }

  private readIn(refs: readonly CounterRef[]): CounterValue[] {
    const now = this.clock();
    return refs.map((ref): CounterValue => {
      const info = windowInfo(ref.window);
      const span = spanAt(info, now);
      const t = this.totals(ref.key, info, span, now, false);
      return { spent: t[0], reserved: t[1], resetAt: resetAt(info, span, t[2]) };
    });
  }

  private listIn(): CounterEntry[] {
    const now = this.clock();
    const out: CounterEntry[] = [];
    for (const [key, tag, kind, limit] of this.q.listCounters.all(now)) {
      const window = windowOfTag(tag);
      if (window === undefined) continue;
      const info = windowInfo(window);
      const span = spanAt(info, now);
      const [spent, reserved, oldest] = this.totals(key, info, span, now, false);
      if (spent === 0 && reserved === 0) continue;
      out.push({ kind: kind === "budget" ? "budget" : "limit", key, window, spent, reserved, limit, resetAt: resetAt(info, span, oldest) });
    }
    return out.sort(byKey);
  }

  private sweepIn(now: number): number {
    const expired = this.q.sweepHolds.all(now);
    for (const [key, tag, b, amount] of expired) this.q.release.run(amount, key, tag, b);
    this.q.sweepNextExp.run(now);
    this.q.sweepBuckets.run(now);
    return expired.length;
  }

  /**
   * Spent, reserved and the oldest non-empty bucket over `span`, not counting
   * reservations expired at `now`. In a write transaction (`release`) the
   * expired ones are released for good; in a read they are subtracted.
   */
  private totals(key: string, info: WindowInfo, span: Span, now: number, release: boolean): Totals {
    const t = this.q.totals.get(key, info.tag, span.lo, span.cur)!;
    if (t[3] === null || t[3] > now) return [t[0], t[1], t[2]];
    if (release) {
      for (const [b, amount] of this.q.expireHolds.all(key, info.tag, span.lo, span.cur, now)) this.q.release.run(amount, key, info.tag, b);
      this.q.renewNextExp.run(key, info.tag, span.lo, span.cur, now);
      const u = this.q.totals.get(key, info.tag, span.lo, span.cur)!;
      return [u[0], u[1], u[2]];
    }
    let spent = 0;
    let reserved = 0;
    let oldest: number | null = null;
    for (const [b, s, r] of this.q.liveTotals.all(now, key, info.tag, span.lo, span.cur)) {
      spent += s;
      reserved += r;
      if ((s > 0 || r > 0) && (oldest === null || b < oldest)) oldest = b;
    }
    return [spent, reserved, oldest];
  }

  private submit<T>(write: boolean, op: () => T): Promise<T> {
    if (this.closed) return Promise.reject(closedError());
    return this.batch.submit(write, op);
  }
}
