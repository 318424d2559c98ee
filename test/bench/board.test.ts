import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FrameClock } from "../../bench/load/frames.js";
import { searchRate, type Probe } from "../../bench/load/rate-search.js";
import { sseEvents, STREAM_CHUNKS } from "../../bench/mock-upstream.js";

describe("FrameClock", () => {
  it("counts the mock's content frames however the reads cut them, and times the first and the gaps", () => {
    const bytes = Buffer.from(sseEvents().join(""));
    fc.assert(
      fc.property(fc.array(fc.nat(bytes.length), { maxLength: 20 }), (raw) => {
        const cuts = [...new Set(raw)].sort((a, b) => a - b);
        const clock = new FrameClock();
        let from = 0;
        [...cuts, bytes.length].forEach((at, i) => {
          clock.onData(bytes.subarray(from, at), 10 + i);
          from = at;
        });
        expect(clock.frames).toBe(STREAM_CHUNKS);
        expect(clock.gaps).toHaveLength(STREAM_CHUNKS - 1);
        // The reads' times only grow: the gaps sum to the last frame's time minus the first's.
        expect(clock.gaps.every((g) => g >= 0)).toBe(true);
        expect(clock.firstAt).toBeGreaterThanOrEqual(10);
      }),
      { numRuns: 200 },
    );
  });

  it("does not count the usage event, [DONE], comments or a frame cut short", () => {
    const clock = new FrameClock();
    clock.onData(Buffer.from(': ping\n\ndata: {"choices":[],"usage":{"prompt_tokens":1}}\n\ndata: [DONE]\n\ndata: {"choices":[{"delta":{}}'), 1);
    expect(clock.frames).toBe(0);
    expect(clock.firstAt).toBe(0);
  });
});

/** A contender whose p99 grows with the rate and passes the bound below `limit`. */
const contender =
  (limit: number) =>
  async (rate: number): Promise<Probe> => ({ rate, p99Ms: rate / limit, pass: rate < limit });

describe("searchRate", () => {
  it("finds the limit within its resolution, never above it, in a bounded number of probes", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 150, max: 90_000 }), async (limit) => {
        const r = await searchRate(contender(limit), { start: 100, max: 100_000, probes: 24, resolution: 0.05 });
        expect(r.tried.length).toBeLessThanOrEqual(24);
        expect(r.best).toBeDefined();
        expect(r.best!).toBeLessThan(limit);
        const failed = r.tried.filter((p) => !p.pass).map((p) => p.rate);
        // Bisection ran to the resolution: the first failure above best is within 5% of it.
        expect((Math.min(...failed) - r.best!) / r.best!).toBeLessThanOrEqual(0.05);
      }),
      { numRuns: 100 },
    );
  });

  it("stops at the cap when nothing fails, and reports no rate when the first probe fails", async () => {
    const easy = await searchRate(contender(1e9), { start: 100, max: 1_000, probes: 10, resolution: 0.1 });
    expect(easy.best).toBe(1_000);
    expect(easy.tried.map((p) => p.rate)).toEqual([100, 200, 400, 800, 1_000]);
    const hard = await searchRate(contender(50), { start: 100, max: 1_000, probes: 10, resolution: 0.1 });
    expect(hard).toEqual({ best: undefined, tried: [{ rate: 100, p99Ms: 2, pass: false }] });
  });

  it("spends no more probes than allowed", async () => {
    const r = await searchRate(contender(777), { start: 1, max: 1e6, probes: 4, resolution: 0.0001 });
    expect(r.tried).toHaveLength(4);
  });
});
