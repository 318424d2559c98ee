/**
 * bench/soak/memory: the memory verdict — does the gateway's memory grow
 * without bound?
 *
 * Two series are judged, sampled every 10 s (5 s with `--quick`):
 *
 * - the live heap: `heapUsed` right after a forced full collection (the heap
 *   probe), so garbage does not hide the trend. A JavaScript leak (a map
 *   that is never pruned, a listener per request) shows here first and
 *   cleanly;
 * - RSS (/proc/PID/status): everything else (native buffers, SQLite, the
 *   uWS edge, malloc), noisier, so judged with looser numbers.
 *
 * The samples of the warm-up (the first minute, or a quarter of a shorter
 * run: JIT, pools, the first reload's worker) are left out. Over the rest,
 * the trend is the Theil–Sen slope (the median of the slopes between every
 * pair of samples): unlike a least-squares fit, a few outliers (a GC that
 * happened to run late, a burst of slow requests holding buffers) cannot
 * tilt it. A series FAILS when both
 *
 *   (a) the slope, projected over an hour at this load, exceeds
 *       64 MB (heap) / 128 MB (RSS): a gateway meant to run for weeks cannot
 *       afford that, whatever the cause; and
 *   (b) the growth the slope explains over the judged span exceeds the
 *       noise a healthy gateway shows between samples, 4 MB (heap) /
 *       16 MB (RSS): a short run cannot project a fraction of a megabyte
 *       into a verdict.
 *
 * (b) makes a short run less sensitive rather than flaky: the report prints
 * the smallest steady leak the run could have caught, in bytes per request.
 * At 250 req/s that is about 75 B/request over 10 minutes (where (a)
 * decides) and 370 B/request over the 60 s of `--quick` (where (b) does):
 * one leaked request body, header list or closure per request is caught by
 * either.
 *
 * Independently, RSS must stay bounded outright: its median over the last
 * three samples may not exceed its median over the first three judged ones
 * by more than max(64 MB, 50%).
 *
 * With fewer than four judged samples, or a judged span shorter than
 * 20 s, the verdict is `inconclusive` (it does not fail the run; an
 * 8-second test run is one): over a few seconds the pools and caches that
 * fill during start-up (undici sockets, the allocator's arenas) move RSS by
 * the noise floor itself, and a 16 MB step in 6 s once failed CI.
 */

/** One reading, `t` in seconds since the traffic started. */
export interface MemoryPoint {
  t: number;
  rss?: number;
  heap?: number;
}

/** A series' judgement. */
export interface SeriesVerdict {
  series: "heap" | "rss";
  /** Theil–Sen slope, bytes per second. */
  slope: number;
  /** The slope over an hour, bytes. */
  perHour: number;
  /** The slope over the judged span, bytes. */
  growth: number;
  limitPerHour: number;
  noise: number;
  failed: boolean;
}

/** The memory verdict of a run. */
export interface MemoryVerdict {
  verdict: "pass" | "fail" | "inconclusive";
  /** Seconds left out at the start. */
  warmup: number;
  /** Samples judged. */
  judged: number;
  series: SeriesVerdict[];
  /** The outright RSS bound: first and last medians, bytes. */
  rssFirst?: number;
  rssLast?: number;
  rssBoundFailed: boolean;
  /** The smallest steady leak this run would have failed on, bytes per request (heap; RSS when there is no heap). */
  detectableBytesPerRequest?: number;
  /** One line per reason, empty when it passed. */
  reasons: string[];
}

const MB = 1024 * 1024;
/** Thresholds per series: projected growth per hour, and the noise floor of the growth over the run. */
export const LIMITS = {
  heap: { perHour: 64 * MB, noise: 4 * MB },
  rss: { perHour: 128 * MB, noise: 16 * MB },
} as const;
/** RSS may not exceed its judged start by more than max(this, 50%). */
export const RSS_BOUND = 64 * MB;
/** The shortest judged span a verdict is drawn from, seconds. */
export const MIN_JUDGED_SPAN = 20;

/** The warm-up for a run of `seconds`: a minute, or a quarter of a shorter run. */
export function warmupSeconds(seconds: number): number {
  return Math.min(60, seconds / 4);
}

/** Judges the samples of a run of `seconds` at `requestsPerSecond`. */
export function judgeMemory(points: readonly MemoryPoint[], seconds: number, requestsPerSecond: number): MemoryVerdict {
  const warmup = warmupSeconds(seconds);
  const judged = points.filter((p) => p.t >= warmup);
  const out: MemoryVerdict = { verdict: "inconclusive", warmup, judged: judged.length, series: [], rssBoundFailed: false, reasons: [] };
  if (judged.length < 4) return out;
  const span = judged[judged.length - 1]!.t - judged[0]!.t;
  if (span < MIN_JUDGED_SPAN) return out;
  for (const series of ["heap", "rss"] as const) {
    const xy = judged.filter((p) => p[series] !== undefined).map((p) => [p.t, p[series]!] as const);
    if (xy.length < 4) continue;
    const slope = theilSen(xy);
    const limit = LIMITS[series];
    const v: SeriesVerdict = { series, slope, perHour: slope * 3600, growth: slope * span, limitPerHour: limit.perHour, noise: limit.noise, failed: false };
    v.failed = v.perHour > limit.perHour && v.growth > limit.noise;
    if (v.failed) out.reasons.push(`${series} grows ${mb(v.perHour)} MB/h (limit ${mb(limit.perHour)}), ${mb(v.growth)} MB over the judged ${span.toFixed(0)} s (noise floor ${mb(limit.noise)})`);
    out.series.push(v);
  }
  const rss = judged.filter((p) => p.rss !== undefined).map((p) => p.rss!);
  if (rss.length >= 6) {
    out.rssFirst = median(rss.slice(0, 3));
    out.rssLast = median(rss.slice(-3));
    const bound = out.rssFirst + Math.max(RSS_BOUND, out.rssFirst * 0.5);
    out.rssBoundFailed = out.rssLast > bound;
    if (out.rssBoundFailed) out.reasons.push(`RSS went from ${mb(out.rssFirst)} MB to ${mb(out.rssLast)} MB (bound ${mb(bound)} MB)`);
  }
  const basis = out.series.find((s) => s.series === "heap") ?? out.series.find((s) => s.series === "rss");
  if (basis && span > 0 && requestsPerSecond > 0) {
    // The slope at which (a) and (b) both just hold, spread over the requests of a second.
    out.detectableBytesPerRequest = Math.max(basis.limitPerHour / 3600, basis.noise / span) / requestsPerSecond;
  }
  out.verdict = out.reasons.length > 0 ? "fail" : out.series.length > 0 ? "pass" : "inconclusive";
  return out;
}

/** The Theil–Sen slope: the median of the slopes between every pair of points with distinct x. */
export function theilSen(points: readonly (readonly [number, number])[]): number {
  const slopes: number[] = [];
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) {
      const dx = points[j]![0] - points[i]![0];
      if (dx !== 0) slopes.push((points[j]![1] - points[i]![1]) / dx);
    }
  }
  return slopes.length === 0 ? 0 : median(slopes);
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function mb(bytes: number): string {
  return (bytes / MB).toFixed(1);
}
