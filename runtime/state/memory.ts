/**
 * The in-memory store: for tests, `aigw check`-style dry runs and `state
 * memory`. Every operation runs synchronously to completion inside one
 * call, so it is atomic with respect to every other call in the process;
 * nothing survives a restart.
 *
 * A counter keeps its buckets (window.ts) and its live reservations, with
 * a running `reserved` per bucket. Expired reservations are released lazily
 * whenever their counter is touched (the earliest expiry is tracked, so the
 * common case is one comparison). A counter also keeps the sums of its
 * buckets, and a rolling window holds no bucket older than its span (old
 * ones are pruned, a settlement into one is not written): its totals are
 * those sums, not a walk over up to 61 buckets on every admission.
 */
import { applyNews, emptyHealth, type HealthNews, type SharedHealth } from "./health.js";
import { byKey, checkBatch, checkFinish, checkResult, closedError, expiryOf, reservationWindow } from "./common.js";
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
import { dropAt, resetAt, spanAt, windowInfo, type Span, type WindowInfo } from "./window.js";

interface Bucket {
  spent: number;
  reserved: number;
}

interface Hold {
  readonly bucket: number;
  readonly amount: number;
  readonly expiresAt: number;
}

interface Counter {
  readonly key: string;
  readonly info: WindowInfo;
  kind: "budget" | "limit";
  limit: number;
  readonly buckets: Map<number, Bucket>;
  /** The sums of every bucket's `spent` and `reserved`, and the highest bucket ever written. */
  spent: number;
  reserved: number;
  newest: number;
  readonly holds: Map<string, Hold>;
  /** Earliest `expiresAt` among `holds` (Infinity when none). */
  nextExpiry: number;
  /** The `cur` bucket when old buckets were last pruned. */
  prunedAt: number;
}

/** Totals of a counter over one span. */
interface Totals {
  spent: number;
  reserved: number;
  oldest: number | undefined;
}

/** Creates an in-memory store. */
export function memoryStore(options: StoreOptions): Store {
  return new MemoryStore(options);
}

class MemoryStore extends BatchStore {
  readonly kind = "memory" as const;
  private readonly clock: () => number;
  /** key → window tag → counter. */
  private readonly counters = new Map<string, Map<string, Counter>>();
  private seq = 0;
  private closed = false;
  private readonly health = new Map<string, SharedHealth>();

  constructor(options: StoreOptions) {
    super();
    this.clock = options.clock;
  }

  admit(checks: readonly Check[]): Promise<Admission> {
    return this.run(() => this.admitNow(checks));
  }



  finish(settlements: readonly Settlement[], additions: readonly Addition[] = []): Promise<boolean[]> {
    return this.run(() => {
      checkFinish(settlements, additions);
      const now = this.clock();
      const live = settlements.map(({ reservation: r, actual }) => {
        const c = this.counters.get(r.key)?.get(r.tag) ?? this.counter(r.key, reservationWindow(r), "budget");
        const hold = c.holds.get(r.id);
        let held = false;
        if (hold !== undefined) {
          c.holds.delete(r.id);
          this.unreserve(c, hold.bucket, hold.amount);
          held = hold.expiresAt > now;
        }
        // A rolling window no longer counts a bucket older than its span: spend there would never be read.
        if (c.info.stepMs === 0 || r.bucket >= spanAt(c.info, now).lo) this.credit(c, r.bucket, actual, 0);
        return held;
      });
      for (const a of additions) {
        const c = this.counter(a.key, windowInfo(a.window), "limit");
        const span = spanAt(c.info, now);
        this.touch(c, now, span);
        this.credit(c, span.cur, a.amount, 0);
      }
      return live;
    });
  }



  read(refs: readonly CounterRef[]): Promise<CounterValue[]> {
    return this.run(() => {
      const now = this.clock();
      return refs.map((r): CounterValue => {
        const info = windowInfo(r.window);
        const span = spanAt(info, now);
        const c = this.counters.get(r.key)?.get(info.tag);
        if (c === undefined) return { spent: 0, reserved: 0, resetAt: span.curDropAt };
        const t = this.totals(c, now, span);
        return { spent: t.spent, reserved: t.reserved, resetAt: resetAt(info, span, t.oldest) };
      });
    });
  }

  list(): Promise<CounterEntry[]> {
    return this.run(() => {
      const now = this.clock();
      const out: CounterEntry[] = [];
      for (const byTag of this.counters.values()) {
        for (const c of byTag.values()) {
          const span = spanAt(c.info, now);
          const t = this.totals(c, now, span);
          if (t.spent === 0 && t.reserved === 0) continue;
          out.push({
            kind: c.kind,
            key: c.key,
            window: c.info.window,
            spent: t.spent,
            reserved: t.reserved,
            limit: c.limit,
            resetAt: resetAt(c.info, span, t.oldest),
          });
        }
      }
      return out.sort(byKey);
    });
  }

  sweep(now?: number): Promise<number> {
    return this.run(() => {
      const at = now ?? this.clock();
      let released = 0;
      for (const [key, byTag] of this.counters) {
        for (const [tag, c] of byTag) {
          released += this.expire(c, at);
          for (const b of c.buckets.keys()) if (dropAt(c.info, b) <= at) this.drop(c, b);
          if (c.buckets.size === 0 && c.holds.size === 0) byTag.delete(tag);
        }
        if (byTag.size === 0) this.counters.delete(key);
      }
      return released;
    });
  }

  shareHealth(owner: string, news: readonly HealthNews[]): Promise<SharedHealth[]> {
    return this.run(() => {
      const now = this.clock();
      for (const n of news) this.health.set(n.key, applyNews(this.health.get(n.key) ?? emptyHealth(n.key), n, owner, now));
      return [...this.health.values()];
    });
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  // ------------------------------------------------------------ internals

  /** Runs one operation to completion; failures become rejections. */
  private run<T>(op: () => T): Promise<T> {
    if (this.closed) return Promise.reject(closedError());
    try {
      return Promise.resolve(op());
    } catch (e) {
      return Promise.reject(e);
    }
  }

  private admitNow(checks: readonly Check[]): Admission {
    checkBatch(checks);
    const now = this.clock();
    const spans: Span[] = [];
    const totals: Totals[] = [];
    let admitted = true;
    for (const check of checks) {
      const info = windowInfo(check.window);
      const span = spanAt(info, now);
      const c = this.counters.get(check.key)?.get(info.tag);
      const t = c === undefined ? { spent: 0, reserved: 0, oldest: undefined } : this.totals(c, now, span);
      spans.push(span);
      totals.push(t);
      if (t.spent + t.reserved + check.amount > check.limit) admitted = false;
    }
    const results: CheckResult[] = [];
    for (let i = 0; i < checks.length; i++) {
      const check = checks[i]!;
      const span = spans[i]!;
      const t = totals[i]!;
      const info = windowInfo(check.window);
      if (!admitted) {
        const fits = t.spent + t.reserved + check.amount <= check.limit;
        results.push(checkResult(fits, t.spent, t.reserved, check.limit, resetAt(info, span, t.oldest)));
        continue;
      }
      const c = this.counter(check.key, info, check.kind === "reserve" ? "budget" : "limit");
      c.limit = check.limit;
      // Every counted bucket is at or before `cur`, so a write only matters when nothing older was counted.
      const oldest = t.oldest ?? (check.amount > 0 ? span.cur : undefined);
      if (check.kind === "take") {
        this.credit(c, span.cur, check.amount, 0);
        results.push(checkResult(true, t.spent + check.amount, t.reserved, check.limit, resetAt(info, span, oldest)));
        continue;
      }
      const reservation: Reservation = {
        id: String(++this.seq),
        key: check.key,
        tag: info.tag,
        bucket: span.cur,
        amount: check.amount,
        expiresAt: expiryOf(check, now),
      };
      this.credit(c, span.cur, 0, check.amount);
      c.holds.set(reservation.id, { bucket: span.cur, amount: check.amount, expiresAt: reservation.expiresAt });
      if (reservation.expiresAt < c.nextExpiry) c.nextExpiry = reservation.expiresAt;
      results.push(checkResult(true, t.spent, t.reserved + check.amount, check.limit, resetAt(info, span, oldest), reservation));
    }
    return { admitted, results };
  }

  /** Totals over `span`, after releasing expired holds and pruning buckets that left the window. */
  private totals(c: Counter, now: number, span: Span): Totals {
    this.touch(c, now, span);
    if (c.info.stepMs === 0) {
      const b = c.buckets.get(span.cur);
      if (b === undefined) return { spent: 0, reserved: 0, oldest: undefined };
      return { spent: b.spent, reserved: b.reserved, oldest: b.spent > 0 || b.reserved > 0 ? span.cur : undefined };
    }
    if (c.newest <= span.cur) {
      // Every bucket is in the span (touch pruned the older ones): the sums are the totals, and the
      // oldest bucket with anything in it is found from the low end, usually at once.
      let oldest: number | undefined;
      for (let j = span.lo; j <= span.cur; j++) {
        const b = c.buckets.get(j);
        if (b !== undefined && (b.spent > 0 || b.reserved > 0)) {
          oldest = j;
          break;
        }
      }
      return { spent: c.spent, reserved: c.reserved, oldest };
    }
    // The clock went back past a written bucket: walk the span.
    let spent = 0;
    let reserved = 0;
    let oldest: number | undefined;
    for (const [j, b] of c.buckets) {
      if (j < span.lo || j > span.cur) continue;
      spent += b.spent;
      reserved += b.reserved;
      if ((b.spent > 0 || b.reserved > 0) && (oldest === undefined || j < oldest)) oldest = j;
    }
    return { spent, reserved, oldest };
  }

  private touch(c: Counter, now: number, span: Span): void {
    if (now >= c.nextExpiry) this.expire(c, now);
    if (span.cur !== c.prunedAt) {
      for (const j of c.buckets.keys()) if (j < span.lo) this.drop(c, j);
      c.prunedAt = span.cur;
    }
  }

  /** Releases holds that have expired at `now`; returns how many. */
  private expire(c: Counter, now: number): number {
    if (now < c.nextExpiry) return 0;
    let released = 0;
    let next = Infinity;
    for (const [id, h] of c.holds) {
      if (h.expiresAt <= now) {
        c.holds.delete(id);
        this.unreserve(c, h.bucket, h.amount);
        released++;
      } else if (h.expiresAt < next) next = h.expiresAt;
    }
    c.nextExpiry = next;
    return released;
  }

  private counter(key: string, info: WindowInfo, kind: "budget" | "limit"): Counter {
    let byTag = this.counters.get(key);
    if (byTag === undefined) {
      byTag = new Map();
      this.counters.set(key, byTag);
    }
    let c = byTag.get(info.tag);
    if (c === undefined) {
      c = { key, info, kind, limit: 0, buckets: new Map(), spent: 0, reserved: 0, newest: -Infinity, holds: new Map(), nextExpiry: Infinity, prunedAt: Number.NaN };
      byTag.set(info.tag, c);
    } else if (kind === "budget") {
      c.kind = kind;
    }
    return c;
  }

  /** Adds to bucket `j` (made when missing) and to the counter's sums. */
  private credit(c: Counter, j: number, spent: number, reserved: number): void {
    let b = c.buckets.get(j);
    if (b === undefined) {
      b = { spent: 0, reserved: 0 };
      c.buckets.set(j, b);
      if (j > c.newest) c.newest = j;
    }
    b.spent += spent;
    b.reserved += reserved;
    c.spent += spent;
    c.reserved += reserved;
  }

  /** Gives a hold's amount back from its bucket, if the bucket is still kept. */
  private unreserve(c: Counter, j: number, amount: number): void {
    const b = c.buckets.get(j);
    if (b === undefined) return;
    b.reserved -= amount;
    c.reserved -= amount;
  }

  private drop(c: Counter, j: number): void {
    const b = c.buckets.get(j);
    if (b === undefined) return;
    c.buckets.delete(j);
    c.spent -= b.spent;
    c.reserved -= b.reserved;
  }
}
