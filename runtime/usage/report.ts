/**
 * What `aigw usage` prints and `GET /admin/usage` answers: ledger cells over
 * a time range, rolled up by one dimension (or all together), with a totals
 * row and, when asked, a series by time step. Pure: cells in, report out;
 * money leaves micro-dollars here and is reported in dollars.
 */
import { addCounts, emptyCounts, quantileMs, type Histogram, type UsageCounts } from "./counts.js";
import { DIMENSIONS, type Dimension, type UsageRow } from "./row.js";

export interface UsageQuery {
  /** Epoch ms, inclusive. */
  since: number;
  /** Epoch ms, exclusive. */
  until: number;
  /** Group by this dimension; absent: one group, `total`. */
  by?: Dimension;
  /** Also a series with this step (ms); its buckets are aligned to multiples of the step since the epoch (UTC days for `1d`). */
  stepMs?: number;
}

/** Percentiles of a histogram, in milliseconds. */
export interface Percentiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

/** A group's (or the totals') sums, money in dollars. */
export interface UsageSummary {
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  cost: number;
  fallbacks: number;
  skipped: number;
  cacheHits: number;
  guardrails: { redacted: number; flagged: number; blocked: number };
  errorKinds: Record<string, number>;
  latencyMs: Percentiles;
  overheadMs: Percentiles;
}

/** One point of a series: per group, requests, errors and dollars. */
export interface SeriesPoint {
  start: string;
  groups: Record<string, { requests: number; errors: number; cost: number }>;
}

export interface UsageReport {
  since: string;
  until: string;
  by: Dimension | null;
  /** Sorted by cost, then requests, largest first. */
  groups: (UsageSummary & { key: string })[];
  totals: UsageSummary;
  series?: { stepMs: number; points: SeriesPoint[] };
}

/** The most points a series may have (a step too small for the range is refused). */
export const MAX_POINTS = 2_000;

/** Rolls `rows` up as `q` asks. Rows outside the range are left out. */
export function usageReport(rows: readonly UsageRow[], q: UsageQuery): UsageReport {
  const groups = new Map<string, UsageCounts>();
  const totals = emptyCounts();
  const inRange = rows.filter((r) => r.minute >= q.since && r.minute < q.until);
  for (const r of inRange) {
    const key = q.by === undefined ? "total" : r.dims[q.by];
    addCounts(groups.get(key) ?? setNew(groups, key), r.counts);
    addCounts(totals, r.counts);
  }
  const report: UsageReport = {
    since: new Date(q.since).toISOString(),
    until: new Date(q.until).toISOString(),
    by: q.by ?? null,
    groups: [...groups].map(([key, c]) => ({ key, ...summary(c) })).sort((a, b) => b.cost - a.cost || b.requests - a.requests || (a.key < b.key ? -1 : 1)),
    totals: summary(totals),
  };
  if (q.stepMs !== undefined) report.series = { stepMs: q.stepMs, points: series(inRange, q, q.stepMs) };
  return report;
}

function setNew(groups: Map<string, UsageCounts>, key: string): UsageCounts {
  const c = emptyCounts();
  groups.set(key, c);
  return c;
}

function series(rows: readonly UsageRow[], q: UsageQuery, step: number): SeriesPoint[] {
  const first = Math.floor(q.since / step) * step;
  const n = Math.ceil((q.until - first) / step);
  if (n > MAX_POINTS) throw new RangeError(`a step of ${step} ms gives ${n} points over this range (at most ${MAX_POINTS})`);
  // Micro-dollars while adding up, dollars once at the end.
  const sums: Map<string, { requests: number; errors: number; micros: number }>[] = Array.from({ length: n }, () => new Map());
  for (const r of rows) {
    const at = sums[Math.floor((r.minute - first) / step)]!;
    const key = q.by === undefined ? "total" : r.dims[q.by];
    const g = at.get(key) ?? { requests: 0, errors: 0, micros: 0 };
    g.requests += r.counts.requests;
    g.errors += r.counts.errors;
    g.micros += r.counts.costMicros;
    at.set(key, g);
  }
  return sums.map((m, i) => ({
    start: new Date(first + i * step).toISOString(),
    groups: Object.fromEntries([...m].map(([k, g]) => [k, { requests: g.requests, errors: g.errors, cost: dollars(g.micros) }])),
  }));
}

function summary(c: UsageCounts): UsageSummary {
  return {
    requests: c.requests,
    errors: c.errors,
    inputTokens: c.inputTokens,
    outputTokens: c.outputTokens,
    cachedTokens: c.cachedTokens,
    cost: dollars(c.costMicros),
    fallbacks: c.fallbacks,
    skipped: c.skipped,
    cacheHits: c.cacheHits,
    guardrails: { redacted: c.redacted, flagged: c.flagged, blocked: c.blocked },
    errorKinds: { ...c.errorKinds },
    latencyMs: percentiles(c.latency),
    overheadMs: percentiles(c.overhead),
  };
}

function percentiles(h: Histogram): Percentiles {
  return { p50: round(quantileMs(h, 0.5)), p95: round(quantileMs(h, 0.95)), p99: round(quantileMs(h, 0.99)) };
}

function round(ms: number | undefined): number | null {
  return ms === undefined ? null : Math.round(ms * 1000) / 1000;
}

function dollars(micros: number): number {
  return micros / 1_000_000;
}

const UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `30s`, `15m`, `24h`, `7d`, `2w` in milliseconds; undefined for anything else. */
export function parseSpan(text: string): number | undefined {
  const m = /^(\d+)(s|m|h|d|w)$/.exec(text.trim());
  return m ? Number(m[1]) * UNIT_MS[m[2]!]! : undefined;
}

/**
 * A point in time as `--since`/`--until` (and the endpoint's `since`/`until`)
 * take it: a span back from `now` (`7d`), `now`, or an ISO date or date-time
 * (`2026-12-01`, `2026-12-01T09:00Z`). Undefined when it is none of these.
 */
export function parseTime(text: string, now: number): number | undefined {
  if (text === "now") return now;
  const span = parseSpan(text);
  if (span !== undefined) return now - span;
  if (!/^\d{4}-\d{2}-\d{2}/.test(text)) return undefined;
  const t = Date.parse(text);
  return Number.isNaN(t) ? undefined : t;
}

/** Whether `name` is a dimension a report can group by. */
export function isDimension(name: string): name is Dimension {
  return (DIMENSIONS as readonly string[]).includes(name);
}

/** A `since`, `until`, `by` or `step` that cannot be read; `param` names it. */
export class UsageQueryError extends Error {
  readonly code = "AIGW_USAGE_QUERY";
  constructor(
    readonly param: "since" | "until" | "by" | "step",
    message: string,
  ) {
    super(message);
  }
}

/** The range a report covers when `since` is not given. */
export const DEFAULT_SINCE = "24h";

/**
 * The query `aigw usage`'s flags and `GET /admin/usage`'s parameters say,
 * read the same way for both: `since` (default 24h back) and `until`
 * (default now) as {@link parseTime} takes them, `by` a dimension, `step` a
 * span. Throws {@link UsageQueryError}.
 */
export function parseUsageQuery(p: { since?: string | undefined; until?: string | undefined; by?: string | undefined; step?: string | undefined }, now: number): UsageQuery {
  const since = parseTime(p.since ?? DEFAULT_SINCE, now);
  if (since === undefined) throw new UsageQueryError("since", `since must be a span back from now like 7d, 24h or 30m, or an ISO date, not \`${p.since}\``);
  const until = p.until === undefined ? now : parseTime(p.until, now);
  if (until === undefined) throw new UsageQueryError("until", `until must be \`now\`, a span back from now like 1h, or an ISO date, not \`${p.until}\``);
  if (until <= since) throw new UsageQueryError("until", "until must be after since");
  // A cell is a whole minute: the one `since` falls in counts.
  const q: UsageQuery = { since: Math.floor(since / 60_000) * 60_000, until };
  if (p.by !== undefined) {
    if (!isDimension(p.by)) throw new UsageQueryError("by", `by must be one of ${DIMENSIONS.join(", ")}, not \`${p.by}\``);
    q.by = p.by;
  }
  if (p.step !== undefined) {
    const step = parseSpan(p.step);
    if (step === undefined || step < 60_000) throw new UsageQueryError("step", `step must be a span of a minute or more like 1h or 1d, not \`${p.step}\``);
    if (Math.ceil((until - Math.floor(since / step) * step) / step) > MAX_POINTS) throw new UsageQueryError("step", `step \`${p.step}\` gives more than ${MAX_POINTS} points over this range`);
    q.stepMs = step;
  }
  return q;
}
