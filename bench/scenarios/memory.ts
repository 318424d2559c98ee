/**
 * bench/scenarios/memory: scenario 6, resident memory of a gateway process
 * (VmRSS from /proc/PID/status): idle, just after start and a short
 * non-streaming warm-up, and with 1,000 streams open at once through it.
 * The streams go to the mock's hold port, which sends each stream's first
 * chunk, then one chunk every 500 ms, until it is released after the RSS
 * samples; every stream must then end with `[DONE]`. Each gateway is
 * started fresh for this, alone on its core: aigw as `aigw serve` runs it
 * (the process a user runs; measured after its reload compile worker has
 * stopped, as it does once idle), in a full run
 * also aigw embedded as in scenarios 1–4 (`startGateway` alone), then
 * Portkey.
 */
import { ask, nextMessage } from "../children.js";
import type { ChildMsg } from "../roles/protocol.js";
import { median } from "../stats.js";
import { rssBytes } from "../system.js";
import { mb, num, table } from "../table.js";
import { CHAT_PATH, OPEN_STREAMS, openRun, type Bench } from "./context.js";
import { SERVE_COMPILE_IDLE_MS, startAigw, startAigwServe, startPortkeyContender, stop, type Running } from "./gateways.js";

/** The row the memory target is read from. */
export const AIGW_SERVE = "aigw serve";
/** aigw as scenarios 1–4 run it. */
export const AIGW_EMBEDDED = "aigw (startGateway alone)";

export interface MemoryRow {
  name: string;
  idleRss?: number;
  /** The largest of the samples taken while every stream was open. */
  openRss?: number;
  /** Peak RSS of the process's life (VmHWM), read before the streams were released. */
  peakRss?: number;
  /** (open − idle) / streams open, bytes. */
  perStream?: number;
  opened: number;
  /** The mock's count of streams it held open when the samples were taken. */
  heldAtUpstream: number;
  openMs: number;
  completed: number;
  failed: number;
  errors: string[];
}

export interface MemoryResult {
  streams: number;
  rows: MemoryRow[];
  note?: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Samples VmRSS of `pid` `n` times, `everyMs` apart. */
async function samples(pid: number, n: number, everyMs: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = rssBytes(pid);
    if (v !== undefined) out.push(v);
    if (i < n - 1) await sleep(everyMs);
  }
  return out;
}

async function measure(bench: Bench, r: Running): Promise<MemoryRow> {
  const pid = r.contender.pid!;
  // Load the request path's code (non-streaming: the hold port would hold streams), then let it settle.
  await openRun(bench, r.contender, { rate: 200, seconds: bench.quick ? 0.5 : 1, stream: false });
  await sleep(500);
  const idle = median(await samples(pid, 3, 100));
  const spec = {
    url: r.contender.url,
    path: CHAT_PATH,
    headers: { ...bench.commonHeaders, ...r.contender.headers },
    body: bench.streamBody,
    stream: true,
    count: OPEN_STREAMS,
    openTimeoutMs: 20_000,
  };
  const opened = nextMessage<ChildMsg, "streams-open">(bench.load, "streams-open");
  const done = nextMessage<ChildMsg, "streams-done">(bench.load, "streams-done");
  bench.load.proc.send({ type: "streams", spec });
  const open = (await opened).result;
  // Let a few of the mock's 500 ms trickles pass through every stream before sampling.
  await sleep(bench.quick ? 600 : 1_200);
  const held = (await ask<ChildMsg, "stats">(bench.upstream.spawned, { type: "stats" }, "stats")).held;
  const openSamples = await samples(pid, bench.quick ? 3 : 6, 200);
  const peak = rssBytes(pid, "VmHWM");
  await ask<ChildMsg, "released">(bench.upstream.spawned, { type: "release" }, "released");
  const finished = (await done).result;
  const openRss = openSamples.length ? Math.max(...openSamples) : undefined;
  const row: MemoryRow = {
    name: r.contender.name,
    opened: open.open,
    heldAtUpstream: held,
    openMs: open.ms,
    completed: finished.completed,
    failed: finished.failed,
    errors: finished.errors,
  };
  if (Number.isFinite(idle)) row.idleRss = idle;
  if (openRss !== undefined) row.openRss = openRss;
  if (peak !== undefined) row.peakRss = peak;
  if (row.idleRss !== undefined && openRss !== undefined && open.open > 0) row.perStream = (openRss - row.idleRss) / open.open;
  return row;
}

/**
 * Measures aigw, then (with `portkey`, and not in a quick run, where its
 * slow start and stream set-up would take a third of the minute) Portkey,
 * each started fresh against the hold port.
 */
export async function memory(bench: Bench, portkey: boolean): Promise<MemoryResult> {
  const rows: MemoryRow[] = [];
  const starts: (() => Promise<Running>)[] = [
    async () => {
      const r = await startAigwServe(bench, AIGW_SERVE, bench.upstream.holdBase);
      // The start-up compile ran on the reload worker; it stops once idle, as in a long-running gateway.
      await sleep(SERVE_COMPILE_IDLE_MS + 500);
      return r;
    },
  ];
  if (!bench.quick) starts.push(() => startAigw(bench, AIGW_EMBEDDED, bench.upstream.holdBase));
  if (portkey && !bench.quick) starts.push(() => startPortkeyContender(bench, bench.upstream.holdBase));
  for (const start of starts) {
    const r = await start();
    try {
      rows.push(await measure(bench, r));
    } finally {
      await stop(bench, r);
    }
  }
  return { streams: OPEN_STREAMS, rows, ...(portkey && bench.quick ? { note: "Portkey skipped in --quick (its start and 1,000 streams take ~15 s); a full run measures it" } : {}) };
}

/** The scenario's table. */
export function printMemory(r: MemoryResult): void {
  console.log(`\n6. memory: gateway RSS (VmRSS) idle and with ${num(r.streams)} streams open at once (mock holds each stream, a chunk every 500 ms)`);
  console.log(
    table(
      ["", "idle RSS", `RSS, ${num(r.streams)} open`, "per stream", "peak (VmHWM)", "opened", "held at upstream", "open in", "completed", "failed"],
      r.rows.map((x) => [
        x.name,
        mb(x.idleRss),
        mb(x.openRss),
        x.perStream === undefined ? "-" : `${(x.perStream / 1024).toFixed(1)} KB`,
        mb(x.peakRss),
        num(x.opened),
        num(x.heldAtUpstream),
        `${num(x.openMs)} ms`,
        num(x.completed),
        num(x.failed),
      ]),
    ),
  );
  console.log(
    `  ${AIGW_SERVE}: the CLI process, after its reload compile worker (~60 MB while it lives) stopped: ` +
      `run with --compile-idle ${SERVE_COMPILE_IDLE_MS / 1000}s (default 30s) so the run need not wait; ${AIGW_EMBEDDED}: the process of scenarios 1–4`,
  );
  if (r.note) console.log(`  ${r.note}`);
  for (const x of r.rows) if (x.errors.length > 0) console.log(`  ${x.name} failures: ${x.errors.join("; ")}`);
}
