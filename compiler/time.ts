/**
 * The time facts' values (lang/SPEC.md §5, "Time"): the gateway's
 * `timezone` (an IANA name, checked with `Intl`), the `weekday` names, `date`
 * literals (`"2026-12-24"`) and a test request's instant (`at
 * "2026-12-07T09:30:00+01:00"`). Pure: nothing here reads a clock; `Intl`
 * answers whether it knows a zone and what a wall clock in it shows at a
 * given instant.
 */
import type { ValueType } from "./value-types.js";
import { suggest } from "./suggest.js";

/** `weekday`'s values, Monday first (ISO 8601): the condition analysis numbers them 0–6 in this order. */
export const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** The zone used when the gateway names none. */
export const DEFAULT_TIMEZONE = "UTC";

/** Whether `Intl` knows `name` as a time zone (`Europe/Berlin`, `UTC`). */
export function isTimeZone(name: string): boolean {
  if (name === "") return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** The known zone closest to a misspelt one (`Europe/Berlín` → `Europe/Berlin`). */
function nearestZone(name: string): string | undefined {
  const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  return suggest(name, zones);
}

/** `timezone "Europe/Berlin"`: a string naming an IANA time zone; an unknown one is E204. */
export const TIMEZONE: ValueType = {
  expected: 'a time zone like "Europe/Berlin"',
  check(value) {
    if (value.kind !== "string") return { code: "E201" };
    if (isTimeZone(value.value)) return undefined;
    const near = nearestZone(value.value);
    return { code: "E204", detail: `\`${value.value}\` is not a time zone Intl knows (an IANA name such as "Europe/Berlin" or "UTC")`, ...(near ? { help: `did you mean "${near}"?` } : {}) };
  },
};

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

/** Days since 1970-01-01 of a calendar date written `YYYY-MM-DD`; undefined when it is not one (`2026-02-30`). */
export function dayNumber(text: string): number | undefined {
  const m = DATE.exec(text);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return undefined;
  return Math.floor(ms / DAY_MS);
}

/** The date `YYYY-MM-DD` of a day number (the inverse of {@link dayNumber}). */
export function dateOfDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

// An instant with its offset: a test states a moment, never a wall time that depends on where it runs.
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/** Milliseconds since the epoch of `2026-12-07T09:30:00+01:00` (an offset or `Z` required); undefined otherwise. */
export function instantMs(text: string): number | undefined {
  if (!INSTANT.test(text) || dayNumber(text.slice(0, 10)) === undefined) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

/** A test request's `at`: an ISO 8601 instant with its offset. */
export const INSTANT_TYPE: ValueType = {
  expected: 'an instant like "2026-12-07T09:30:00+01:00"',
  check(value) {
    if (value.kind !== "string") return { code: "E201" };
    return instantMs(value.value) !== undefined
      ? undefined
      : { code: "E204", detail: `\`${value.value}\` is not an instant with its offset, like "2026-12-07T09:30:00+01:00" or "2026-12-07T08:30:00Z"` };
  },
};

/** What a wall clock in a zone shows at an instant: the time facts' values. */
export interface WallClock {
  /** 0–23, as a 24-hour clock shows it. */
  readonly hour: number;
  readonly weekday: Weekday;
  /** `YYYY-MM-DD`. */
  readonly date: string;
}

const formats = new Map<string, Intl.DateTimeFormat>();
const DAY_BY_SHORT: Readonly<Record<string, Weekday>> = { Mon: "mon", Tue: "tue", Wed: "wed", Thu: "thu", Fri: "fri", Sat: "sat", Sun: "sun" };

/** The wall clock of `zone` (a zone {@link isTimeZone} knows) at `ms` since the epoch; one formatter per zone, kept. */
export function wallClock(ms: number, zone: string): WallClock {
  let f = formats.get(zone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23", weekday: "short", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit" });
    formats.set(zone, f);
  }
  let hour = 0;
  let weekday: Weekday = WEEKDAYS[0];
  let year = "";
  let month = "";
  let day = "";
  for (const p of f.formatToParts(ms)) {
    if (p.type === "hour") hour = Number(p.value) % 24;
    else if (p.type === "weekday") weekday = DAY_BY_SHORT[p.value] ?? weekday;
    else if (p.type === "year") year = p.value;
    else if (p.type === "month") month = p.value;
    else if (p.type === "day") day = p.value;
  }
  return { hour, weekday, date: `${year.padStart(4, "0")}-${month}-${day}` };
}

/**
 * An instant at which a wall clock in `zone` shows `date` at `hour` (half
 * past), for a witness a test can state with `at`; undefined when there is
 * none (the hour a daylight-saving switch skips).
 */
export function instantAt(date: string, hour: number, zone: string): number | undefined {
  const day = dayNumber(date);
  if (day === undefined) return undefined;
  const guess = day * DAY_MS + hour * 3_600_000 + 1_800_000;
  // The zone's offset at the guess, then at the corrected instant (it may differ across a switch).
  for (const probe of [guess, guess - offsetMs(guess, zone)]) {
    const ms = guess - offsetMs(probe, zone);
    const w = wallClock(ms, zone);
    if (w.date === date && w.hour === hour) return ms;
  }
  return undefined;
}

/** How far the zone's wall clock is ahead of UTC at `ms`, to the hour and day it shows (minutes are kept by the caller's half past). */
function offsetMs(ms: number, zone: string): number {
  const w = wallClock(ms, zone);
  const wall = dayNumber(w.date)! * DAY_MS + w.hour * 3_600_000;
  const utc = Math.floor(ms / 3_600_000) * 3_600_000;
  return wall - utc;
}
