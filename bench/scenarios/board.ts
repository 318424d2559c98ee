/**
 * bench/scenarios/board: scenario 10, the cells of the independent
 * cross-gateway board, for the direct path, nginx (the proxy limit, same
 * core) and aigw, each alone on the gateway core, in one run:
 *
 *   - added p50/p99 at ONE connection (requests back to back);
 *   - the highest rate whose p99 stays under 1 ms (open loop, a bounded
 *     doubling-then-bisecting search, load/rate-search.ts);
 *   - time to first token and the per-frame gap (p50/p99) of streams at one
 *     connection (load/frames.ts);
 *   - sustained concurrent streams with no dropped frames: 250, 500, 1,000
 *     streams open at once through the mock's hold port (a chunk each every
 *     500 ms until released), each client counting its content frames
 *     against the 50 the mock sent (aigw and the direct path; the nginx
 *     anchor proxies the main port only).
 *
 * Ratios to nginx are aigw's figure over nginx's, same run.
 */
import { STREAM_CHUNKS } from "../mock-upstream.js";
import { ask, nextMessage } from "../children.js";
import { searchRate, type Probe, type RateSearch } from "../load/rate-search.js";
import type { OneConnectionResult } from "../load/one-connection.js";
import type { StreamsDone } from "../load/streams.js";
import { ensureNginx } from "../nginx.js";
import type { ChildMsg } from "../roles/protocol.js";
import { num, signed, table } from "../table.js";
import { CHAT_PATH, openRun, type Bench, type Contender } from "./context.js";
import { NGINX, startAigw, startNginxContender, stop, type Running } from "./gateways.js";

/** The p99 bound of the rate search, ms. */
export const P99_BOUND_MS = 1;

export interface BoardRow {
  name: string;
  json: OneConnectionResult;
  stream: OneConnectionResult;
  rate: RateSearch;
}

export interface SustainedRow {
  name: string;
  streams: number;
  done: StreamsDone;
}

export interface BoardResult {
  rows: BoardRow[];
  sustained: SustainedRow[];
}

async function oneConnection(bench: Bench, c: Contender, stream: boolean, seconds: number): Promise<OneConnectionResult> {
  const spec = { url: c.url, path: CHAT_PATH, headers: { ...bench.commonHeaders, ...c.headers }, body: stream ? bench.streamBody : bench.body, stream, seconds };
  return (await ask<ChildMsg, "one-connection-result">(bench.load, { type: "one-connection", spec }, "one-connection-result")).result;
}

async function measure(bench: Bench, c: Contender): Promise<BoardRow> {
  const s = bench.quick ? 0.3 : 2;
  await oneConnection(bench, c, false, s / 2);
  const json = await oneConnection(bench, c, false, s);
  const stream = await oneConnection(bench, c, true, s);
  const probe = async (rate: number): Promise<Probe> => {
    const run = await openRun(bench, c, { rate, seconds: bench.quick ? 0.3 : 1, stream: false });
    const p99Ms = run.latencyMs.p99;
    return { rate, p99Ms, pass: run.failed === 0 && !run.stoppedEarly && p99Ms < P99_BOUND_MS };
  };
  const rate = await searchRate(probe, { start: 500, max: 64_000, probes: bench.quick ? 3 : 9, resolution: 0.1 });
  return { name: c.name, json, stream, rate };
}

/** Opens `count` streams through `url` (the hold port behind it), releases them, and counts what each client got. */
async function sustain(bench: Bench, c: Contender, count: number): Promise<StreamsDone> {
  const spec = { url: c.url, path: CHAT_PATH, headers: { ...bench.commonHeaders, ...c.headers }, body: bench.streamBody, stream: true, count, openTimeoutMs: 20_000, expectFrames: STREAM_CHUNKS };
  const opened = nextMessage<ChildMsg, "streams-open">(bench.load, "streams-open");
  const done = nextMessage<ChildMsg, "streams-done">(bench.load, "streams-done");
  bench.load.proc.send({ type: "streams", spec });
  await opened;
  // A couple of the mock's 500 ms trickles go through every open stream before the rest is released.
  await new Promise((r) => setTimeout(r, 1_100));
  await ask<ChildMsg, "released">(bench.upstream.spawned, { type: "release" }, "released");
  return (await done).result;
}

/** Measures the board's cells; `direct` and `aigw` come from the shared contenders. */
export async function board(bench: Bench, directC: Contender, aigwC: Contender): Promise<BoardResult> {
  const rows: BoardRow[] = [];
  rows.push(await measure(bench, directC));
  if (ensureNginx().available) {
    const n = await startNginxContender(bench);
    try {
      rows.push(await measure(bench, n.contender));
    } finally {
      await stop(bench, n);
    }
  }
  rows.push(await measure(bench, aigwC));
  const sustained: SustainedRow[] = [];
  const levels = bench.quick ? [50] : [250, 500, 1_000];
  let held: Running | undefined;
  try {
    held = await startAigw(bench, "aigw", bench.upstream.holdBase);
    const hold: Contender[] = [{ name: "direct", url: bench.upstream.holdBase, headers: {} }, held.contender];
    for (const streams of levels) for (const c of hold) sustained.push({ name: c.name, streams, done: await sustain(bench, c, streams) });
  } finally {
    await stop(bench, held);
  }
  return { rows, sustained };
}

const ratio = (a: number | undefined, b: number | undefined): string => (a === undefined || b === undefined || b <= 0 ? "-" : `${(a / b).toFixed(2)}×`);

/** The scenario's tables. */
export function printBoard(r: BoardResult): void {
  const direct = r.rows.find((x) => x.name === "direct");
  const nginx = r.rows.find((x) => x.name === NGINX);
  const added = (x: BoardRow, p: "p50" | "p99"): number | undefined => (direct === undefined ? undefined : x.json.latencyMs[p] - direct.json.latencyMs[p]);
  console.log("\n10. board: the independent board's cells (one connection; p99 < 1 ms rate search; streams at one connection; sustained streams)");
  console.log(
    table(
      ["", "1 conn p50 ms", "1 conn p99 ms", "added p50", "added p99", "added p99 / nginx's", "max rate, p99 < 1 ms", "/ nginx's", "TTFT p50 ms", "TTFT p99 ms", "gap p50 ms", "gap p99 ms", "TTFT p50 / nginx's"],
      r.rows.map((x) => [
        x.name,
        num(x.json.latencyMs.p50, 3),
        num(x.json.latencyMs.p99, 3),
        signed(added(x, "p50"), 3),
        signed(added(x, "p99"), 3),
        x === nginx || nginx === undefined || x.name === "direct" ? "" : ratio(added(x, "p99"), added(nginx, "p99")),
        x.rate.best === undefined ? "< 500/s" : `${num(x.rate.best)}/s`,
        x === nginx || nginx === undefined ? "" : ratio(x.rate.best, nginx.rate.best),
        num(x.stream.ttftMs?.p50, 3),
        num(x.stream.ttftMs?.p99, 3),
        num(x.stream.gapMs?.p50, 3),
        num(x.stream.gapMs?.p99, 3),
        x === nginx || nginx === undefined ? "" : ratio(x.stream.ttftMs?.p50, nginx.stream.ttftMs?.p50),
      ]),
    ),
  );
  console.log(
    `  rate search: doubling from 500/s, then bisecting to 10%, probes of 1 s (open loop); tried: ${r.rows.map((x) => `${x.name} ${x.rate.tried.map((p) => `${p.rate}${p.pass ? "✓" : "✗"}`).join(" ")}`).join("; ")}`,
  );
  console.log(
    table(
      ["sustained streams", "open at once", "completed", "failed", `short of ${STREAM_CHUNKS} frames`],
      r.sustained.map((x) => [x.name, num(x.streams), num(x.done.completed), num(x.done.failed), num(x.done.short)]),
    ),
  );
  for (const x of r.sustained) if (x.done.errors.length > 0) console.log(`  ${x.name} × ${x.streams} failures: ${x.done.errors.join("; ")}`);
}
