/**
 * One cell of the usage ledger: what the requests of one minute and one
 * combination of dimensions added up to. Every field is a sum, so cells
 * merge by adding — across flushes, across gateway instances writing one
 * store, and across minutes when a report rolls them up. Latency and
 * overhead are histograms over FIXED log buckets for the same reason: two
 * histograms with the same bounds add bucket by bucket, where two
 * percentiles cannot be combined at all.
 *
 * Buckets: index 0 holds durations ≤ 10 µs; index i > 0 holds
 * (10 µs · 2^((i−1)/2), 10 µs · 2^(i/2)], half a doubling each (a bucket is
 * 41% wide, so a percentile read at its geometric middle is within ~19%);
 * the last bucket, from ~23 min, takes everything longer. Histograms are
 * sparse (bucket index → count): most cells touch a handful of buckets.
 */

/** The number of histogram buckets. */
export const HISTOGRAM_BUCKETS = 56;
const BASE_MS = 0.01;

/** Bucket index → count; absent buckets are 0. */
export type Histogram = Record<number, number>;

/** The sums of one ledger cell. Money is integer micro-dollars, as the budgets count it. */
export interface UsageCounts {
  requests: number;
  /** Requests whose outcome was not `ok`. */
  errors: number;
  inputTokens: number;
  outputTokens: number;
  /** Tokens answered from aigw's response cache (the entry's usage): not sent to a provider, not billed. */
  cachedTokens: number;
  /** Of `inputTokens`, read from and written to the provider's prompt cache (priced at the model's `cache_read` / `cache_write`). */
  cacheReadTokens: number;
  cacheWriteTokens: number;
  costMicros: number;
  /** Requests answered (or failed) by a target after another had failed. */
  fallbacks: number;
  /** Requests that skipped a target ejected by its health policy. */
  skipped: number;
  cacheHits: number;
  /** Guardrail actions: redactions and flags count each guardrail that acted, a block counts once. */
  redacted: number;
  flagged: number;
  blocked: number;
  /** Error kind (`AIGW_UPSTREAM_TIMEOUT`, `rate_limited`, …) → requests. */
  errorKinds: Record<string, number>;
  /** Whole request, arrival to last byte. */
  latency: Histogram;
  /** Time spent in aigw itself (observe/request.ts). */
  overhead: Histogram;
}

/** The numeric fields of {@link UsageCounts}, in a fixed order (tables, CSV, the Redis layout). */
export const SUM_FIELDS = [
  "requests",
  "errors",
  "inputTokens",
  "outputTokens",
  "cachedTokens",
  "costMicros",
  "fallbacks",
  "skipped",
  "cacheHits",
  "redacted",
  "flagged",
  "blocked",
  "cacheReadTokens",
  "cacheWriteTokens",
] as const;
export type SumField = (typeof SUM_FIELDS)[number];

export function emptyCounts(): UsageCounts {
  return {
    requests: 0,
    errors: 0,
    inputTokens: 0,
    outputTokens: 0,
    cachedTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    costMicros: 0,
    fallbacks: 0,
    skipped: 0,
    cacheHits: 0,
    redacted: 0,
    flagged: 0,
    blocked: 0,
    errorKinds: {},
    latency: {},
    overhead: {},
  };
}

/** Adds `from` into `into` (and returns it). */
export function addCounts(into: UsageCounts, from: UsageCounts): UsageCounts {
  // A cell written before a field existed lacks it: 0.
  for (const f of SUM_FIELDS) into[f] += from[f] ?? 0;
  addMap(into.errorKinds, from.errorKinds);
  addMap(into.latency, from.latency);
  addMap(into.overhead, from.overhead);
  return into;
}

function addMap(into: Record<string | number, number>, from: Readonly<Record<string | number, number>>): void {
  for (const k in from) into[k] = (into[k] ?? 0) + from[k]!;
}

/** The bucket of a duration in milliseconds. */
export function bucketOf(ms: number): number {
  if (!(ms > BASE_MS)) return 0;
  return Math.min(HISTOGRAM_BUCKETS - 1, Math.ceil(Math.log2(ms / BASE_MS) * 2));
}

/** The upper bound of bucket `i`, in milliseconds (Infinity for the last). */
export function bucketUpperMs(i: number): number {
  return i >= HISTOGRAM_BUCKETS - 1 ? Infinity : BASE_MS * 2 ** (i / 2);
}

/**
 * The `q` quantile (0–1) of a histogram in milliseconds, read at the
 * geometric middle of the bucket it falls in; undefined when empty.
 */
export function quantileMs(h: Histogram, q: number): number | undefined {
  let total = 0;
  for (const k in h) total += h[k]!;
  if (total === 0) return undefined;
  const rank = Math.max(1, Math.ceil(q * total));
  const indices = Object.keys(h)
    .map(Number)
    .sort((a, b) => a - b);
  let seen = 0;
  for (const i of indices) {
    seen += h[i]!;
    if (seen >= rank) {
      if (i === 0) return BASE_MS;
      const lower = BASE_MS * 2 ** ((i - 1) / 2);
      return i >= HISTOGRAM_BUCKETS - 1 ? lower : lower * Math.SQRT2 ** 0.5;
    }
  }
  return undefined;
}
