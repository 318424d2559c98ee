/**
 * The local time behind `hour`, `weekday` and `date` (runtime/engine/local-time.ts):
 * a wall clock in the zone, read once per UTC quarter hour, which must
 * change exactly at the zone's own midnight even for a quarter-hour offset.
 */
import { describe, expect, it } from "vitest";
import { localTime } from "../../runtime/engine/local-time.js";

const at = (iso: string, zone: string) => localTime(Date.parse(iso), zone);

describe("localTime", () => {
  it("turns the day at the zone's midnight, for a +5:45 zone read one second apart", () => {
    expect(at("2026-12-07T18:14:59Z", "Asia/Kathmandu")).toEqual({ hour: 23, weekday: "mon", date: "2026-12-07" });
    expect(at("2026-12-07T18:15:00Z", "Asia/Kathmandu")).toEqual({ hour: 0, weekday: "tue", date: "2026-12-08" });
    expect(at("2026-12-07T18:14:59Z", "Asia/Kathmandu")).toEqual({ hour: 23, weekday: "mon", date: "2026-12-07" });
  });

  it("follows daylight saving: Berlin skips 02:00 in spring and repeats it in autumn", () => {
    expect(at("2026-03-29T00:59:59Z", "Europe/Berlin").hour).toBe(1);
    expect(at("2026-03-29T01:00:00Z", "Europe/Berlin").hour).toBe(3);
    expect(at("2026-10-25T00:30:00Z", "Europe/Berlin").hour).toBe(2);
    expect(at("2026-10-25T01:30:00Z", "Europe/Berlin").hour).toBe(2);
    expect(at("2026-10-25T02:00:00Z", "Europe/Berlin").hour).toBe(3);
  });

  it("keeps zones apart: the same instant in UTC, New York and Tokyo", () => {
    const t = "2026-12-06T02:00:00Z";
    expect(at(t, "UTC")).toEqual({ hour: 2, weekday: "sun", date: "2026-12-06" });
    expect(at(t, "America/New_York")).toEqual({ hour: 21, weekday: "sat", date: "2026-12-05" });
    expect(at(t, "Asia/Tokyo")).toEqual({ hour: 11, weekday: "sun", date: "2026-12-06" });
  });
});
