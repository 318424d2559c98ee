/**
 * bench/load/frames: streamed requests read frame by frame (bench/sse-frames.ts),
 * for the stream cells of issue 20, run in the load child:
 *
 * - {@link framesAtOneConnection}: one stream at a time on one connection for
 *   a while: time to first byte, time to first token (the first event that
 *   carries text, not the first byte of the headers) and the gaps between
 *   paced frames, with every stream checked for every frame in order.
 * - {@link concurrentFrames}: `count` streams opened at once, each on its own
 *   connection, each checked for every frame in order and for ending within a
 *   deadline; the orchestrator samples the gateway's RSS meanwhile.
 */
import { Pool, type Dispatcher } from "undici";
import { checkFrames, FIRST_TOKEN_FRAME, frameGaps, frameOf, FRAMES, gapStats, SseSplitter, type FrameCheck, type GapStats } from "../sse-frames.js";
import { percentiles, type Percentiles } from "../stats.js";
import { prepare, type Prepared, type RequestSpec } from "./request.js";

/** One stream as the client saw it; times in ms from its send. */
export interface FramedOutcome {
  /** When it was sent (`performance.now()`). */
  sentAt: number;
  status: number;
  /** First body byte, first token frame, end; NaN when it did not happen. */
  ttfbMs: number;
  ttftMs: number;
  endMs: number;
  /** Arrival time of each frame (index = frame number), NaN if never received. */
  frameTimes: Float64Array;
  check: FrameCheck;
  error?: string;
}

/** Sends one streamed request and reads its frames; never rejects. */
export function sendFramed(pool: Pool, req: Prepared): Promise<FramedOutcome> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const splitter = new SseSplitter();
    const frameTimes = new Float64Array(FRAMES).fill(NaN);
    const seen: number[] = [];
    let status = 0;
    let ttfb = NaN;
    let ttft = NaN;
    const finish = (error?: string): void => {
      const check = checkFrames(seen);
      const ok = status === 200 && error === undefined && check.ok && splitter.pending() === 0;
      const why = error ?? (status !== 200 ? `status ${status}` : ok ? undefined : `frames: ${check.missing} missing, ${check.duplicated} duplicated, ${check.outOfOrder} out of order`);
      resolve({ sentAt: t0, status, ttfbMs: ttfb, ttftMs: ttft, endMs: performance.now() - t0, frameTimes, check: ok ? check : { ...check, ok: false }, ...(why ? { error: why } : {}) });
    };
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart: () => undefined,
      onResponseStart(_c, statusCode) {
        status = statusCode;
      },
      onResponseData(_c, chunk) {
        const at = performance.now() - t0;
        if (Number.isNaN(ttfb)) ttfb = at;
        for (const event of splitter.push(chunk)) {
          const f = frameOf(event);
          if (f === undefined) continue;
          seen.push(f);
          if (Number.isNaN(frameTimes[f]!)) frameTimes[f] = at;
          if (f >= FIRST_TOKEN_FRAME && Number.isNaN(ttft)) ttft = at;
        }
      },
      onResponseEnd() {
        finish();
      },
      onResponseError(_c, err) {
        finish(err.message);
      },
    };
    pool.dispatch({ path: req.path, method: "POST", headers: req.headers, body: req.body }, handler);
  });
}

export interface FramesSpec extends RequestSpec {
  seconds: number;
  /** The pace the request asks the mock for, ms (for the gap statistics). */
  paceMs: number;
}

export interface FramesResult {
  streams: number;
  ok: number;
  failed: number;
  ttfbMs: Percentiles;
  ttftMs: Percentiles;
  /** Gaps between paced frames over every successful stream. */
  gaps: GapStats;
  errors: string[];
}

/** Streams one at a time on one connection for `spec.seconds` (at least one stream). */
export async function framesAtOneConnection(spec: FramesSpec): Promise<FramesResult> {
  const req = prepare(spec);
  const pool = new Pool(spec.url, { connections: 1, pipelining: 1 });
  const ttfb: number[] = [];
  const ttft: number[] = [];
  const gaps: number[] = [];
  const errors = new Set<string>();
  let streams = 0;
  let ok = 0;
  const end = performance.now() + spec.seconds * 1000;
  do {
    const o = await sendFramed(pool, req);
    streams++;
    if (o.error === undefined) {
      ok++;
      ttfb.push(o.ttfbMs);
      ttft.push(o.ttftMs);
      for (const g of frameGaps(o.frameTimes)) gaps.push(g);
    } else if (errors.size < 5) errors.add(o.error);
  } while (performance.now() < end);
  await pool.destroy();
  return { streams, ok, failed: streams - ok, ttfbMs: percentiles(ttfb), ttftMs: percentiles(ttft), gaps: gapStats(gaps, spec.paceMs), errors: [...errors] };
}

export interface ConcurrentFramesSpec extends RequestSpec {
  count: number;
  paceMs: number;
  /**
   * A stream that has not ended this long after its own send counts as
   * failed, ms; the run cuts what is left once the last batch's streams are
   * past it.
   */
  deadlineMs: number;
}

export interface ConcurrentFramesResult {
  count: number;
  /** Streams that received every frame in order and ended with `[DONE]` within the deadline of their send. */
  held: number;
  failed: number;
  /** Time from the first send until every stream had its first byte (or failed), ms. */
  openMs: number;
  /** Slowest complete stream, first send → end, ms. */
  slowestMs: number;
  gaps: GapStats;
  errors: string[];
}

/**
 * Streams opened per {@link OPEN_TICK_MS}: the streams open within a fraction
 * of a second, but no burst exceeds a listen queue (uWebSockets.js listens
 * with a backlog of 512, nginx with 511): a larger burst would measure SYN
 * retransmission (1 s, then 3 s), not the streams.
 */
export const OPEN_BATCH = 200;
export const OPEN_TICK_MS = 50;

/** Opens `spec.count` streams ({@link OPEN_BATCH} every {@link OPEN_TICK_MS}) and checks every frame of each. */
export async function concurrentFrames(spec: ConcurrentFramesSpec): Promise<ConcurrentFramesResult> {
  const req = prepare(spec);
  const pool = new Pool(spec.url, { connections: spec.count, pipelining: 1 });
  const start = performance.now();
  const errors = new Set<string>();
  const gaps: number[] = [];
  let held = 0;
  let lastFirstByte = 0;
  let slowest = 0;
  let timer: NodeJS.Timeout | undefined;
  const lastBatchAt = Math.floor((spec.count - 1) / OPEN_BATCH) * OPEN_TICK_MS;
  const cutAt = lastBatchAt + spec.deadlineMs;
  const deadline = new Promise<"deadline">((r) => (timer = setTimeout(() => r("deadline"), cutAt)));
  let late = 0;
  const all = Promise.all(
    Array.from({ length: spec.count }, async (_, i) => {
      const batch = Math.floor(i / OPEN_BATCH);
      if (batch > 0) await new Promise((r) => setTimeout(r, batch * OPEN_TICK_MS));
      const o = await sendFramed(pool, req);
      if (Number.isFinite(o.ttfbMs)) lastFirstByte = Math.max(lastFirstByte, o.sentAt + o.ttfbMs - start);
      if (o.error !== undefined) {
        if (errors.size < 5) errors.add(o.error);
        return;
      }
      if (o.endMs > spec.deadlineMs) {
        late++;
        return;
      }
      held++;
      slowest = Math.max(slowest, performance.now() - start);
      for (const g of frameGaps(o.frameTimes)) gaps.push(g);
    }),
  );
  const outcome = await Promise.race([all.then(() => "done" as const), deadline]);
  clearTimeout(timer);
  if (late > 0) errors.add(`${late} stream(s) whole but later than ${spec.deadlineMs} ms after their send`);
  if (outcome === "deadline") errors.add(`${spec.count - held - late} stream(s) not complete ${spec.deadlineMs} ms after their send`);
  const heldAtDeadline = held;
  await pool.destroy();
  // Streams cut by destroy settle as failures; none of them counts as held.
  await all;
  return {
    count: spec.count,
    held: heldAtDeadline,
    failed: spec.count - heldAtDeadline,
    openMs: lastFirstByte,
    slowestMs: slowest,
    gaps: gapStats(gaps, spec.paceMs),
    errors: [...errors],
  };
}
