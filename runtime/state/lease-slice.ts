/**
 * The arithmetic of a lease (lease.ts), pure: what one slice of a counter
 * holds, how big the next slice may be, and what a caller admitted from a
 * slice is shown.
 *
 * A slice is ONE reservation in the shared store, of `size`, split locally
 * into three parts that always add up to it:
 * - `free`: not yet given to any request;
 * - `held`: the worst cases of requests admitted from it and still in flight;
 * - `charged`: what finished requests cost (written to the store as they
 *   finish, so a settled cost survives a crash) and, for a rate limit,
 *   every request or token taken (written when the slice is settled).
 * Retiring a slice stops its admissions; once nothing is held it is settled
 * in the store (its reservation released, what is still unwritten
 * charged), so the store then shows exactly what per-request admissions
 * would have written.
 */
import type { Reservation } from "./store.js";

/** One slice of a counter, taken from the store. */
export interface Slice {
  /** The reservation in the store that backs the slice (replaced when a retired slice is compacted, lease.ts). */
  res: Reservation;
  /** `take` slices count every amount as used at once; `reserve` slices hold until settled. */
  readonly kind: "reserve" | "take";
  readonly limit: number;
  /** The reservation lifetime a `reserve` check asked for (a slice only serves checks asking the same); 0 for `take`. */
  readonly ttlMs: number;
  size: number;
  readonly openedAt: number;
  /** The counter as the store showed it when the slice was taken, without the slice. */
  readonly base: { readonly spent: number; readonly reserved: number; readonly resetAt: number };
  free: number;
  held: number;
  charged: number;
  /**
   * The part of `charged` not yet written to the store: a rate limit's
   * takes (written when the slice is settled; its reservation counts them
   * meanwhile) and a budget's costs between a request's finish and the
   * write that follows it in the same turn.
   */
  unwritten: number;
  /** Requests admitted from the slice and not yet finished. */
  holds: number;
  /** No more admissions; settled once `holds` is 0. */
  retired: boolean;
  /** The settlement was sent to the store. */
  settled: boolean;
}

/**
 * The amount a counter admitted in the last one or two periods (the flush
 * interval): what the next slice is sized for, so a slice lasts about one
 * period whatever the traffic, and a quiet counter gets no slice at all.
 */
export class Demand {
  private start = 0;
  private cur = 0;
  private prev = 0;

  constructor(private readonly periodMs: number) {}

  note(now: number, amount: number): void {
    this.roll(now);
    this.cur += amount;
  }

  /** The larger of the current and the previous period's amount. */
  recent(now: number): number {
    this.roll(now);
    return Math.max(this.cur, this.prev);
  }

  /** True once a whole period passed with nothing noted: the counter's lease can be forgotten. */
  idle(now: number): boolean {
    this.roll(now);
    return this.cur === 0 && this.prev === 0;
  }

  private roll(now: number): void {
    if (now < this.start + this.periodMs) return;
    this.prev = now < this.start + 2 * this.periodMs ? this.cur : 0;
    this.cur = 0;
    this.start = now - (now % this.periodMs);
  }
}

/**
 * How much to take beyond a request's own `amount`: the recent demand (so
 * the slice lasts about one period at the current rate), but
 * never more than `(remaining − amount) / (2·holders)`, so however many
 * holders share the counter, their slices together leave at least half of
 * what was left for per-request admission; near the limit this is 0 and
 * every request is admitted by the store itself. `remaining` is what the
 * store last showed (undefined: nothing seen yet, so no slice).
 */
export function sliceExtra(amount: number, demand: number, remaining: number | undefined, holders: number): number {
  if (remaining === undefined) return 0;
  const cap = Math.floor((remaining - amount) / (2 * holders));
  return Math.max(0, Math.min(demand, cap));
}

/** What a check admitted from `s` shows: the counter as the store last did, with the slice replaced by what it really holds and charged. */
export function sliceView(s: Slice): { spent: number; reserved: number; remaining: number; resetAt: number } {
  const spent = s.base.spent + s.charged;
  const reserved = s.base.reserved + s.held;
  return { spent, reserved, remaining: Math.max(0, s.limit - spent - reserved), resetAt: s.base.resetAt };
}
