/**
 * bench/load/one-connection: the independent board's one-connection cells:
 * requests one after another on one keep-alive connection for a while,
 * each timed (send → last byte); a streamed one also by its frames (time
 * to the first content frame, gaps between frames, frame-clock.ts).
 */
import { Pool } from "undici";
import { percentiles, type Percentiles } from "../stats.js";
import { FrameClock } from "./frames.js";
import { prepare, send, type RequestSpec } from "./request.js";

export interface OneConnectionSpec extends RequestSpec {
  seconds: number;
}

export interface OneConnectionResult {
  requests: number;
  failed: number;
  latencyMs: Percentiles;
  /** Streams: send → first content frame. */
  ttftMs?: Percentiles;
  /** Streams: between consecutive content frames, every stream's gaps together. */
  gapMs?: Percentiles;
}

/** Sends `spec` back to back on one connection for `spec.seconds`. */
export async function oneConnection(spec: OneConnectionSpec): Promise<OneConnectionResult> {
  const req = prepare(spec);
  const pool = new Pool(spec.url, { connections: 1, pipelining: 1 });
  const latency: number[] = [];
  const ttft: number[] = [];
  const gaps: number[] = [];
  let failed = 0;
  const end = performance.now() + spec.seconds * 1000;
  while (performance.now() < end) {
    const clock = spec.stream ? new FrameClock() : undefined;
    const sentAt = performance.now();
    const o = await send(pool, req, undefined, clock && ((chunk, at) => clock.onData(chunk, at)));
    if (!o.ok) {
      failed++;
      continue;
    }
    latency.push(o.endAt - sentAt);
    if (clock !== undefined && clock.frames > 0) {
      ttft.push(clock.firstAt - sentAt);
      for (const g of clock.gaps) gaps.push(g);
    }
  }
  await pool.close();
  const out: OneConnectionResult = { requests: latency.length, failed, latencyMs: percentiles(latency) };
  if (spec.stream) {
    out.ttftMs = percentiles(ttft);
    out.gapMs = percentiles(gaps);
  }
  return out;
}
