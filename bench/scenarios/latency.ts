/**
 * bench/scenarios/latency: scenario 2, latency at a fixed rate below
 * saturation (1,000 requests/s, open loop: requests leave on schedule
 * whatever the replies, so a slow contender cannot slow the load down and
 * hide its own delay) for the direct path, aigw and Portkey; the latency a
 * gateway adds is its percentile minus the direct path's, same run. A
 * contender that cannot sustain the rate is marked saturated (its run stops
 * once half a second of requests is unanswered), and measured again, with
 * the direct path, at a tenth of the rate, so it still gets a figure.
 */
import { num, signed, table } from "../table.js";
import { openRun, RATE, type Bench, type Contender, type RateRun } from "./context.js";
import { referenceStarters, stop } from "./gateways.js";

export interface LatencyRow {
  name: string;
  run: RateRun;
  /** Contender − direct, ms (undefined for the direct row). */
  added?: { p50: number; p90: number; p99: number };
  /**
   * The contender could not keep up: failed requests, or more than 100 ms
   * worth of requests still unanswered when the last was sent (a backlog;
   * below saturation about rate × latency are in flight).
   */
  saturated: boolean;
}

export interface LatencyResult {
  rate: number;
  rows: LatencyRow[];
  /** aigw on its built-in mock provider and the bare relay, at the same rate, against the same direct row. */
  references: LatencyRow[];
  /** The direct path and the saturated contenders at {@link LOW_RATE}, if any saturated. */
  low?: { rate: number; rows: LatencyRow[] };
}

/** The rate saturated contenders are measured again at. */
export const LOW_RATE = RATE / 10;

/** Warms then measures one contender at `rate`. */
async function measure(bench: Bench, c: Contender, rate: number): Promise<LatencyRow> {
  await openRun(bench, c, { rate, seconds: bench.durations.warmRate, stream: false });
  const run = await openRun(bench, c, { rate, seconds: bench.durations.rate, stream: false });
  return { name: c.name, run, saturated: run.failed > 0 || run.stoppedEarly || run.inFlightAtEnd > rate * 0.1 };
}

/** Fills in each row's latency over `base`'s. */
function addedOver(base: LatencyRow | undefined, rows: LatencyRow[]): void {
  if (!base) return;
  const b = base.run.latencyMs;
  for (const r of rows) {
    if (r === base) continue;
    r.added = { p50: r.run.latencyMs.p50 - b.p50, p90: r.run.latencyMs.p90 - b.p90, p99: r.run.latencyMs.p99 - b.p99 };
  }
}

/** Measures each contender at `rate`; the added latency is against the "direct" row. */
async function atRate(bench: Bench, contenders: readonly Contender[], rate: number): Promise<LatencyRow[]> {
  const rows: LatencyRow[] = [];
  for (const c of contenders) rows.push(await measure(bench, c, rate));
  addedOver(rows.find((r) => r.name === "direct"), rows);
  return rows;
}

/**
 * Measures every contender at {@link RATE}; with `references`, aigw on its
 * built-in mock provider and the bare relay too (what any relay on this core
 * adds: the floor under aigw's figure); then the saturated contenders again
 * at {@link LOW_RATE}.
 */
export async function latency(bench: Bench, contenders: readonly Contender[], opts: { references: boolean }): Promise<LatencyResult> {
  const rows = await atRate(bench, contenders, RATE);
  const references: LatencyRow[] = [];
  if (opts.references) {
    for (const start of referenceStarters(bench)) {
      const r = await start();
      try {
        references.push(await measure(bench, r.contender, RATE));
      } finally {
        await stop(bench, r);
      }
    }
    addedOver(rows.find((r) => r.name === "direct"), references);
  }
  const saturated = new Set(rows.filter((r) => r.saturated).map((r) => r.name));
  if (saturated.size === 0) return { rate: RATE, rows, references };
  const again = contenders.filter((c) => c.name === "direct" || saturated.has(c.name));
  return { rate: RATE, rows, references, low: { rate: LOW_RATE, rows: await atRate(bench, again, LOW_RATE) } };
}

/** The scenario's table. */
export function printLatency(r: LatencyResult): void {
  console.log(`\n2. latency at ${num(r.rate)} requests/s, open loop (in-repo undici generator, µs timer), non-streaming`);
  console.log(rowsTable([...r.rows, ...r.references]));
  if (r.low) {
    console.log(`  saturated at ${num(r.rate)} req/s, so measured again at ${num(r.low.rate)} req/s (with the direct path):`);
    console.log(rowsTable(r.low.rows));
  }
  console.log(
    "  added = contender − direct, same rate, same run; in flight at end: requests unanswered when the last was sent (saturated: over 100 ms of requests " +
      "unanswered, or failures; a saturated run stops sending once half a second of requests is unanswered); " +
      "generator lag: how late the generator sent against its schedule (its own timer jitter, in every row alike)",
  );
  for (const x of [...r.rows, ...r.references, ...(r.low?.rows ?? [])]) if (x.run.errors.length > 0) console.log(`  ${x.name} failures: ${x.run.errors.join("; ")}`);
}

function rowsTable(rows: readonly LatencyRow[]): string {
  return table(
    ["", "p50 ms", "p90 ms", "p99 ms", "added p50", "added p90", "added p99", "answered/s", "failed", "in flight at end", "CPU µs/req", "generator lag p99"],
    rows.map((x) => [
      x.name + (x.saturated ? " (saturated)" : ""),
      num(x.run.latencyMs.p50, 3),
      num(x.run.latencyMs.p90, 3),
      num(x.run.latencyMs.p99, 3),
      signed(x.added?.p50, 3),
      signed(x.added?.p90, 3),
      signed(x.added?.p99, 3),
      num(x.run.answeredRate),
      String(x.run.failed),
      num(x.run.inFlightAtEnd),
      num(x.run.cpuUsPerRequest, 1),
      `${num(x.run.lagMs.p99, 3)} ms`,
    ]),
  );
}
