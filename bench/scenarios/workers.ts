/**
 * bench/scenarios/workers: `aigw serve --workers N` for N = 1 and 2
 * (issue 20): requests/s at 50 connections (closed loop, as scenario 1)
 * and CPU per request (every thread of the process), when this build has
 * the option; otherwise skipped with the reason printed.
 *
 * One worker runs alone on the gateway core as in scenario 1; two workers
 * are given both cores, so on a 2-core machine they share CPU 0 with the
 * load generator and the mock upstream: the two-worker figure, and the
 * ratio, are what this machine allows, not what two free cores would give.
 * The busy share of both cores is reported with each run so the sharing is
 * visible.
 */
import { execFileSync } from "node:child_process";
import { cpus } from "node:os";
import { join } from "node:path";
import { num, pct, table } from "../table.js";
import { closedRun, CONNECTIONS, GATEWAY_CPU, LOAD_CPU, type Bench, type MaxRun } from "./context.js";
import { AIGW_BIN, startAigwServe, stop } from "./gateways.js";

export interface WorkersRow {
  workers: number;
  /** The cores the gateway was allowed (taskset list). */
  cpus: string;
  run: MaxRun;
}

export interface WorkersResult {
  /** Why the scenario did not run, when it did not. */
  skipped?: string;
  rows: WorkersRow[];
  /** Two workers' throughput over one's. */
  scaling?: number;
  note: string;
}

/**
 * Whether `aigw serve` of this build takes `--workers`: its usage text names
 * it, or (a build whose option is ahead of its help) `probe`, what `aigw
 * serve MISSING --workers 1` printed, does not call it unknown. Else why not.
 */
export function workersSupport(usage: string, probe: string): { supported: true } | { supported: false; reason: string } {
  if (/(^|[\s[])--workers\b/.test(usage)) return { supported: true };
  if (probe !== "" && !/unknown option `--workers`/.test(probe)) return { supported: true };
  return { supported: false, reason: "`aigw serve` of this build has no --workers option (not in its usage, and refused as unknown)" };
}

/** What `aigw serve ARGS` printed (stdout and stderr), whatever its exit. */
function serveOutput(args: readonly string[]): string {
  try {
    return execFileSync(process.execPath, [AIGW_BIN, "serve", ...args], { encoding: "utf8", timeout: 10_000, stdio: ["ignore", "pipe", "pipe"] });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return `${e.stdout ?? ""}${e.stderr ?? ""}`;
  }
}

/** Measures one and two workers in turn, each started fresh. */
export async function workers(bench: Bench): Promise<WorkersResult> {
  const note =
    cpus().length <= 2
      ? `on this ${cpus().length}-CPU machine two workers share CPU ${LOAD_CPU} with the load generator and the mock upstream: the ratio is what this machine allows, not two free cores`
      : `two workers are given CPUs ${GATEWAY_CPU} and ${LOAD_CPU}; the load generator and the mock upstream share CPU ${LOAD_CPU}`;
  // A policy path that does not exist: the probe fails before listening, on the path or on the option.
  const missing = join(bench.group.tempDir("aigw-bench-workers-probe-"), "missing");
  const support = workersSupport(serveOutput(["--help"]), serveOutput([missing, "--workers", "1"]));
  if (!support.supported) return { skipped: support.reason, rows: [], note };
  const d = bench.durations;
  const rows: WorkersRow[] = [];
  for (const n of [1, 2]) {
    const cpuList = n === 1 ? String(GATEWAY_CPU) : `${LOAD_CPU},${GATEWAY_CPU}`;
    const r = await startAigwServe(bench, `aigw serve --workers ${n}`, bench.upstream.base, { args: ["--workers", String(n)], cpu: cpuList });
    try {
      await closedRun(bench, r.contender, d.warmMax);
      rows.push({ workers: n, cpus: cpuList, run: await closedRun(bench, r.contender, d.max) });
    } finally {
      await stop(bench, r);
    }
  }
  const one = rows.find((x) => x.workers === 1)?.run.rps;
  const two = rows.find((x) => x.workers === 2)?.run.rps;
  return { rows, ...(one && two ? { scaling: two / one } : {}), note };
}

/** The scenario's table. */
export function printWorkers(r: WorkersResult): void {
  console.log(`\n14. workers: \`aigw serve --workers N\`, requests/s at ${CONNECTIONS} connections (closed loop), CPU per request over every thread`);
  if (r.skipped) {
    console.log(`  skipped: ${r.skipped}`);
    return;
  }
  console.log(
    table(
      ["", "cores allowed", "req/s", "CPU µs/req", "errors", "process busy", `CPU ${GATEWAY_CPU} busy`, `CPU ${LOAD_CPU} busy`],
      r.rows.map((x) => [
        `${x.workers} worker${x.workers === 1 ? "" : "s"}`,
        x.cpus,
        num(x.run.rps),
        num(x.run.cpuUsPerRequest, 1),
        String(x.run.errors),
        pct(x.run.processBusy),
        pct(x.run.gatewayCoreBusy),
        pct(x.run.loadCoreBusy),
      ]),
    ),
  );
  if (r.scaling !== undefined) console.log(`  2 workers / 1: ${r.scaling.toFixed(2)}× the throughput`);
  console.log(`  ${r.note}`);
}
