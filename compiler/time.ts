/**
 * The time facts' values (lang/SPEC.md §5, "Time"): the gateway's
 * `timezone` (an IANA name, checked with `Intl`), the `weekday` names, `date`
 * literals (`"2026-12-24"`) and a test request's instant (`at
 * "2026-12-07T09:30:00+01:00"`). Pure: nothing here reads a clock; `Intl`
 * only answers whether it knows a zone.
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
