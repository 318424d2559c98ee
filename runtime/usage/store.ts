/**
 * Where ledger cells are kept: one small interface over the gateway's
 * configured state (memory for tests and `state memory`, a table in the
 * SQLite file, hashes in Redis), passing one conformance suite
 * (test/usage/conformance.ts).
 *
 * `add` merges: a cell already stored for the same minute and dimensions is
 * added to, never replaced, in one atomic step (a SQLite `BEGIN IMMEDIATE`
 * transaction, a Redis `MULTI` of `HINCRBY`s), so several gateways writing
 * one file or one Redis add up, whatever order their flushes land in.
 */
import type { UsageRow } from "./row.js";

export interface UsageStore {
  readonly kind: "memory" | "sqlite" | "redis";
  /** Adds each row's counts to the stored cell of its minute and dimensions; `keepMs` is how long a minute is kept (Redis expires it). */
  add(rows: readonly UsageRow[], keepMs: number): Promise<void>;
  /** The cells with `since ≤ minute < until`, in no particular order. */
  rows(since: number, until: number): Promise<UsageRow[]>;
  /** Deletes the minutes before `before`; resolves with how many cells went. */
  sweep(before: number): Promise<number>;
  close(): Promise<void>;
}
