import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { WindowNode } from "../../compiler/graph.js";
import { dropAt, resetAt, ROLLING_SLOTS, spanAt, windowInfo, windowOfTag } from "../../runtime/state/window.js";

const cal = (unit: "minute" | "hour" | "day" | "month"): WindowNode => ({ kind: "calendar", unit });

describe("calendar windows", () => {
  it("align in UTC and name the bucket by its start", () => {
    const t = Date.UTC(2025, 6, 4, 13, 45, 30, 250);
    expect(spanAt(windowInfo(cal("minute")), t)).toEqual({ lo: Date.UTC(2025, 6, 4, 13, 45), cur: Date.UTC(2025, 6, 4, 13, 45), curDropAt: Date.UTC(2025, 6, 4, 13, 46) });
    expect(spanAt(windowInfo(cal("hour")), t).curDropAt).toBe(Date.UTC(2025, 6, 4, 14));
    expect(spanAt(windowInfo(cal("day")), t)).toMatchObject({ cur: Date.UTC(2025, 6, 4), curDropAt: Date.UTC(2025, 6, 5) });
    expect(spanAt(windowInfo(cal("month")), t)).toMatchObject({ cur: Date.UTC(2025, 6, 1), curDropAt: Date.UTC(2025, 7, 1) });
  });

  it("handle months of every length and the turn of the year", () => {
    const month = windowInfo(cal("month"));
    expect(spanAt(month, Date.UTC(2024, 1, 29, 23, 59)).curDropAt).toBe(Date.UTC(2024, 2, 1));
    expect(spanAt(month, Date.UTC(2025, 11, 31, 23, 59, 59, 999))).toMatchObject({ cur: Date.UTC(2025, 11, 1), curDropAt: Date.UTC(2026, 0, 1) });
    expect(spanAt(month, Date.UTC(2026, 0, 1)).cur).toBe(Date.UTC(2026, 0, 1));
    expect(dropAt(month, Date.UTC(2025, 1, 1))).toBe(Date.UTC(2025, 2, 1));
  });

  it("contain the instant they are computed for", () => {
    fc.assert(
      fc.property(fc.constantFrom(cal("minute"), cal("hour"), cal("day"), cal("month")), fc.integer({ min: 0, max: 4_102_444_800_000 }), (w, t) => {
        const s = spanAt(windowInfo(w), t);
        expect(s.lo).toBe(s.cur);
        expect(s.cur).toBeLessThanOrEqual(t);
        expect(s.curDropAt).toBeGreaterThan(t);
        expect(spanAt(windowInfo(w), s.curDropAt).cur).toBe(s.curDropAt);
      }),
    );
  });
});

describe("rolling windows", () => {
  it("use sub-buckets of a sixtieth of the window", () => {
    expect(windowInfo({ kind: "rolling", ms: 3_600_000 })).toMatchObject({ tag: "r3600000", lengthMs: 3_600_000, stepMs: 60_000 });
    expect(windowInfo({ kind: "rolling", ms: 90 })).toMatchObject({ stepMs: 2 });
    expect(windowInfo({ kind: "rolling", ms: 1 })).toMatchObject({ stepMs: 1 });
    expect(ROLLING_SLOTS).toBe(60);
  });

  it("count every sub-bucket that overlaps the last L, and nothing older than L + step", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000_000 }), fc.integer({ min: 0, max: 4_102_444_800_000 }), (ms, now) => {
        const info = windowInfo({ kind: "rolling", ms });
        const { lo, cur } = spanAt(info, now);
        const g = info.stepMs;
        expect(cur).toBe(Math.floor(now / g));
        // Bucket `lo` holds the instant now − L, so everything in (now − L, now] is counted...
        expect(lo * g).toBeLessThanOrEqual(now - ms);
        expect((lo + 1) * g).toBeGreaterThan(now - ms);
        // ...and it stops counting exactly when it no longer overlaps the last L.
        expect(dropAt(info, lo)).toBeGreaterThan(now);
        expect(spanAt(info, dropAt(info, lo)).lo).toBe(lo + 1);
        expect(cur - lo).toBeLessThanOrEqual(ROLLING_SLOTS + 1);
      }),
    );
  });

  it("reset when the oldest counted spend stops counting", () => {
    const info = windowInfo({ kind: "rolling", ms: 60_000 });
    const span = spanAt(info, 100_500);
    expect(resetAt(info, span, 90)).toBe(91_000 + 60_000);
    expect(resetAt(info, span, undefined)).toBe(span.curDropAt);
  });

  it("refuse a window that is not a positive duration", () => {
    expect(() => windowInfo({ kind: "rolling", ms: 0 })).toThrow(RangeError);
    expect(() => windowInfo({ kind: "rolling", ms: Number.NaN })).toThrow(RangeError);
  });
});

describe("window tags", () => {
  it("name a window and give it back", () => {
    for (const w of [cal("minute"), cal("hour"), cal("day"), cal("month"), { kind: "rolling", ms: 86_400_000 } as WindowNode]) {
      expect(windowOfTag(windowInfo(w).tag)).toEqual(w);
    }
    expect(windowOfTag("week")).toBeUndefined();
    expect(windowOfTag("r0")).toBeUndefined();
  });
});
