/**
 * Window arithmetic shared by every store: which buckets a counter's current
 * window covers, which bucket a write goes to, and when a bucket stops
 * counting. Pure and allocation-light; the stores only differ in where the
 * buckets live.
 *
 * A counter is a set of buckets, each identified by an integer within a
 * window *tag* (`minute`, `hour`, `day`, `month`, or `r<ms>` for a rolling
 * window), so a policy that changes a budget from `per day` to `per hour`
 * starts new buckets instead of misreading old ones.
 *
 * - **Calendar** windows (aligned in UTC): one bucket per window, identified
 *   by its start in epoch milliseconds. The window at `now` is that single
 *   bucket; it resets at the next start.
 * - **Rolling** windows of length L: sub-buckets of `step = ceil(L / 60)` ms
 *   (bucket j covers `[j·step, (j+1)·step)`). The window at `now` sums every
 *   sub-bucket that overlaps `(now − L, now]`, i.e. `j` from
 *   `floor((now − L) / step)` to `floor(now / step)`. Because the oldest
 *   sub-bucket is counted whole, the window remembers between L and
 *   L + step of history: it is conservative. Consequence (the guarantee): an
 *   admission at `now` has checked everything admitted in the last L, so in
 *   ANY interval of length L the amount admitted is at most the limit, just
 *   as for a calendar window. The cost: spend is forgotten up to `step`
 *   (1/60 of the window) later than an exact sliding log would forget it.
 */
import type { WindowNode } from "../../compiler/graph.js";

/** Sub-buckets per rolling window: 1 s granularity for `per 1m`, 1 min for `per 1h`, 24 min for `per 24h`. */
export const ROLLING_SLOTS = 60;

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** A window, resolved once: its tag and, for rolling windows, its length and sub-bucket step. */
export interface WindowInfo {
  readonly window: WindowNode;
  /** `minute`, `hour`, `day`, `month` or `r<ms>`: part of every bucket's identity. */
  readonly tag: string;
  /** Rolling window length in ms; 0 for calendar windows. */
  readonly lengthMs: number;
  /** Rolling sub-bucket length in ms; 0 for calendar windows. */
  readonly stepMs: number;
}

/** The buckets a window covers at one instant. */
export interface Span {
  /** Lowest bucket counted (equal to `cur` for calendar windows). */
  readonly lo: number;
  /** The bucket a write at this instant goes to. */
  readonly cur: number;
  /** When `cur` stops counting: the reset time when nothing older is counted. */
  readonly curDropAt: number;
}

const infos = new WeakMap<WindowNode, WindowInfo>();

/** Resolves a window (cached per node: graph nodes are immutable and long-lived). */
export function windowInfo(window: WindowNode): WindowInfo {
  let info = infos.get(window);
  if (info === undefined) {
    info = resolve(window);
    infos.set(window, info);
  }
  return info;
}

function resolve(window: WindowNode): WindowInfo {
  if (window.kind === "calendar") return { window, tag: window.unit, lengthMs: 0, stepMs: 0 };
  if (!(window.ms > 0) || !Number.isFinite(window.ms)) throw new RangeError(`rolling window must be a positive duration, got ${window.ms}`);
  const lengthMs = Math.max(1, Math.round(window.ms));
  return { window, tag: `r${lengthMs}`, lengthMs, stepMs: Math.max(1, Math.ceil(lengthMs / ROLLING_SLOTS)) };
}

/** The window a tag names (the inverse of {@link WindowInfo.tag}), or undefined for a tag no store writes. */
export function windowOfTag(tag: string): WindowNode | undefined {
  if (tag === "minute" || tag === "hour" || tag === "day" || tag === "month") return { kind: "calendar", unit: tag };
  if (/^r[1-9]\d*$/.test(tag)) return { kind: "rolling", ms: Number(tag.slice(1)) };
  return undefined;
}

/** The buckets counted at `now`. */
export function spanAt(info: WindowInfo, now: number): Span {
  if (info.stepMs === 0) {
    const start = calendarStart(info.tag, now);
    return { lo: start, cur: start, curDropAt: calendarEnd(info.tag, start) };
  }
  const cur = Math.floor(now / info.stepMs);
  return { lo: Math.floor((now - info.lengthMs) / info.stepMs), cur, curDropAt: (cur + 1) * info.stepMs + info.lengthMs };
}

/** When bucket `b` stops counting: the end of its calendar window, or for a rolling window the first instant it no longer overlaps the last L. */
export function dropAt(info: WindowInfo, b: number): number {
  return info.stepMs === 0 ? calendarEnd(info.tag, b) : (b + 1) * info.stepMs + info.lengthMs;
}

/**
 * The reset time reported with a counter: when its oldest counted non-empty
 * bucket stops counting (for a calendar window, the window's end). For a
 * rolling window this is the earliest instant the total can go down, which
 * is what `Retry-After` should say.
 */
export function resetAt(info: WindowInfo, span: Span, oldestNonEmpty: number | null | undefined): number {
  if (info.stepMs === 0 || oldestNonEmpty === null || oldestNonEmpty === undefined) return span.curDropAt;
  return dropAt(info, oldestNonEmpty);
}

function calendarStart(unit: string, t: number): number {
  switch (unit) {
    case "minute":
      return Math.floor(t / MINUTE) * MINUTE;
    case "hour":
      return Math.floor(t / HOUR) * HOUR;
    case "day":
      return Math.floor(t / DAY) * DAY;
    default: {
      const d = new Date(t);
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    }
  }
}

function calendarEnd(unit: string, start: number): number {
  switch (unit) {
    case "minute":
      return start + MINUTE;
    case "hour":
      return start + HOUR;
    case "day":
      return start + DAY;
    default: {
      const d = new Date(start);
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    }
  }
}
