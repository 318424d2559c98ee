/**
 * bench/stats: the few statistics the benches report: percentiles of a
 * sample (nearest rank on the sorted values) and the median.
 */

/** p50, p90 and p99 of a sample, in the sample's unit. */
export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  count: number;
  /** The arithmetic mean; NaN when empty. */
  mean: number;
}

/** The `p`-th percentile (0–100) of ascending `sorted`, by nearest rank; NaN when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]!;
}

/** p50/p90/p99/max of `values` (any order; not modified). */
export function percentiles(values: ArrayLike<number>): Percentiles {
  const sorted = Float64Array.from(values).sort();
  return {
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1]! : NaN,
    count: sorted.length,
    mean: sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : NaN,
  };
}

/** The median of `values`; NaN when empty. */
export function median(values: readonly number[]): number {
  return percentile(Float64Array.from(values).sort(), 50);
}
