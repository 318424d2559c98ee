/**
 * Pieces every store shares: argument checks (amounts are non-negative safe
 * integers; a key appears once per batch) and the result shapes, so the
 * three implementations cannot drift on the contract's edges.
 */
import { StateError } from "./errors.js";
import { DEFAULT_RESERVATION_TTL_MS, type Addition, type Check, type CheckResult, type CounterEntry, type Reservation, type Settlement } from "./store.js";
import { windowInfo, windowOfTag, type WindowInfo } from "./window.js";

/** Throws unless `n` is a non-negative safe integer (micro-dollars, requests or tokens). */
export function checkAmount(what: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new StateError("AIGW_STATE_BAD_ARGUMENT", `${what} must be a non-negative whole number, got ${n}`);
}

/** Validates a batch: amounts, limits and ttls in range, each key once. */
export function checkBatch(checks: readonly Check[]): void {
  for (let i = 0; i < checks.length; i++) {
    const c = checks[i]!;
    checkAmount("amount", c.amount);
    checkAmount("limit", c.limit);
    if (c.kind === "reserve" && c.ttlMs !== undefined && !(c.ttlMs > 0)) {
      throw new StateError("AIGW_STATE_BAD_ARGUMENT", `reservation ttl must be positive, got ${c.ttlMs}`);
    }
    for (let j = 0; j < i; j++) {
      if (checks[j]!.key === c.key) throw new StateError("AIGW_STATE_BAD_ARGUMENT", `key \`${c.key}\` appears twice in one batch`);
    }
  }
}

/** Validates a `finish` call's amounts and reservation windows. */
export function checkFinish(settlements: readonly Settlement[], additions: readonly Addition[]): void {
  for (const s of settlements) {
    checkAmount("actual", s.actual);
    reservationWindow(s.reservation);
  }
  for (const a of additions) checkAmount("amount", a.amount);
}

/** When a reservation made at `now` by `check` lapses. */
export function expiryOf(check: Check, now: number): number {
  return now + (check.kind === "reserve" ? (check.ttlMs ?? DEFAULT_RESERVATION_TTL_MS) : 0);
}

/** Builds one check's result. */
export function checkResult(
  admitted: boolean,
  spent: number,
  reserved: number,
  limit: number,
  resetAt: number,
  reservation?: Reservation,
): CheckResult {
  const remaining = Math.max(0, limit - spent - reserved);
  return reservation === undefined
    ? { admitted, spent, reserved, limit, remaining, resetAt }
    : { admitted, spent, reserved, limit, remaining, resetAt, reservation };
}

/** The rejection every method of a closed store returns. */
export function closedError(): StateError {
  return new StateError("AIGW_STATE_CLOSED", "the state store is closed");
}

const tagInfos = new Map<string, WindowInfo>();

/** The window a reservation was made in, from its tag (resolved once per tag). */
export function reservationWindow(r: Reservation): WindowInfo {
  let info = tagInfos.get(r.tag);
  if (info === undefined) {
    const window = windowOfTag(r.tag);
    if (window === undefined) throw new StateError("AIGW_STATE_BAD_ARGUMENT", `reservation names unknown window \`${r.tag}\``);
    info = windowInfo(window);
    tagInfos.set(r.tag, info);
  }
  return info;
}

/** The order of `Store.list`: by key (UTF-16 order, the same in every store), then window tag. */
export function byKey(a: CounterEntry, b: CounterEntry): number {
  if (a.key !== b.key) return a.key < b.key ? -1 : 1;
  const x = String(a.window.kind === "calendar" ? a.window.unit : a.window.ms);
  const y = String(b.window.kind === "calendar" ? b.window.unit : b.window.ms);
  return x < y ? -1 : x > y ? 1 : 0;
}
