/**
 * bench/rate-search: the bounded search for the highest rate that meets a
 * latency bound (issue 20's "highest rate with p99 under 1 ms"), driven by
 * fake probes: it brackets by doubling or halving, bisects to the asked
 * precision, never exceeds its probe budget or its floor and cap, and
 * reports only rates that passed, even when the edge is noisy.
 */
import { describe, expect, it } from "vitest";
import { searchRate, type Probe, type RateSearchOptions } from "../../bench/rate-search.js";

const OPTS: RateSearchOptions = { start: 2_000, floor: 250, cap: 32_000, precision: 1.1, maxProbes: 12 };

/** A contender that meets the bound up to `edge` req/s. */
const edgeAt = (edge: number) => async (rate: number): Promise<Probe> => ({ rate, pass: rate <= edge, p99Ms: rate <= edge ? 0.5 : 3 });

describe("searchRate", () => {
  it("finds an edge above the start within the precision, probing only rates inside the bracket", async () => {
    const r = await searchRate(OPTS, edgeAt(11_000));
    expect(r.best).toBeDefined();
    expect(r.best!).toBeLessThanOrEqual(11_000);
    expect(11_000 / r.best!).toBeLessThan(OPTS.precision * 1.01);
    expect(r.capped).toBe(false);
    expect(r.probes.slice(0, 4).map((p) => p.rate)).toEqual([2_000, 4_000, 8_000, 16_000]);
    expect(r.probes.every((p) => p.rate >= OPTS.floor && p.rate <= OPTS.cap)).toBe(true);
  });

  it("walks down from a failing start", async () => {
    const r = await searchRate(OPTS, edgeAt(600));
    expect(r.probes.slice(0, 3).map((p) => p.rate)).toEqual([2_000, 1_000, 500]);
    expect(r.best!).toBeLessThanOrEqual(600);
    expect(600 / r.best!).toBeLessThan(OPTS.precision * 1.01);
  });

  it("reports no rate when even the floor fails, and stops there", async () => {
    const r = await searchRate(OPTS, edgeAt(100));
    expect(r.best).toBeUndefined();
    expect(r.probes.map((p) => p.rate)).toEqual([2_000, 1_000, 500, 250]);
  });

  it("stops at the cap and says the edge may be higher", async () => {
    const r = await searchRate(OPTS, edgeAt(1e9));
    expect(r.best).toBe(OPTS.cap);
    expect(r.capped).toBe(true);
    expect(r.probes.at(-1)!.rate).toBe(OPTS.cap);
  });

  it("never makes more probes than its budget", async () => {
    for (const maxProbes of [1, 2, 3, 5]) {
      let calls = 0;
      const r = await searchRate({ ...OPTS, maxProbes }, async (rate) => {
        calls++;
        return edgeAt(11_000)(rate);
      });
      expect(calls).toBe(r.probes.length);
      expect(calls).toBeLessThanOrEqual(maxProbes);
    }
  });

  it("on a noisy edge reports a rate that passed, never one that failed", async () => {
    // The edge is at 11,000, but the probe at 4,000 failed (a noisy moment): the search brackets 2,000–4,000.
    const noisy = async (rate: number): Promise<Probe> => ({ rate, pass: rate <= 11_000 && rate !== 4_000, p99Ms: 1 });
    const r = await searchRate(OPTS, noisy);
    const passed = new Set(r.probes.filter((p) => p.pass).map((p) => p.rate));
    expect(r.probes.map((p) => p.rate).slice(0, 2)).toEqual([2_000, 4_000]);
    expect(passed.has(r.best!)).toBe(true);
    expect(r.best!).toBeGreaterThanOrEqual(2_000);
    expect(r.best!).toBeLessThan(4_000);
  });

  it("refuses options that cannot bound a search", async () => {
    await expect(searchRate({ ...OPTS, floor: 0 }, edgeAt(1))).rejects.toThrow();
    await expect(searchRate({ ...OPTS, cap: 100 }, edgeAt(1))).rejects.toThrow();
    await expect(searchRate({ ...OPTS, precision: 1 }, edgeAt(1))).rejects.toThrow();
    await expect(searchRate({ ...OPTS, maxProbes: 0 }, edgeAt(1))).rejects.toThrow();
  });
});
