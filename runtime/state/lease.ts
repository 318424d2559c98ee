/**
 * Leases: a {@link Store} over a shared store (SQLite, Redis) that admits
 * most requests without a store transaction. Each process takes a *slice*
 * of a counter — one reservation in the shared store, sized to what the
 * counter admitted in the last flush period — and admits from it locally
 * until it is used, then settles it with what was really charged.
 *
 * Why it is still exact:
 * - a slice is a reservation in the store, so `spent + reserved ≤ limit`
 *   holds there for slices exactly as for single requests: processes can
 *   never together pass a limit;
 * - a slice is taken in the same store admission as the request that needs
 *   it (the request's amount plus the slice's extra, one check), and a
 *   batch is admitted locally only if every check fits its slice, so a
 *   batch is still all or nothing;
 * - a slice never exceeds `(remaining − amount) / (2·holders)`
 *   (lease-slice.ts): near the limit it shrinks to nothing and every request
 *   is admitted by the store itself, as without leases;
 * - a slice serves only its own window bucket, limit and reservation
 *   lifetime, so a settlement lands where a per-request one would.
 *
 * What it changes, and by how much (lang/SPEC.md §12 states it):
 * - a finished request's cost is written to the store before its finish
 *   resolves (the writes of one event-loop turn in one call), so a cost a
 *   client saw survives a crash, as without leases; until the slice
 *   settles, that cost is counted both as spent and inside the slice's
 *   reservation (the store's sum reads high, never low);
 * - lag for other processes: a slice's unused part counts as reserved
 *   until the slice retires, after {@link LEASE_FLUSH_MS} (on the world's
 *   timer, or at the next admission of its counter), and settles, once the
 *   requests it admitted have finished; a rate limit's takes are written
 *   when its slice settles (the reservation counts them meanwhile). This
 *   process's own `read` and `list` count its slices as what they hold;
 * - a crash: the unsettled slices stay reserved in the store until their
 *   reservation expires (a budget's or token limit's reservation TTL; a
 *   request limit's slice lives as long as its window bucket counts, so
 *   its unwritten takes are never forgotten early).
 *
 * The memory store gains nothing from this (a single process, no
 * transactions) and is never wrapped.
 */
import { checkBatch, checkFinish, checkResult, closedError } from "./common.js";
import type { HealthNews, SharedHealth } from "./health.js";
import { Demand, sliceExtra, sliceView, type Slice } from "./lease-slice.js";
import {
  DEFAULT_RESERVATION_TTL_MS,
  type Addition,
  type Admission,
  type Check,
  type CheckResult,
  type Clock,
  type CounterEntry,
  type CounterRef,
  type CounterValue,
  type Reservation,
  type Settlement,
  type Store,
} from "./store.js";
import { BatchStore } from "./batch-store.js";
import { dropAt, spanAt, windowInfo, windowOfTag, type WindowInfo } from "./window.js";

/** How long a slice admits before it retires (and is settled once its requests in flight finish). */
export const LEASE_FLUSH_MS = 200;

/** How many processes (or workers) a slice's cap assumes share a counter. */
export const LEASE_HOLDERS = 4;

/** Options of {@link leasedStore}. */
export interface LeaseOptions {
  clock: Clock;
  /** Default {@link LEASE_FLUSH_MS}. */
  flushMs?: number;
  /** Default {@link LEASE_HOLDERS}. */
  holders?: number;
  /** Runs `fn` every `ms` until the returned function is called; default an unref'd `setInterval`. */
  every?: (ms: number, fn: () => void) => () => void;
  /** Hears a slice settlement the store failed (its reservation then expires on its own). */
  onError?: (err: unknown) => void;
}

/** One counter's lease: its demand, the slice it admits from, and what the store last showed remaining. */
interface Counter {
  readonly demand: Demand;
  active: Slice | undefined;
  remaining: number | undefined;
}

/**
 * A request's hold: usually one part in one slice; a request that used up
 * a slice's last free amount holds that part there and the rest in a new
 * slice or in a reservation of its own.
 */
type Part = { readonly slice: Slice; readonly amount: number } | { readonly res: Reservation; readonly amount: number };

interface LocalHold {
  readonly key: string;
  readonly parts: readonly Part[];
}

/** Local holds' ids start with this; the stores' own ids are digits. */
const LOCAL = "L";

/** Wraps `inner` (SQLite or Redis) with leases. */
export function leasedStore(inner: Store, options: LeaseOptions): LeasedStore {
  return new LeasedStore(inner, options);
}

export class LeasedStore extends BatchStore {
  readonly kind: Store["kind"];
  private readonly clock: Clock;
  private readonly flushMs: number;
  private readonly holders: number;
  private readonly onError: ((err: unknown) => void) | undefined;
  /** By `key|tag`. */
  private readonly counters = new Map<string, Counter>();
  private readonly holds = new Map<string, LocalHold>();
  /** Slices whose settlement was not yet sent. */
  private readonly open = new Set<Slice>();
  private readonly pending = new Set<Promise<unknown>>();
  /** Slices with charges to write at the end of this turn, and the promise of that write. */
  private readonly toWrite = new Set<Slice>();
  private writing: Promise<void> | undefined;
  private readonly stop: () => void;
  private seq = 0;
  private closed = false;

  constructor(
    private readonly inner: Store,
    options: LeaseOptions,
  ) {
    super();
    this.kind = inner.kind;
    this.clock = options.clock;
    this.flushMs = options.flushMs ?? LEASE_FLUSH_MS;
    this.holders = options.holders ?? LEASE_HOLDERS;
    this.onError = options.onError;
    this.stop = (options.every ?? interval)(this.flushMs, () => this.tick());
  }

  admit(checks: readonly Check[]): Promise<Admission> {
    if (this.closed) return Promise.reject(closedError());
    try {
      checkBatch(checks);
    } catch (e) {
      return Promise.reject(e);
    }
    const now = this.clock();
    const slices: Slice[] = [];
    for (const c of checks) {
      const counter = this.counter(c);
      counter.demand.note(now, c.amount);
      const s = this.usable(counter, c, now);
      if (s !== undefined && s.free >= c.amount) slices.push(s);
    }
    if (slices.length === checks.length) return Promise.resolve({ admitted: true, results: checks.map((c, i) => this.fromSlice(c, slices[i]!)) });
    return this.admitInStore(checks, now);
  }



  finish(settlements: readonly Settlement[], additions: readonly Addition[] = []): Promise<boolean[]> {
    if (this.closed) return Promise.reject(closedError());
    try {
      checkFinish(settlements, additions);
    } catch (e) {
      return Promise.reject(e);
    }
    const now = this.clock();
    const out: boolean[] = new Array<boolean>(settlements.length).fill(false);
    const passed: Settlement[] = [];
    const at: number[] = [];
    let adds = additions;
    let written: Promise<void> | undefined;
    for (let i = 0; i < settlements.length; i++) {
      const { reservation: r, actual } = settlements[i]!;
      if (!r.id.startsWith(LOCAL)) {
        passed.push(settlements[i]!);
        at.push(i);
        out[i] = true;
        continue;
      }
      const h = this.holds.get(r.id);
      if (h === undefined || h.key !== r.key) {
        // Settled a second time (or after close): charged again, as a store charges a second settlement.
        const window = windowOfTag(r.tag);
        if (window !== undefined && actual > 0) adds = [...adds, { key: r.key, amount: actual, window }];
        continue;
      }
      this.holds.delete(r.id);
      out[i] = true;
      // The actual cost fills the parts in order; an overrun goes to the last, as a store charges it to the one reservation.
      let left = actual;
      for (let k = 0; k < h.parts.length; k++) {
        const part = h.parts[k]!;
        const charge = k === h.parts.length - 1 ? left : Math.min(left, part.amount);
        left -= charge;
        if ("res" in part) {
          passed.push({ reservation: part.res, actual: charge });
          at.push(i);
          continue;
        }
        const sl = part.slice;
        sl.holds--;
        sl.held -= part.amount;
        sl.charged += charge;
        sl.unwritten += charge;
        sl.free = sl.retired ? 0 : Math.max(0, sl.size - sl.held - sl.charged);
        if (now >= sl.res.expiresAt) out[i] = false;
        if (sl.retired && sl.holds === 0) this.settleSlice(sl);
        else if (charge > 0) written = this.writeThrough(sl);
      }
    }
    const charged = written ?? Promise.resolve();
    if (passed.length === 0 && adds.length === 0) return charged.then(() => out);
    return Promise.all([this.inner.finish(passed, adds), charged]).then(([live]) => {
      for (let k = 0; k < at.length; k++) out[at[k]!] = out[at[k]!]! && live[k]!;
      return out;
    });
  }



  read(refs: readonly CounterRef[]): Promise<CounterValue[]> {
    if (this.closed) return Promise.reject(closedError());
    const now = this.clock();
    // Taken now: the store answers as of every settlement sent before this read.
    const own = refs.map((ref) => this.own(ref.key, windowInfo(ref.window), now));
    return this.inner.read(refs).then((values) => values.map((v, i) => shown(v, own[i]!)));
  }

  list(): Promise<CounterEntry[]> {
    if (this.closed) return Promise.reject(closedError());
    const now = this.clock();
    const owned = [...this.open].map((s) => ({ s, unwritten: s.unwritten, held: s.held }));
    return this.inner.list().then((entries) => {
      const out: CounterEntry[] = [];
      for (const e of entries) {
        const info = windowInfo(e.window);
        const span = spanAt(info, now);
        const own: Own = { spent: 0, hidden: 0 };
        for (const { s, unwritten, held } of owned) {
          if (s.res.key === e.key && s.res.tag === info.tag && s.res.bucket >= span.lo && s.res.bucket <= span.cur && now < s.res.expiresAt) {
            own.spent += unwritten;
            own.hidden += s.size - held;
          }
        }
        const v = shown(e, own);
        if (v.spent === 0 && v.reserved === 0) continue;
        out.push({ ...e, spent: v.spent, reserved: v.reserved });
      }
      return out;
    });
  }

  sweep(now?: number): Promise<number> {
    return this.inner.sweep(now);
  }

  shareHealth(owner: string, news: readonly HealthNews[]): Promise<SharedHealth[]> {
    return this.inner.shareHealth(owner, news);
  }

  /** Retires every slice and waits for the settlements this sends (the ones with requests in flight settle when those finish). */
  async flush(): Promise<void> {
    for (const counter of this.counters.values()) this.retire(counter);
    await Promise.all([...this.pending]);
  }

  /**
   * Settles every slice (requests still in flight lose their holds: after
   * close they could not be settled anyway) and closes the inner store.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.stop();
    await this.writing?.catch(() => undefined);
    for (const counter of this.counters.values()) this.retire(counter);
    for (const s of [...this.open]) this.settleSlice(s);
    this.closed = true;
    this.holds.clear();
    await Promise.all([...this.pending]);
    await this.inner.close();
  }

  // ------------------------------------------------------------------ slices

  private counter(c: Check): Counter {
    const id = `${c.key}|${windowInfo(c.window).tag}`;
    let counter = this.counters.get(id);
    if (counter === undefined) {
      counter = { demand: new Demand(this.flushMs), active: undefined, remaining: undefined };
      this.counters.set(id, counter);
    }
    return counter;
  }

  /** The counter's slice if it may serve `c` now; a slice that may not is retired. */
  private usable(counter: Counter, c: Check, now: number): Slice | undefined {
    const s = counter.active;
    if (s === undefined) return undefined;
    const info = windowInfo(c.window);
    if (
      s.kind !== c.kind ||
      s.limit !== c.limit ||
      s.ttlMs !== ttlOf(c) ||
      s.res.tag !== info.tag ||
      s.res.bucket !== spanAt(info, now).cur ||
      now - s.openedAt >= this.flushMs ||
      now >= s.res.expiresAt
    ) {
      this.retire(counter);
      return undefined;
    }
    return s;
  }

  /** Admits `c` from `s`, which has room for it. */
  private fromSlice(c: Check, s: Slice): CheckResult {
    take(s, c.kind, c.amount);
    if (c.kind === "take") {
      const v = sliceView(s);
      return checkResult(true, v.spent, v.reserved, c.limit, v.resetAt);
    }
    const id = `${LOCAL}${++this.seq}`;
    this.holds.set(id, { key: c.key, parts: [{ slice: s, amount: c.amount }] });
    const v = sliceView(s);
    return checkResult(true, v.spent, v.reserved, c.limit, v.resetAt, { id, key: c.key, tag: s.res.tag, bucket: s.res.bucket, amount: c.amount, expiresAt: s.res.expiresAt });
  }

  /**
   * The store admits what the slices cannot: each check that fits its
   * slice is held there; one that does not takes the slice's last free
   * amount and asks the store for the rest, plus a new slice where the
   * counter's demand and room allow. The store's checks are one batch, so
   * the request is still all or nothing (a refusal gives the slices back).
   * If the store refuses the batch with new slices, it is asked again
   * without: the verdict is the one a per-request admission gets.
   */
  private async admitInStore(checks: readonly Check[], now: number): Promise<Admission> {
    const counters = checks.map((c) => this.counter(c));
    const old: (Slice | undefined)[] = [];
    const local: number[] = [];
    for (let i = 0; i < checks.length; i++) {
      const c = checks[i]!;
      const s = this.usable(counters[i]!, c, now);
      const part = s === undefined ? 0 : Math.min(s.free, c.amount);
      const used = part > 0 || c.amount === 0 ? s : undefined;
      old.push(used);
      local.push(part);
      if (used !== undefined) {
        take(used, c.kind, part);
        // A take not yet admitted keeps its slice from settling (which would write it) until the store answers.
        if (c.kind === "take") used.holds++;
      }
      if (s !== undefined && s.free === 0 && part < c.amount) this.retire(counters[i]!);
    }
    const rest = checks.map((c, i) => c.amount - local[i]!);
    const asked = checks.map((_, i) => old[i] === undefined || rest[i]! > 0);
    const extras = checks.map((_, i) => (asked[i] ? sliceExtra(rest[i]!, counters[i]!.demand.recent(now), counters[i]!.remaining, this.holders) : 0));
    const storeChecks = (withSlices: boolean): Check[] => {
      const out: Check[] = [];
      for (let i = 0; i < checks.length; i++) {
        if (!asked[i]) continue;
        const c = { ...checks[i]!, amount: rest[i]! };
        out.push(withSlices && extras[i]! > 0 ? this.asSlice(c, extras[i]!, now) : c);
      }
      return out;
    };
    const sliced = extras.some((e) => e > 0);
    let a: Admission;
    try {
      a = await this.inner.admit(storeChecks(sliced));
      if (!a.admitted && sliced) {
        extras.fill(0);
        a = await this.inner.admit(storeChecks(false));
      }
      if (!a.admitted && (await this.compact(checks.filter((_, i) => asked[i]).map((c) => c.key)))) {
        extras.fill(0);
        a = await this.inner.admit(storeChecks(false));
      }
    } catch (err) {
      this.giveBack(checks, old, local);
      throw err;
    }
    const opened = this.clock();
    const results: CheckResult[] = [];
    let j = 0;
    for (let i = 0; i < checks.length; i++) {
      const c = checks[i]!;
      if (!asked[i]) {
        const held = a.admitted && c.kind === "reserve" ? [{ slice: old[i]!, amount: c.amount }] : undefined;
        // It fits its slice: on a refused batch it is not what refused.
        results.push(this.viewOf(c, true, undefined, opened, held));
        continue;
      }
      const r = a.results[j++]!;
      counters[i]!.remaining = r.remaining;
      if (!a.admitted) {
        results.push(this.viewOf(c, r.admitted, r, opened));
        continue;
      }
      const parts: Part[] = [];
      if (local[i]! > 0 || (old[i] !== undefined && c.amount === 0)) parts.push({ slice: old[i]!, amount: local[i]! });
      const extra = extras[i]!;
      if (extra > 0) {
        const size = rest[i]! + extra;
        const s: Slice = {
          res: r.reservation!,
          kind: c.kind,
          limit: c.limit,
          ttlMs: ttlOf(c),
          size,
          openedAt: opened,
          base: { spent: r.spent, reserved: r.reserved - size, resetAt: r.resetAt },
          free: size,
          held: 0,
          charged: 0,
          unwritten: 0,
          holds: 0,
          retired: false,
          settled: false,
        };
        this.open.add(s);
        this.retire(counters[i]!);
        counters[i]!.active = s;
        take(s, c.kind, rest[i]!);
        parts.push({ slice: s, amount: rest[i]! });
      } else if (r.reservation !== undefined) {
        parts.push({ res: r.reservation, amount: rest[i]! });
      }
      results.push(this.viewOf(c, true, r, opened, c.kind === "reserve" ? parts : undefined));
    }
    if (!a.admitted) this.giveBack(checks, old, local);
    else {
      for (let i = 0; i < checks.length; i++) {
        const s = old[i];
        if (s === undefined || checks[i]!.kind !== "take") continue;
        s.holds--;
        if (s.retired && s.holds === 0) this.settleSlice(s);
      }
    }
    if (this.closed) for (const s of [...this.open]) this.settleSlice(s);
    return { admitted: a.admitted, results };
  }

  /**
   * Shrinks this process's retired slices of `keys` that still have
   * requests in flight to what those requests hold, so their unused part no
   * longer refuses anyone: a reservation of exactly the held amount is
   * taken first (same bucket and expiry), and only then is the old slice
   * settled, so the requests are never without a reservation. Near the
   * limit the new reservation may not fit; the slice then keeps its unused
   * part until its last request finishes. Resolves true if any shrank.
   */
  private async compact(keys: readonly string[]): Promise<boolean> {
    const wasteful = [...this.open].filter((s) => s.kind === "reserve" && s.retired && s.holds > 0 && keys.includes(s.res.key) && s.size - s.held - s.charged > 0);
    const done = await Promise.all(wasteful.map((s) => this.compactOne(s)));
    return done.includes(true);
  }

  private async compactOne(s: Slice): Promise<boolean> {
    const window = windowOfTag(s.res.tag);
    const ttlMs = s.res.expiresAt - this.clock();
    if (window === undefined || ttlMs <= 0) return false;
    const held = s.held;
    const a = await this.inner.admit([{ kind: "reserve", key: s.res.key, amount: held, limit: s.limit, window, ttlMs }]);
    const r = a.results[0]!.reservation;
    if (!a.admitted || r === undefined) return false;
    if (s.settled || r.bucket !== s.res.bucket) {
      this.track(this.inner.finish([{ reservation: r, actual: 0 }]));
      return false;
    }
    this.track(this.inner.finish([{ reservation: s.res, actual: s.unwritten }]));
    s.res = r;
    s.size = held;
    s.charged = 0;
    s.unwritten = 0;
    if (s.holds === 0) this.settleSlice(s);
    return true;
  }

  /**
   * Writes what `s` charged to the store, with every other slice's charges
   * of this turn, in one `finish`: a settlement of a reservation that is not
   * held (id 0, which no store issues) charges its bucket and releases
   * nothing. Resolves once written, so a request's cost is in the store
   * before its reply, as without leases.
   */
  private writeThrough(s: Slice): Promise<void> {
    this.toWrite.add(s);
    return (this.writing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      const settlements: Settlement[] = [];
      for (const sl of this.toWrite) {
        if (sl.unwritten > 0) settlements.push({ reservation: { ...sl.res, id: "0", amount: 0 }, actual: sl.unwritten });
        sl.unwritten = 0;
      }
      this.toWrite.clear();
      this.writing = undefined;
      return settlements.length === 0 ? undefined : this.inner.finish(settlements).then(() => undefined);
    }));
  }

  private track(p: Promise<unknown>): void {
    const q = p
      .then(() => undefined)
      .catch((err: unknown) => this.onError?.(err))
      .finally(() => this.pending.delete(q));
    this.pending.add(q);
  }

  /** Undoes the slice parts a refused (or failed) store admission had taken. */
  private giveBack(checks: readonly Check[], old: readonly (Slice | undefined)[], local: readonly number[]): void {
    for (let i = 0; i < checks.length; i++) {
      const s = old[i];
      if (s === undefined) continue;
      const c = checks[i]!;
      if (c.kind === "take") {
        s.charged -= local[i]!;
        s.unwritten -= local[i]!;
        s.holds--;
      } else {
        s.held -= local[i]!;
        s.holds--;
      }
      if (!s.retired) s.free += local[i]!;
      else if (s.holds === 0) this.settleSlice(s);
    }
  }

  /**
   * A check's result as this process sees its counter: the store's answer
   * (or, for a check its slice held, nothing new from the store) with this
   * process's slices counted as what they hold and charged. With `parts`,
   * the request's hold (a local one unless it is one store reservation).
   */
  private viewOf(c: Check, admitted: boolean, r: CheckResult | undefined, now: number, parts?: readonly Part[]): CheckResult {
    const info = windowInfo(c.window);
    const own = this.own(c.key, info, now);
    let reservation: Reservation | undefined;
    if (parts !== undefined && parts.length > 0) {
      const first = parts[0]!;
      if (parts.length === 1 && "res" in first) reservation = first.res;
      else {
        const id = `${LOCAL}${++this.seq}`;
        this.holds.set(id, { key: c.key, parts });
        const res0 = "res" in first ? first.res : first.slice.res;
        let expiresAt = Infinity;
        for (const p of parts) expiresAt = Math.min(expiresAt, "res" in p ? p.res.expiresAt : p.slice.res.expiresAt);
        reservation = { id, key: c.key, tag: res0.tag, bucket: res0.bucket, amount: c.amount, expiresAt };
      }
    }
    if (r === undefined) {
      const s = this.counters.get(`${c.key}|${info.tag}`)?.active;
      const v = s === undefined ? { spent: own.spent, reserved: 0, resetAt: spanAt(info, now).curDropAt } : sliceView(s);
      return checkResult(admitted, v.spent, v.reserved, c.limit, v.resetAt, reservation);
    }
    const v = shown(r, own);
    return checkResult(admitted, v.spent, v.reserved, c.limit, v.resetAt, reservation);
  }

  /**
   * The store check that takes `c` with a slice of `extra` more: always a
   * reservation. A rate limit's slice lives as long as its bucket counts,
   * so what it charged counts for the whole window even if it is never
   * settled.
   */
  private asSlice(c: Check, extra: number, now: number): Check {
    const amount = c.amount + extra;
    if (c.kind === "reserve") return { ...c, amount };
    const info = windowInfo(c.window);
    const ttlMs = Math.max(1, dropAt(info, spanAt(info, now + this.flushMs).cur) - now);
    return { kind: "reserve", key: c.key, amount, limit: c.limit, window: c.window, ttlMs };
  }

  private retire(counter: Counter): void {
    const s = counter.active;
    if (s === undefined) return;
    counter.active = undefined;
    s.retired = true;
    if (s.holds === 0) this.settleSlice(s);
  }

  /** Sends the slice's settlement: its reservation released, what it charged written. */
  private settleSlice(s: Slice): void {
    if (s.settled) return;
    s.settled = true;
    s.retired = true;
    this.open.delete(s);
    this.track(this.inner.finish([{ reservation: s.res, actual: s.unwritten }]));
    s.unwritten = 0;
  }

  /** This process's unsettled slices counting in `key`'s window at `now`. */
  private own(key: string, info: WindowInfo, now: number): Own {
    const own: Own = { spent: 0, hidden: 0 };
    if (this.open.size === 0) return own;
    const span = spanAt(info, now);
    for (const s of this.open) {
      if (s.res.key !== key || s.res.tag !== info.tag || s.res.bucket < span.lo || s.res.bucket > span.cur || now >= s.res.expiresAt) continue;
      own.spent += s.unwritten;
      own.hidden += s.size - s.held;
    }
    return own;
  }

  /** The timer: retires slices past their period, forgets idle counters and slices whose reservation expired. */
  private tick(): void {
    const now = this.clock();
    for (const [id, counter] of this.counters) {
      const s = counter.active;
      if (s !== undefined && now - s.openedAt >= this.flushMs) this.retire(counter);
      if (counter.active === undefined && counter.demand.idle(now)) this.counters.delete(id);
    }
    for (const s of this.open) if (now >= s.res.expiresAt) this.open.delete(s);
  }
}

/** Takes `amount` from a slice's free part for a check of `kind`. */
function take(s: Slice, kind: Check["kind"], amount: number): void {
  s.free -= amount;
  if (kind === "take") {
    s.charged += amount;
    s.unwritten += amount;
  } else {
    s.held += amount;
    s.holds++;
  }
}

/** What this process's slices add to a counter: charged spend, and the part of the slices the store counts as reserved but nothing holds. */
interface Own {
  spent: number;
  hidden: number;
}

function shown(v: CounterValue, own: Own): CounterValue {
  if (own.spent === 0 && own.hidden === 0) return v;
  return { spent: v.spent + own.spent, reserved: Math.max(0, v.reserved - own.hidden), resetAt: v.resetAt };
}

function ttlOf(c: Check): number {
  return c.kind === "reserve" ? (c.ttlMs ?? DEFAULT_RESERVATION_TTL_MS) : 0;
}

function interval(ms: number, fn: () => void): () => void {
  const t = setInterval(fn, ms);
  t.unref();
  return () => clearInterval(t);
}
