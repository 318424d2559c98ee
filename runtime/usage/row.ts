/**
 * What a ledger cell is keyed by: the minute and the dimensions a report
 * can group on. Every dimension's value comes from the policy or from a
 * fixed list — a team or user from `keys`, a key id (a prefix of the key's
 * hash, never the key), a route, target model and provider by their policy
 * names, the inbound API and the outcome — so the number of cells is
 * bounded by the policy, never by what callers send (a requested model
 * name is not a dimension: the target it was routed to is).
 */
import type { UsageCounts } from "./counts.js";

/** The dimensions, in key order. */
export const DIMENSIONS = ["team", "key", "user", "route", "model", "provider", "api", "outcome"] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/** A cell's dimension values; "" where a request had none (no caller, no route). */
export type UsageDims = Readonly<Record<Dimension, string>>;

/**
 * How a request ended: `ok`; `refused` by a budget or rate limit; `blocked`
 * by a guardrail; `client_error` (any other 4xx: auth, a bad request, no
 * route); `upstream_error` (5xx, or a stream that failed after its 200);
 * `aborted` (the client left).
 */
export const OUTCOMES = ["ok", "refused", "blocked", "client_error", "upstream_error", "aborted"] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** One cell: a minute (epoch ms of its start), its dimensions and its sums. */
export interface UsageRow {
  readonly minute: number;
  readonly dims: UsageDims;
  readonly counts: UsageCounts;
}

export const MINUTE_MS = 60_000;

/** The start of the minute `ms` falls in. */
export function minuteOf(ms: number): number {
  return ms - (((ms % MINUTE_MS) + MINUTE_MS) % MINUTE_MS);
}

const SEP = "\u001f";

/** The dimensions as one string (a store's key); {@link parseDims} reverses it. */
export function dimsKey(d: UsageDims): string {
  return d.team + SEP + d.key + SEP + d.user + SEP + d.route + SEP + d.model + SEP + d.provider + SEP + d.api + SEP + d.outcome;
}

/** The dimensions of a {@link dimsKey} string; undefined when it is not one. */
export function parseDims(key: string): UsageDims | undefined {
  const parts = key.split(SEP);
  if (parts.length !== DIMENSIONS.length) return undefined;
  const out = {} as Record<Dimension, string>;
  DIMENSIONS.forEach((d, i) => (out[d] = parts[i]!));
  return out;
}
