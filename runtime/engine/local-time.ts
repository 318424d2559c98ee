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
import { wallClock, type WallClock } from "../../compiler/time.js";

/** The time facts of one request. */
export type LocalTime = WallClock;

/** A zone's last quarter hour read and its local time. */
interface ZoneMemo {
  quarter: number;
  last: LocalTime;
}

const memos = new Map<string, ZoneMemo>();

// Every zone's offset and every switch of it fall on a quarter hour (UTC+5:45 and +8:45 are the finest), so
// the hour, weekday and date are the same for every instant of one UTC quarter hour: formatting once per
// quarter hour serves every request in it.
const QUARTER_MS = 15 * 60_000;

/** The wall-clock hour, weekday and date of `ms` (since the epoch) in `zone` (an IANA name the compiler checked). */
export function localTime(ms: number, zone: string): LocalTime {
  const quarter = Math.floor(ms / QUARTER_MS);
  const m = memos.get(zone);
  if (m !== undefined && m.quarter === quarter) return m.last;
  const last = wallClock(ms, zone);
  memos.set(zone, { quarter, last });
  return last;
}
