/**
 * bench/scenarios/throughput: scenario 1, requests/s at 50 connections
 * (closed loop, non-streaming, the ~1 KB body) for the direct path, aigw and
 * Portkey back to back, with each gateway's CPU µs per request (its process
 * CPU time over the run / requests answered) and the busy share of both
 * cores, which shows whether the upstream side could have been the limit.
 *
 * nginx as a plain reverse proxy is one of the contenders when it is
 * installed (the proxy limit aigw's CPU per request is reported against).
 * With references, two more rows: aigw answering from its built-in mock
 * provider (the server and pipeline without the upstream hop) and the floor
 * of this process model, a bare relay (uWS edge + one undici dispatch).
 */
import { num, pct, table } from "../table.js";
import { closedRun, CONNECTIONS, GATEWAY_CPU, LOAD_CPU, type Bench, type Contender, type MaxRun } from "./context.js";
import { referenceStarters, stop } from "./gateways.js";

export interface ThroughputRow {
  name: string;
  run: MaxRun;
}

export interface ThroughputResult {
  rows: ThroughputRow[];
  references: ThroughputRow[];
}

/** Warms, then measures, each contender in turn. */
export async function throughput(bench: Bench, contenders: readonly Contender[], opts: { references: boolean }): Promise<ThroughputResult> {
  const d = bench.durations;
  const measure = async (c: Contender): Promise<ThroughputRow> => {
    await closedRun(bench, c, d.warmMax);
    return { name: c.name, run: await closedRun(bench, c, d.max, `throughput-${slug(c.name)}`) };
  };
  const rows: ThroughputRow[] = [];
  for (const c of contenders) rows.push(await measure(c));
  const references: ThroughputRow[] = [];
  if (opts.references) {
    for (const start of referenceStarters(bench)) {
      const r = await start();
      try {
        references.push(await measure(r.contender));
      } finally {
        await stop(bench, r);
      }
    }
  }
  return { rows, references };
}

/** A contender's name as a file name part. */
export function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
}

/** The scenario's table. */
export function printThroughput(r: ThroughputResult): void {
  const gen = r.rows[0]?.run.generator ?? "wrk";
  console.log(`\n1. throughput: requests/s at ${CONNECTIONS} connections, closed loop (${gen}), non-streaming`);
  const directRps = r.rows.find((x) => x.name === "direct")?.run.rps;
  const rows = [...r.rows, ...r.references].map(({ name, run }) => [
    name,
    num(run.rps),
    directRps ? `${(run.rps / directRps).toFixed(2)}×` : "-",
    num(run.cpuUsPerRequest, 1),
    run.cpuUsPerRequest ? num(1e6 / run.cpuUsPerRequest) : "-",
    String(run.errors),
    pct(run.processBusy),
    pct(run.gatewayCoreBusy),
    pct(run.loadCoreBusy),
    pct(run.upstreamBusy),
    pct(run.generatorBusy),
  ]);
  console.log(
    table(
      ["", "req/s", "vs direct", "CPU µs/req", "req/s per core-s", "errors", "process busy", `CPU ${GATEWAY_CPU} busy`, `CPU ${LOAD_CPU} busy`, "upstream busy", "generator busy"],
      rows,
    ),
  );
  console.log(
    `  process busy: the contender's own CPU over the run, as a share of one core; CPU ${GATEWAY_CPU}/${LOAD_CPU} busy: everything on that core (/proc/stat); ` +
      `upstream / generator busy: the mock upstream's and the load generator's processes. "req/s per core-s" = 1e6 / CPU µs per request: the rate on a core of its own.`,
  );
  for (const line of bottleneckNotes(r)) console.log(`  ${line}`);
}

/**
 * Why the upstream side was (or was not) the limit of each gateway's run:
 * the direct run shows what the mock and the generator sustain together on
 * their core, so a gateway served well below that rate was not held back by
 * them; the busy shares show which core was full. Also notes when other
 * processes took a share of the gateway's core (a shared machine).
 */
export function bottleneckNotes(r: ThroughputResult): string[] {
  const direct = r.rows.find((x) => x.name === "direct")?.run;
  if (!direct) return [];
  const out: string[] = [];
  for (const { name, run } of r.rows) {
    if (name === "direct") continue;
    // The mock and the generator share CPU 0: if together they used most of it, they may have been the limit.
    const theirs = (run.upstreamBusy ?? 0) + (run.generatorBusy ?? 0);
    const headroom = direct.rps / run.rps;
    const free = headroom > 1.1 && theirs < 0.8;
    out.push(
      `${name}: the same mock and generator served ${headroom.toFixed(1)}× ${name}'s rate directly; during ${name}'s run they used ${pct(theirs)} of CPU ${LOAD_CPU} ` +
        `(mock ${pct(run.upstreamBusy)}, generator ${pct(run.generatorBusy)}; the core was ${pct(run.loadCoreBusy)} busy with everything) and ${name} used ${pct(run.processBusy)} of CPU ${GATEWAY_CPU}: ` +
        (free ? "the upstream side was not the bottleneck." : "the upstream side MAY have been the bottleneck (little headroom, or its core was full)."),
    );
    if (run.gatewayCoreBusy !== undefined && run.processBusy !== undefined && run.gatewayCoreBusy - run.processBusy > 0.1) {
      out.push(`${name}: other processes took ~${pct(run.gatewayCoreBusy - run.processBusy)} of CPU ${GATEWAY_CPU} during its run (a shared machine): its req/s is understated; CPU µs/req is the steadier figure.`);
    }
  }
  return out;
}
