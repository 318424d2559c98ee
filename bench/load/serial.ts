/**
 * bench/load/serial: one request in flight on one connection, the next sent
 * as soon as the last is answered (closed loop at one connection, as the
 * independent board measures added latency): each request's latency with
 * `performance.now()`, so the added p50 and p99 of a relay are read without
 * queueing behind other requests.
 */
import { Pool } from "undici";
import { percentiles, type Percentiles } from "../stats.js";
import { prepare, send, type RequestSpec } from "./request.js";

export interface SerialSpec extends RequestSpec {
  seconds: number;
}

export interface SerialResult {
  requests: number;
  errors: number;
  seconds: number;
  /** Request handed to undici → last byte, successful requests, ms. */
  latencyMs: Percentiles;
  /** The generator's own CPU time, µs. */
  cpuUs: number;
  failures: string[];
}

/** Sends one request after another on one connection for `spec.seconds`. */
export async function serialLoop(spec: SerialSpec): Promise<SerialResult> {
  const req = prepare(spec);
  const pool = new Pool(spec.url, { connections: 1, pipelining: 1 });
  const latency: number[] = [];
  const failures = new Set<string>();
  let errors = 0;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const end = start + spec.seconds * 1000;
  while (performance.now() < end) {
    const t0 = performance.now();
    const o = await send(pool, req);
    if (o.ok) latency.push(o.endAt - t0);
    else {
      errors++;
      if (failures.size < 5 && o.error) failures.add(o.error);
    }
  }
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await pool.destroy();
  return { requests: latency.length, errors, seconds, latencyMs: percentiles(latency), cpuUs: cpu.user + cpu.system, failures: [...failures] };
}
