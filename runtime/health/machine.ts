/**
 * One target's health under one `health` policy: a circuit breaker as a
 * small state machine over a mutable record, the clock passed in. The
 * server's tracker (tracker.ts) keeps one record per (policy, target) and
 * feeds it every try's outcome; the policy tests build the same records from
 * their `given`s on a virtual clock, so `aigw check` and the server judge a
 * target by the same code.
 *
 * closed ──(consecutive or rate threshold, or a counted 429 + Retry-After)──▶ ejected
 * ejected ──(ejection over)──▶ half-open: one probe at a time is let through
 * half-open ──probe answers──▶ closed     half-open ──probe fails (counted)──▶ ejected, for twice as long
 *
 * - A counted failure is one whose cause matches the policy's `on`; other
 *   failures (a 400) say nothing about the target and count neither way.
 * - The failure rate is measured over `interval` in ten buckets, so a burst
 *   of failures ages out a tenth of the interval at a time.
 * - The n-th ejection in a row lasts `eject × 2^(n−1)`, at most `max_eject`;
 *   the count is forgotten once the target has stayed closed for `max_eject`.
 * - A target that answers while ejected (it was tried last because every
 *   alternative was ejected too) is closed at once: the answer is the proof
 *   a probe would have given.
 */
import type { HealthNode } from "../../compiler/graph.js";
import { HEALTHY, reasonMatches, type EjectCause, type FailureCause, type TargetHealth } from "../engine/index.js";

const BUCKETS = 10;

/** One target's record; only this file changes it. */
export interface HealthRecord {
  consecutive: number;
  /** The last counted failure's cause, as text (`"503"`, `"timeout"`). */
  last: string;
  /** Rate window: per bucket the epoch (time ÷ bucket width) it counts, its tries and its failures. */
  readonly epochs: Float64Array;
  readonly tries: Uint32Array;
  readonly fails: Uint32Array;
  /** Ejections in a row (the doubling); 0 when closed long enough. */
  ejections: number;
  /** Closed (false) or ejected / half-open (true). */
  ejected: boolean;
  /** When the current ejection started and ends. */
  ejectedAt: number;
  until: number;
  cause: EjectCause | undefined;
  /** When closed last (forgets `ejections` after `max_eject`). */
  closedAt: number;
  /** Half-open: the probe is taken until this time (a lost probe cannot block the target for longer). */
  probeUntil: number;
  /**
   * Shared through the state store (shared.ts) and the store answering: the
   * record follows the store's verdict, and half-open lets a probe through
   * only while this instance holds the store's probe lease (`lease`).
   */
  shared: boolean;
  lease: number;
  /** The store's epoch this record last followed. */
  epoch: number;
  /** A request found the ejection over and the probe held elsewhere (or not yet claimed): claim it. */
  wanted: boolean;
}

export function newRecord(): HealthRecord {
  return {
    consecutive: 0,
    last: "",
    epochs: new Float64Array(BUCKETS).fill(-1),
    tries: new Uint32Array(BUCKETS),
    fails: new Uint32Array(BUCKETS),
    ejections: 0,
    ejected: false,
    ejectedAt: 0,
    until: 0,
    cause: undefined,
    closedAt: 0,
    probeUntil: 0,
    shared: false,
    lease: 0,
    epoch: 0,
    wanted: false,
  };
}

/** What one try told the tracker. */
export type TryOutcome = { readonly ok: true } | { readonly ok: false; readonly cause: FailureCause; readonly retryAfterMs?: number };

/** An ejection that just happened (for the metrics and the log). */
export interface Ejection {
  readonly cause: EjectCause;
  readonly forMs: number;
}

/** The target's state now, without taking the probe. `half-open` means the probe is free. */
export function look(rec: HealthRecord, now: number): TargetHealth | "half-open" {
  if (!rec.ejected) return HEALTHY;
  if (now < rec.until) return ejected(rec, now, false);
  if (now < rec.probeUntil) return ejected(rec, now, true);
  // Shared: the instance holding the store's lease probes; the others wait for its verdict.
  if (rec.shared && rec.lease <= now) return ejected(rec, now, true);
  return "half-open";
}

/** Takes the half-open probe for `holdMs` (the request's deadline bounds how long it can be out). */
export function takeProbe(rec: HealthRecord, now: number, holdMs: number): void {
  rec.probeUntil = now + holdMs;
}

/** Gives back a probe that was taken but not sent. */
export function releaseProbe(rec: HealthRecord): void {
  rec.probeUntil = 0;
}

/** Feeds one try's outcome; returns the ejection it caused, if any. */
export function record(rec: HealthRecord, node: HealthNode, outcome: TryOutcome, now: number): Ejection | undefined {
  if (outcome.ok) {
    countTry(rec, node, now, false);
    rec.consecutive = 0;
    if (rec.ejected) close(rec, now);
    return undefined;
  }
  if (!reasonMatches(node.on, outcome.cause)) {
    // Says nothing about the target; a probe that got it is simply given back.
    rec.probeUntil = 0;
    return undefined;
  }
  countTry(rec, node, now, true);
  rec.consecutive++;
  rec.last = String(outcome.cause);
  if (rec.ejected) {
    // A failed probe re-ejects; a failure while still ejected (tried last) changes nothing.
    if (now < rec.until) return undefined;
    return eject(rec, node, now, { kind: "consecutive", count: rec.consecutive, last: rec.last }, outcome);
  }
  if (outcome.cause === 429 && outcome.retryAfterMs !== undefined && outcome.retryAfterMs > 0) {
    return eject(rec, node, now, { kind: "retry-after", ms: outcome.retryAfterMs }, outcome);
  }
  if (node.consecutive > 0 && rec.consecutive >= node.consecutive) {
    return eject(rec, node, now, { kind: "consecutive", count: rec.consecutive, last: rec.last }, outcome);
  }
  if (node.failureRate !== undefined) {
    const { tries, fails } = windowCounts(rec, node, now);
    if (tries >= Math.max(1, node.minimum) && fails * 100 >= node.failureRate * tries) {
      return eject(rec, node, now, { kind: "rate", failures: fails, tries }, outcome);
    }
  }
  return undefined;
}

/** Puts the target in the ejected state now (a test's `given T ejected`). */
export function ejectNow(rec: HealthRecord, node: HealthNode, now: number, cause: EjectCause): Ejection {
  return eject(rec, node, now, cause, undefined);
}

/** How long the next ejection lasts: doubling per ejection in a row, capped, never shorter than a Retry-After within the cap. */
export function ejectionMs(node: HealthNode, ejections: number, retryAfterMs: number | undefined): number {
  const grown = Math.min(node.maxEjectMs, node.ejectMs * 2 ** Math.min(30, Math.max(0, ejections - 1)));
  return retryAfterMs === undefined ? grown : Math.min(node.maxEjectMs, Math.max(grown, retryAfterMs));
}

/** Tries and failures in the rate window now. */
function windowCounts(rec: HealthRecord, node: HealthNode, now: number): { tries: number; fails: number } {
  const width = node.intervalMs / BUCKETS;
  const epoch = Math.floor(now / width);
  let tries = 0;
  let fails = 0;
  for (let i = 0; i < BUCKETS; i++) {
    if (rec.epochs[i]! > epoch - BUCKETS) {
      tries += rec.tries[i]!;
      fails += rec.fails[i]!;
    }
  }
  return { tries, fails };
}

function countTry(rec: HealthRecord, node: HealthNode, now: number, failed: boolean): void {
  const epoch = Math.floor(now / (node.intervalMs / BUCKETS));
  const slot = epoch % BUCKETS;
  if (rec.epochs[slot] !== epoch) {
    rec.epochs[slot] = epoch;
    rec.tries[slot] = 0;
    rec.fails[slot] = 0;
  }
  rec.tries[slot]!++;
  if (failed) rec.fails[slot]!++;
}

function eject(rec: HealthRecord, node: HealthNode, now: number, cause: EjectCause, outcome: TryOutcome | undefined): Ejection {
  if (!rec.ejected && now - rec.closedAt >= node.maxEjectMs) rec.ejections = 0;
  rec.ejections++;
  const retryAfter = outcome !== undefined && !outcome.ok && outcome.cause === 429 ? outcome.retryAfterMs : undefined;
  const forMs = ejectionMs(node, rec.ejections, retryAfter);
  rec.ejected = true;
  rec.ejectedAt = now;
  rec.until = now + forMs;
  rec.cause = cause;
  rec.probeUntil = 0;
  return { cause, forMs };
}

/** What the store says about a shared target (runtime/state/health.ts), as this instance follows it. */
export interface SharedVerdict {
  readonly epoch: number;
  readonly ejected: boolean;
  readonly ejectedAt: number;
  readonly until: number;
  readonly ejections: number;
  readonly cause: EjectCause;
  /** This instance's probe lease: until when it holds it, 0 when it does not. */
  readonly lease: number;
}

/**
 * Follows the store's verdict: an ejection this record has not seen is
 * taken on (keeping a later local end), a close it has not seen closes it.
 * Returns true when that newly ejected the target here.
 */
export function follow(rec: HealthRecord, v: SharedVerdict, now: number): boolean {
  rec.shared = true;
  rec.lease = v.lease;
  if (v.epoch === rec.epoch) return false;
  rec.epoch = v.epoch;
  if (!v.ejected) {
    if (rec.ejected) close(rec, now);
    return false;
  }
  const newly = !rec.ejected;
  if (newly || rec.until < v.until) {
    rec.ejected = true;
    rec.ejectedAt = v.ejectedAt;
    rec.until = v.until;
    rec.cause = v.cause;
    rec.probeUntil = 0;
  }
  rec.ejections = Math.max(rec.ejections, v.ejections);
  return newly;
}

function close(rec: HealthRecord, now: number): void {
  rec.ejected = false;
  rec.until = 0;
  rec.cause = undefined;
  rec.probeUntil = 0;
  rec.closedAt = now;
  // A fresh start: the failures that ejected it must not eject it again by rate.
  rec.epochs.fill(-1);
}

function ejected(rec: HealthRecord, now: number, probing: boolean): TargetHealth {
  return { status: "ejected", agoMs: now - rec.ejectedAt, forMs: Math.max(0, rec.until - now), cause: rec.cause ?? GIVEN, probing };
}

const GIVEN: EjectCause = Object.freeze({ kind: "given" });
