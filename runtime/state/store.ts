/**
 * The state store: the one small interface behind budgets and rate limits.
 * Memory (tests, `state memory`), SQLite (the embedded default)
 * and Redis (several gateway instances) implement it and pass one
 * conformance suite (test/state/conformance.ts).
 *
 * Units. Every amount is a non-negative safe integer: budgets count
 * **micro-dollars** (money.ts converts; integers, so no float drift across
 * millions of requests), rate limits count requests or tokens. Times are
 * epoch milliseconds from the store's clock.
 *
 * Keys. A counter is a stable name (keys.ts: `budget:<name>:<scope value>`,
 * `limit:<name>:<measure>:<scope value>`) plus a window; history survives a
 * policy reload and a restart as long as the name and window stay the same.
 *
 * Guarantees, the same in every implementation:
 * - every method is atomic: one SQLite `BEGIN IMMEDIATE` transaction, one
 *   Redis Lua script, or one synchronous step in memory. A request needs
 *   two: `admit` (its budgets and limits, all or nothing) before it is sent
 *   and `finish` (settlements and output tokens) after;
 * - a reservation or take is admitted only if `spent + reserved + amount ≤
 *   limit` over the counter's current window, checked and written in that
 *   one atomic step, so concurrent requests (threads of one gateway, several
 *   processes on one SQLite file, several instances on one Redis) can never
 *   together pass the limit. With calendar windows this bounds each window;
 *   with rolling windows it bounds ANY interval of the window's length
 *   (window.ts says how);
 * - spend can pass the limit only through `settle` with an actual cost
 *   above the reservation and through `add` (output tokens counted after
 *   the fact); later admissions then see the overrun and refuse;
 * - a reservation holds its amount until settled or until it expires (its
 *   `ttlMs`, default {@link DEFAULT_RESERVATION_TTL_MS}); expired
 *   reservations stop counting at once, without waiting for `sweep`, so a
 *   crashed gateway's reservations are released after the timeout and none
 *   leaks forever. `reserved` is never negative.
 */
import type { WindowNode } from "../../compiler/graph.js";
import type { HealthNews, SharedHealth } from "./health.js";

/** Epoch milliseconds; a parameter so tests can fix and advance time. */
export type Clock = () => number;

/** A reservation's lifetime when the check names none: longer than any request should take. */
export const DEFAULT_RESERVATION_TTL_MS = 15 * 60_000;

/** Reserve `amount` against a budget: held until settled or expired. */
export interface ReserveCheck {
  readonly kind: "reserve";
  readonly key: string;
  /** Micro-dollars (the request's worst-case cost). */
  readonly amount: number;
  /** Micro-dollars per window. */
  readonly limit: number;
  readonly window: WindowNode;
  /** How long the reservation holds if never settled; default {@link DEFAULT_RESERVATION_TTL_MS}. */
  readonly ttlMs?: number;
}

/** Count `amount` requests or tokens against a rate limit, if it fits. */
export interface TakeCheck {
  readonly kind: "take";
  readonly key: string;
  readonly amount: number;
  readonly limit: number;
  readonly window: WindowNode;
}

/** One counter of an {@link Store.admit} batch. */
export type Check = ReserveCheck | TakeCheck;

/** A held reservation: plain data, so it may be logged or carried across an await. */
export interface Reservation {
  /** With `key`, `tag` and `bucket`, identifies the reservation in the store (across processes and instances sharing it). */
  readonly id: string;
  readonly key: string;
  /** The window tag (window.ts) and bucket the amount is held in; settlement charges the same bucket. */
  readonly tag: string;
  readonly bucket: number;
  /** Micro-dollars held. */
  readonly amount: number;
  /** When the hold lapses if the reservation is never settled. */
  readonly expiresAt: number;
}

/** A counter in its current window. */
export interface CounterValue {
  /** Settled spend (micro-dollars) or used requests/tokens. */
  readonly spent: number;
  /** Held by live reservations (always 0 for rate limits). */
  readonly reserved: number;
  /** When the window resets (rolling: when its oldest counted spend stops counting). */
  readonly resetAt: number;
}

/** The outcome of one check. */
export interface CheckResult extends CounterValue {
  /** Whether this check fits (its batch is admitted only if all fit). */
  readonly admitted: boolean;
  readonly limit: number;
  /** `max(0, limit − spent − reserved)`. */
  readonly remaining: number;
  /** The hold, for an admitted `reserve` check. */
  readonly reservation?: Reservation;
}

/**
 * An admitted or refused batch. When admitted, each result shows the counter
 * after the admission; when refused, nothing was written and each result
 * shows the counter as found, with `admitted` telling which checks failed.
 */
export interface Admission {
  readonly admitted: boolean;
  readonly results: readonly CheckResult[];
}

/** A reservation to settle: release its hold and charge `actual` micro-dollars. */
export interface Settlement {
  readonly reservation: Reservation;
  /** May exceed the reservation: it is still charged. */
  readonly actual: number;
}

/** A count to add with no check (output tokens, known only at settlement). */
export interface Addition {
  readonly key: string;
  readonly amount: number;
  readonly window: WindowNode;
}

/** A counter to read: its key and window. */
export interface CounterRef {
  readonly key: string;
  readonly window: WindowNode;
}

/** One row of {@link Store.list}: a counter with something spent or reserved in its current window. */
export interface CounterEntry extends CounterValue {
  /** `budget`: written by reservations; `limit`: written by `take`/`add`. */
  readonly kind: "budget" | "limit";
  readonly key: string;
  readonly window: WindowNode;
  /** The limit given by the most recent admission (0 if only `add` wrote it). */
  readonly limit: number;
}

/**
 * The state store. Every method is one atomic step (see the module comment).
 * A store may read its arguments until the returned promise settles: do not
 * mutate them meanwhile.
 */
export interface Store {
  /** Which implementation: `memory`, `sqlite` or `redis`. */
  readonly kind: "memory" | "sqlite" | "redis";

  /**
   * Admits all checks or none, atomically: each must fit (`spent + reserved
   * + amount ≤ limit` in its window). A route's budgets and rate limits go
   * in one batch, so a refusal leaves no partial reservation or count
   * behind. A key may appear once per batch.
   */
  admit(checks: readonly Check[]): Promise<Admission>;

  /** `admit` with one reserve check. */
  reserve(key: string, amount: number, limit: number, window: WindowNode, ttlMs?: number): Promise<CheckResult>;

  /**
   * What a finished request does, in one atomic step: releases each
   * reservation and charges its actual cost (which may exceed the
   * reservation: it is still charged) to the bucket the reservation was made
   * in, then adds each count with no check (output tokens). Resolves, per
   * settlement, true if the hold was still live and false if it had expired
   * (the cost is charged either way). Settle each reservation once: a second
   * settlement charges again.
   */
  finish(settlements: readonly Settlement[], additions?: readonly Addition[]): Promise<boolean[]>;

  /** `finish` with one settlement. */
  settle(reservation: Reservation, actual: number): Promise<boolean>;

  /** `admit` with one take check: counts `amount` if `used + amount ≤ limit`. */
  take(key: string, amount: number, limit: number, window: WindowNode): Promise<CheckResult>;

  /** `finish` with one addition: counts `amount` with no check. */
  add(key: string, amount: number, window: WindowNode): Promise<void>;

  /** A consistent snapshot of several counters in their current windows, in order (for the StateView `decide` reads). */
  read(counters: readonly CounterRef[]): Promise<CounterValue[]>;

  /** Every counter with something spent or reserved in its current window (for `GET /admin/budgets`), sorted by key. */
  list(): Promise<CounterEntry[]>;

  /**
   * Housekeeping, safe to run any time from any process: deletes expired
   * reservations and buckets whose windows have passed.
   * Counting never depends on it (expiry is applied when read). Resolves
   * with the number of expired reservations this sweep released (ones an
   * earlier read or write already released are not counted again).
   */
  sweep(now?: number): Promise<number>;

  /**
   * Shared target health (health.ts): applies `owner`'s news in order, in
   * one atomic step on the store's clock, and resolves with every record.
   */
  shareHealth(owner: string, news: readonly HealthNews[]): Promise<SharedHealth[]>;

  /** Releases the connection or file; further calls reject. */
  close(): Promise<void>;
}

/** Options every implementation takes. */
export interface StoreOptions {
  clock: Clock;
}
