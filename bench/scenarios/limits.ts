/**
 * bench/scenarios/limits: two cells the independent cross-gateway board
 * uses (issue 20), for the direct path, nginx as a plain reverse proxy,
 * aigw and Portkey, each gateway alone on the gateway core:
 *
 * - one connection: one request in flight at a time (closed loop), so the
 *   latency a relay adds is read without queueing: added p50 and p99 over
 *   the direct path, and the contender's CPU per request at that pace;
 * - the highest rate with p99 under 1 ms: open-loop runs at rates chosen by
 *   a bounded doubling-then-bisection search (bench/rate-search.ts); a rate
 *   passes when every request was answered, no backlog grew, and the p99
 *   (request sent → last byte, at the client, the mock included) was under
 *   1 ms. The direct row is the generator's and the mock's own edge: a
 *   gateway's figure cannot exceed it in this set-up.
 */
import { ask } from "../children.js";
import { searchRate, type RateSearchResult } from "../rate-search.js";
import type { SerialResult } from "../load/serial.js";
import type { ChildMsg } from "../roles/protocol.js";
import { processCpuPreciseUs } from "../system.js";
import { num, signed, table } from "../table.js";
import { CHAT_PATH, openRun, type Bench, type Contender } from "./context.js";

/** The latency bound of the rate search, ms. */
export const P99_BOUND_MS = 1;

/** Phase lengths of the cells, full run and `--quick`. */
const FULL = { warm: 1, serial: 4, step: 1, maxProbes: 6 };
const QUICK = { warm: 0.3, serial: 1, step: 0.3, maxProbes: 4 };
const phases = (bench: Bench) => (bench.quick ? QUICK : FULL);

export interface OneConnectionRow {
  name: string;
  run: SerialResult;
  /** Contender − direct, ms (undefined for the direct row). */
  added?: { p50: number; p99: number };
  cpuUsPerRequest?: number;
}

export interface RateBoundRow {
  name: string;
  search: RateSearchResult;
}

export interface LimitsResult {
  oneConnection: OneConnectionRow[];
  rateUnderP99: { boundMs: number; rows: RateBoundRow[] };
}

/** One contender at one connection for `seconds`, with its CPU per request. */
async function serial(bench: Bench, c: Contender, seconds: number): Promise<OneConnectionRow> {
  const spec = { url: c.url, path: CHAT_PATH, headers: { ...bench.commonHeaders, ...c.headers }, body: bench.body, stream: false, seconds };
  // Nanosecond accounting: a one-connection run of a second costs a gateway only tens of clock ticks.
  const cpu0 = c.pid === undefined ? undefined : processCpuPreciseUs(c.pid);
  const run = (await ask<ChildMsg, "serial-result">(bench.load, { type: "serial", spec }, "serial-result")).result;
  const cpu1 = c.pid === undefined ? undefined : processCpuPreciseUs(c.pid);
  return { name: c.name, run, ...(cpu0 !== undefined && cpu1 !== undefined && run.requests > 0 ? { cpuUsPerRequest: (cpu1 - cpu0) / run.requests } : {}) };
}

/** Added latency at one connection, each contender warmed then measured, against the direct row of the same run. */
export async function oneConnection(bench: Bench, contenders: readonly Contender[]): Promise<OneConnectionRow[]> {
  const p = phases(bench);
  const rows: OneConnectionRow[] = [];
  for (const c of contenders) {
    await serial(bench, c, p.warm);
    rows.push(await serial(bench, c, p.serial));
  }
  const base = rows.find((r) => r.name === "direct")?.run.latencyMs;
  if (base) for (const r of rows) if (r.name !== "direct") r.added = { p50: r.run.latencyMs.p50 - base.p50, p99: r.run.latencyMs.p99 - base.p99 };
  return rows;
}

/** The highest rate each contender holds with p99 under {@link P99_BOUND_MS}. */
export async function rateUnderP99(bench: Bench, contenders: readonly Contender[]): Promise<RateBoundRow[]> {
  const p = phases(bench);
  const rows: RateBoundRow[] = [];
  for (const c of contenders) {
    const search = await searchRate({ start: 1_000, floor: 125, cap: 32_000, precision: 1.15, maxProbes: p.maxProbes }, async (rate) => {
      const run = await openRun(bench, c, { rate, seconds: p.step, stream: false });
      const p99Ms = run.latencyMs.p99;
      const pass = run.failed === 0 && !run.stoppedEarly && run.inFlightAtEnd <= Math.max(10, rate * 0.01) && p99Ms < P99_BOUND_MS;
      return { rate, pass, p99Ms };
    });
    rows.push({ name: c.name, search });
  }
  return rows;
}

/** Both cells, in turn, over the same contenders. */
export async function limits(bench: Bench, contenders: readonly Contender[]): Promise<LimitsResult> {
  const one = await oneConnection(bench, contenders);
  const rows = await rateUnderP99(bench, contenders);
  return { oneConnection: one, rateUnderP99: { boundMs: P99_BOUND_MS, rows } };
}

/** A contender's figure over nginx's, from the rows of one run. */
export function overNginx<T>(rows: readonly (T & { name: string })[], nginx: string, pick: (r: T) => number | undefined): Map<string, number> {
  const n = rows.find((r) => r.name === nginx);
  const base = n ? pick(n) : undefined;
  const out = new Map<string, number>();
  if (base === undefined || !(base > 0)) return out;
  for (const r of rows) {
    const v = pick(r);
    if (v !== undefined && Number.isFinite(v)) out.set(r.name, v / base);
  }
  return out;
}

/** The cells' tables. */
export function printLimits(r: LimitsResult, nginx: string): void {
  console.log(`\n10. limits: added latency at one connection (one request in flight, closed loop, in-repo undici generator, µs timer), non-streaming`);
  const p50 = overNginx(r.oneConnection, nginx, (x) => x.added?.p50);
  const p99 = overNginx(r.oneConnection, nginx, (x) => x.added?.p99);
  const ratio = (m: Map<string, number>, name: string): string => (name === nginx || !m.has(name) ? "-" : `${m.get(name)!.toFixed(2)}×`);
  console.log(
    table(
      ["", "requests", "p50 ms", "p99 ms", "added p50", "added p99", "added p50 / nginx", "added p99 / nginx", "CPU µs/req", "errors"],
      r.oneConnection.map((x) => [
        x.name,
        num(x.run.requests),
        num(x.run.latencyMs.p50, 3),
        num(x.run.latencyMs.p99, 3),
        signed(x.added?.p50, 3),
        signed(x.added?.p99, 3),
        ratio(p50, x.name),
        ratio(p99, x.name),
        num(x.cpuUsPerRequest, 1),
        String(x.run.errors),
      ]),
    ),
  );
  console.log("  added = contender − direct, same run; CPU µs/req at one connection is higher than under load (nothing is batched per event-loop turn)");
  for (const x of r.oneConnection) if (x.run.failures.length > 0) console.log(`  ${x.name} failures: ${x.run.failures.join("; ")}`);
  const b = r.rateUnderP99;
  console.log(`\n11. limits: the highest rate with p99 under ${b.boundMs} ms (open loop; doubling, then bisection; each probe a short run)`);
  const best = overNginx(b.rows, nginx, (x) => x.search.best);
  console.log(
    table(
      ["", "highest rate", "/ nginx", "probes (req/s: p99 ms, pass)"],
      b.rows.map((x) => [
        x.name,
        x.search.best === undefined ? `none ≥ ${num(Math.min(...x.search.probes.map((p) => p.rate)))}` : `${num(x.search.best)} req/s${x.search.capped ? " (cap)" : ""}`,
        ratio(best, x.name),
        x.search.probes.map((p) => `${num(p.rate)}: ${num(p.p99Ms, 2)}${p.pass ? "" : " ✗"}`).join(", "),
      ]),
    ),
  );
  console.log(
    "  a probe passes with every request answered, no backlog, and p99 (sent → last byte, at the client, mock included) under the bound; " +
      "the direct row is the edge of the generator and the mock on their shared core, which no gateway row can pass here",
  );
}
