/**
 * The time facts (`hour`, `weekday`, `date`) of one instant in one zone,
 * read with `Intl` (no time-zone data of our own). A formatter is costly to
 * build and cheap to use, so one is kept per zone (a policy has one zone);
 * a request reads its local time only when a condition reads a time fact
 * (facts.ts computes it on first read).
 *
 * On a daylight-saving switch day the local hour is what a wall clock in
 * the zone shows: in Europe/Berlin on 2026-03-29, 01:59:59 UTC+1 is
 * followed by 03:00 UTC+2, so `hour` is never 2 that day; on 2026-10-25 the
 * hour from 02:00 to 02:59 happens twice (`hour == 2` holds for two real
 * hours).
 */
import { WEEKDAYS, type Weekday } from "../../compiler/time.js";

export interface LocalTime {
  /** 0–23, as a 24-hour wall clock shows it. */
  readonly hour: number;
  readonly weekday: Weekday;
  /** `YYYY-MM-DD`. */
  readonly date: string;
}

/** A zone's formatter and the local time of the quarter hour it read last. */
interface ZoneReader {
  readonly format: Intl.DateTimeFormat;
  quarter: number;
  last: LocalTime | undefined;
}

const readers = new Map<string, ZoneReader>();

// Every zone's offset and every switch of it fall on a quarter hour (UTC+5:45 and +8:45 are the finest), so
// the hour, weekday and date are the same for every instant of one UTC quarter hour: formatting once per
// quarter hour serves every request in it.
const QUARTER_MS = 15 * 60_000;

function reader(zone: string): ZoneReader {
  let r = readers.get(zone);
  if (r === undefined) {
    const format = new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23", weekday: "short", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit" });
    r = { format, quarter: NaN, last: undefined };
    readers.set(zone, r);
  }
  return r;
}

const DAY_BY_SHORT: Readonly<Record<string, Weekday>> = { Mon: "mon", Tue: "tue", Wed: "wed", Thu: "thu", Fri: "fri", Sat: "sat", Sun: "sun" };

/** The wall-clock hour, weekday and date of `ms` (since the epoch) in `zone` (an IANA name the compiler checked). */
export function localTime(ms: number, zone: string): LocalTime {
  const r = reader(zone);
  const quarter = Math.floor(ms / QUARTER_MS);
  if (quarter === r.quarter && r.last !== undefined) return r.last;
  r.last = format(r.format, ms);
  r.quarter = quarter;
  return r.last;
}

function format(f: Intl.DateTimeFormat, ms: number): LocalTime {
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
