/**
 * bench/rate-search: the highest request rate at which a contender still
 * meets a latency bound (issue 20: p99 under 1 ms), found with a bounded
 * number of probes: from a start rate, double while the probe passes (or
 * halve while it fails), then bisect geometrically between the last rate
 * that passed and the first that failed. Pure: the probe (a short open-loop
 * run) is a parameter, so the search is tested without a network.
 *
 * Latency is not monotonic in rate on a noisy machine; the search reports
 * the best rate it saw pass within its bracket, and every probe it made, so
 * a reader sees how clean the edge was.
 */

/** One probe's outcome. */
export interface Probe {
  rate: number;
  pass: boolean;
  /** The latency figure the bound is on (p99, ms), for the report. */
  p99Ms: number;
}

export interface RateSearchOptions {
  /** The first rate probed, req/s. */
  start: number;
  /** Rates are not probed below `floor` or above `cap`. */
  floor: number;
  cap: number;
  /** Stop bisecting when the bracket's high end is within this factor of its low end (e.g. 1.1). */
  precision: number;
  /** The most probes the search may make, whatever the bracket. */
  maxProbes: number;
}

export interface RateSearchResult {
  /** The highest rate that passed, undefined when none did (even the floor failed). */
  best: number | undefined;
  /** The best rate passed at the cap: the real edge is higher than the search may look. */
  capped: boolean;
  probes: Probe[];
}

/** Runs the search; `probe(rate)` measures one rate. */
export async function searchRate(opts: RateSearchOptions, probe: (rate: number) => Promise<Probe>): Promise<RateSearchResult> {
  if (!(opts.floor > 0) || !(opts.cap >= opts.floor) || !(opts.precision > 1) || !(opts.maxProbes >= 1)) throw new Error("searchRate: need 0 < floor ≤ cap, precision > 1, maxProbes ≥ 1");
  const probes: Probe[] = [];
  const clamp = (r: number): number => Math.round(Math.min(opts.cap, Math.max(opts.floor, r)));
  const run = async (rate: number): Promise<boolean> => {
    const p = await probe(rate);
    probes.push(p);
    return p.pass;
  };
  let pass: number | undefined;
  let fail: number | undefined;
  let rate = clamp(opts.start);
  // Bracket: walk up by doubling while passing, down by halving while failing.
  while (probes.length < opts.maxProbes) {
    if (await run(rate)) {
      pass = rate;
      if (fail !== undefined || rate >= opts.cap) break;
      rate = clamp(rate * 2);
    } else {
      fail = rate;
      if (pass !== undefined || rate <= opts.floor) break;
      rate = clamp(rate / 2);
    }
  }
  // Bisect the bracket geometrically (latency edges are found in ratios, not steps).
  while (pass !== undefined && fail !== undefined && fail / pass > opts.precision && probes.length < opts.maxProbes) {
    const mid = clamp(Math.sqrt(pass * fail));
    if (mid <= pass || mid >= fail) break;
    if (await run(mid)) pass = mid;
    else fail = mid;
  }
  return { best: pass, capped: pass !== undefined && pass >= opts.cap, probes };
}
