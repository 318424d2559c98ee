/**
 * bench/load/rate-search: the independent board's "highest rate with p99
 * under 1 ms". Doubles the rate from `start` while a probe passes, then
 * bisects between the last rate that passed and the first that failed
 * until they are within `resolution` of each other or `probes` runs are
 * spent: bounded in time, whatever the contender does. Pure: the probe
 * (one open-loop run at a rate) is a parameter.
 */

/** One probe's verdict at a rate. */
export interface Probe {
  rate: number;
  p99Ms: number;
  /** p99 under the bound and no request failed or stayed unanswered. */
  pass: boolean;
}

export interface RateSearch {
  /** The highest rate that passed; undefined if even `start` failed. */
  best: number | undefined;
  tried: Probe[];
}

export interface SearchOptions {
  start: number;
  /** Never probe above this rate. */
  max: number;
  /** At most this many probes. */
  probes: number;
  /** Stop bisecting when (fail − pass) / pass is below this. */
  resolution: number;
}

/** Searches with `probe`; `probe(rate)` runs the contender at `rate` and judges it. */
export async function searchRate(probe: (rate: number) => Promise<Probe>, o: SearchOptions): Promise<RateSearch> {
  const tried: Probe[] = [];
  let pass: number | undefined;
  let fail: number | undefined;
  let rate = o.start;
  while (tried.length < o.probes) {
    const p = await probe(rate);
    tried.push(p);
    if (p.pass) pass = rate;
    else fail = rate;
    if (fail === undefined) {
      if (rate >= o.max) break;
      rate = Math.min(rate * 2, o.max);
      continue;
    }
    if (pass === undefined || (fail - pass) / pass <= o.resolution) break;
    rate = Math.round((pass + fail) / 2);
  }
  return { best: pass, tried };
}
