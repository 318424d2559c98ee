/**
 * bench/scenarios/streaming: scenario 3, a 50-chunk server-sent-event
 * response (then a usage chunk and `[DONE]`, each chunk its own packet) at
 * a fixed rate, open loop: time to first byte and total time for the
 * direct path, aigw and Portkey; the added TTFB is contender − direct.
 * In the same run, aigw again with an output guardrail on the stream
 * (`redact email, credit_card`: a 319-character hold-back window), so
 * the cost of inspecting a stream is read against the aigw row.
 */
import { STREAM_CHUNKS } from "../mock-upstream.js";
import { num, signed, table } from "../table.js";
import { openRun, STREAM_RATE, type Bench, type Contender, type RateRun } from "./context.js";
import { startAigw, stop } from "./gateways.js";

/** The row of aigw with an output guardrail inspecting the stream. */
export const GUARDED = "aigw + output guardrail";

export interface StreamingRow {
  name: string;
  run: RateRun;
  addedTtfb?: { p50: number; p99: number };
  addedTotal?: { p50: number; p99: number };
}

export interface StreamingResult {
  rate: number;
  chunks: number;
  rows: StreamingRow[];
}

/** Warms each contender with a few streams, then measures it. */
export async function streaming(bench: Bench, contenders: readonly Contender[]): Promise<StreamingResult> {
  const d = bench.durations;
  const rows: StreamingRow[] = [];
  const measure = async (c: Contender): Promise<void> => {
    await openRun(bench, c, { rate: STREAM_RATE, seconds: Math.min(1, d.warmRate), stream: true });
    rows.push({ name: c.name, run: await openRun(bench, c, { rate: STREAM_RATE, seconds: d.streams, stream: true }) });
  };
  for (const c of contenders) await measure(c);
  if (contenders.some((c) => c.name === "aigw")) {
    const guarded = await startAigw(bench, GUARDED, bench.upstream.base, ["--output-guard"]);
    try {
      await measure(guarded.contender);
    } finally {
      await stop(bench, guarded);
    }
  }
  const base = rows.find((r) => r.name === "direct")?.run;
  if (base) {
    for (const r of rows) {
      if (r.name === "direct") continue;
      r.addedTtfb = { p50: r.run.ttfbMs.p50 - base.ttfbMs.p50, p99: r.run.ttfbMs.p99 - base.ttfbMs.p99 };
      r.addedTotal = { p50: r.run.latencyMs.p50 - base.latencyMs.p50, p99: r.run.latencyMs.p99 - base.latencyMs.p99 };
    }
  }
  return { rate: STREAM_RATE, chunks: STREAM_CHUNKS, rows };
}

/** The scenario's table. */
export function printStreaming(r: StreamingResult): void {
  console.log(`\n3. streaming: ${r.chunks}-chunk SSE responses (+ usage chunk + [DONE]) at ${r.rate} streams/s, open loop (in-repo undici generator)`);
  console.log(
    table(
      ["", "TTFB p50 ms", "TTFB p99 ms", "added TTFB p50", "added TTFB p99", "total p50 ms", "total p99 ms", "added total p50", "streams ok", "failed", "CPU µs/stream"],
      r.rows.map((x) => [
        x.name,
        num(x.run.ttfbMs.p50, 3),
        num(x.run.ttfbMs.p99, 3),
        signed(x.addedTtfb?.p50, 3),
        signed(x.addedTtfb?.p99, 3),
        num(x.run.latencyMs.p50, 3),
        num(x.run.latencyMs.p99, 3),
        signed(x.addedTotal?.p50, 3),
        String(x.run.ok),
        String(x.run.failed),
        num(x.run.cpuUsPerRequest, 1),
      ]),
    ),
  );
  const plain = r.rows.find((x) => x.name === "aigw")?.run;
  const guarded = r.rows.find((x) => x.name === GUARDED)?.run;
  if (plain && guarded) {
    const cpu = guarded.cpuUsPerRequest !== undefined && plain.cpuUsPerRequest !== undefined ? guarded.cpuUsPerRequest - plain.cpuUsPerRequest : undefined;
    console.log(
      `  output guardrail on vs off (same run): TTFB p50 ${signed(guarded.ttfbMs.p50 - plain.ttfbMs.p50, 3)} ms, total p50 ${signed(guarded.latencyMs.p50 - plain.latencyMs.p50, 3)} ms, CPU ${signed(cpu, 1)} µs/stream (${signed(cpu === undefined ? undefined : cpu / r.chunks, 2)} µs/chunk)`,
    );
  }
  console.log("  TTFB: request sent → first body byte (the first SSE event); total: → last byte; a stream counts as ok only if it ends with `data: [DONE]`");
  for (const x of r.rows) if (x.run.errors.length > 0) console.log(`  ${x.name} failures: ${x.run.errors.join("; ")}`);
}
