/**
 * bench/load/open-loop: the in-repo load generators, run inside a load
 * child pinned to its own core.
 *
 * - {@link openLoop}: requests sent on a fixed schedule (`rate` per second)
 *   whether or not earlier ones were answered, so a slow reply cannot hold
 *   back the next request (no coordinated omission); each request's latency
 *   and time to first byte are measured from the moment it was handed to
 *   undici, with `performance.now()` (µs precision). How late the generator
 *   itself sent against the schedule is reported too.
 * - {@link closedLoop}: `connections` requests in flight, each followed by
 *   the next as soon as it is answered: the fallback for the throughput
 *   scenarios when wrk is not available.
 */
import { Pool } from "undici";
import { percentiles, type Percentiles } from "../stats.js";
import { prepare, send, type Outcome, type RequestSpec } from "./request.js";

export interface OpenLoopSpec extends RequestSpec {
  /** Requests per second. */
  rate: number;
  seconds: number;
  /** Connections the generator may open (requests beyond them queue in the client, and that wait counts). */
  connections: number;
  /** How long to wait for stragglers after the last send before counting them as failed, ms. */
  drainMs?: number;
  /**
   * Stop sending once this many requests are unanswered: the contender is
   * saturated and further sends only grow its backlog (and the run's
   * length). Default: no limit.
   */
  maxInFlight?: number;
}

export interface OpenLoopResult {
  sent: number;
  ok: number;
  failed: number;
  /** Send window, s. */
  seconds: number;
  /** Successful replies per second of the send window. */
  answeredRate: number;
  /** Request sent → last byte, ms, successful requests only. */
  latencyMs: Percentiles;
  /** Request sent → first body byte, ms, successful requests only. */
  ttfbMs: Percentiles;
  /** How late the generator sent against its schedule, ms (its own timer jitter). */
  lagMs: Percentiles;
  /** The generator's own CPU time over the run, µs. */
  cpuUs: number;
  /** Requests still unanswered when the last one was sent: about rate × latency below saturation, a growing backlog above it. */
  inFlightAtEnd: number;
  /** Sending stopped early because {@link OpenLoopSpec.maxInFlight} requests were unanswered. */
  stoppedEarly: boolean;
  /** A few distinct failure reasons, for the report. */
  errors: string[];
}

/** Sends `spec.rate` requests per second for `spec.seconds`, then waits for the replies. */
export async function openLoop(spec: OpenLoopSpec): Promise<OpenLoopResult> {
  const req = prepare(spec);
  const pool = new Pool(spec.url, { connections: spec.connections, pipelining: 1 });
  const expected = Math.ceil(spec.rate * spec.seconds) + 16;
  const latency: number[] = [];
  const ttfb: number[] = [];
  const lag = new Float64Array(expected);
  const errors = new Set<string>();
  let sent = 0;
  let ok = 0;
  let failed = 0;
  let outstanding = 0;
  let drained: (() => void) | undefined;
  const settle = (t0: number, o: Outcome): void => {
    outstanding--;
    if (o.ok) {
      ok++;
      latency.push(o.endAt - t0);
      ttfb.push(o.firstByteAt - t0);
    } else {
      failed++;
      if (errors.size < 5 && o.error) errors.add(o.error);
    }
    if (outstanding === 0) drained?.();
  };
  const interval = 1000 / spec.rate;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const end = start + spec.seconds * 1000;
  const maxInFlight = spec.maxInFlight ?? Infinity;
  let stoppedEarly = false;
  for (let now = start; now < end; now = performance.now()) {
    if (outstanding > maxInFlight) {
      stoppedEarly = true;
      break;
    }
    const due = Math.min(expected, Math.floor((now - start) / interval) + 1);
    while (sent < due) {
      const t0 = performance.now();
      lag[sent] = t0 - (start + sent * interval);
      sent++;
      outstanding++;
      void send(pool, req).then((o) => settle(t0, o));
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  const window = (performance.now() - start) / 1000;
  const inFlightAtEnd = outstanding;
  if (outstanding > 0) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([new Promise<void>((r) => (drained = r)), new Promise<void>((r) => (timer = setTimeout(r, spec.drainMs ?? 10_000)))]);
    clearTimeout(timer);
  }
  if (outstanding > 0) {
    failed += outstanding;
    errors.add(`${outstanding} request(s) unanswered ${spec.drainMs ?? 10_000} ms after the last send`);
  }
  const cpu = process.cpuUsage(cpu0);
  await pool.destroy();
  return {
    sent,
    ok,
    failed,
    seconds: window,
    answeredRate: ok / window,
    latencyMs: percentiles(latency),
    ttfbMs: percentiles(ttfb),
    lagMs: percentiles(lag.subarray(0, sent)),
    cpuUs: cpu.user + cpu.system,
    inFlightAtEnd,
    stoppedEarly,
    errors: [...errors],
  };
}

export interface ClosedLoopSpec extends RequestSpec {
  connections: number;
  seconds: number;
}

/** A closed-loop run's totals (the same shape wrk's parsed output has). */
export interface ClosedLoopResult {
  requests: number;
  /** Failed requests (non-200, socket errors). */
  errors: number;
  seconds: number;
  rps: number;
  /** The generator's own CPU time, µs. */
  cpuUs: number;
}

/** Keeps `spec.connections` requests in flight for `spec.seconds`. */
export async function closedLoop(spec: ClosedLoopSpec): Promise<ClosedLoopResult> {
  const req = prepare(spec);
  const pool = new Pool(spec.url, { connections: spec.connections, pipelining: 1 });
  let requests = 0;
  let errors = 0;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const end = start + spec.seconds * 1000;
  await Promise.all(
    Array.from({ length: spec.connections }, async () => {
      while (performance.now() < end) {
        if ((await send(pool, req)).ok) requests++;
        else errors++;
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await pool.close();
  return { requests, errors, seconds, rps: requests / seconds, cpuUs: cpu.user + cpu.system };
}
