/**
 * bench/scenarios/stream-frames: the stream cells of the independent board
 * (issue 20), for the direct path, nginx, aigw and Portkey, each gateway
 * alone on the gateway core, every stream read frame by frame
 * (bench/sse-frames.ts) and checked for every frame once and in order:
 *
 * - at one connection: one paced stream at a time (the mock sends the role
 *   and the first token in consecutive turns, then a frame every
 *   {@link ONE_CONNECTION_PACE_MS}): time to first token (the first event
 *   that carries text, not the first byte of the headers), and the p50/p99
 *   of the gap between frames against the mock's own (the direct row);
 * - sustained concurrent streams: N streams opened together (in batches no
 *   listen queue overflows, bench/load/frames.ts), each paced at
 *   {@link CONCURRENT_PACE_MS} a frame, for N in a ramp; a step holds when
 *   every stream received every frame in order and ended with `[DONE]`
 *   within {@link stepDeadlineMs}; the ramp stops at the first step that does not,
 *   and the highest N that held is reported with the gateway's RSS (the
 *   largest sample while that step ran).
 */
import { ask, nextMessage } from "../children.js";
import { OPEN_BATCH, OPEN_TICK_MS, type ConcurrentFramesResult, type FramesResult } from "../load/frames.js";
import { pacedBody } from "../mock-upstream.js";
import type { ChildMsg } from "../roles/protocol.js";
import { FRAMES } from "../sse-frames.js";
import { rssBytes } from "../system.js";
import { mb, num, pct, signed, table } from "../table.js";
import { CHAT_PATH, type Bench, type Contender } from "./context.js";
import { overNginx } from "./limits.js";

/** The mock's pace at one connection, ms a frame: short, so a run sees many streams. */
export const ONE_CONNECTION_PACE_MS = 2;

/** The mock's pace for the concurrent streams, ms a frame: N streams make N × 1000 / pace frames a second. */
export const CONCURRENT_PACE_MS = { full: 50, quick: 20 } as const;

/** The ramp of concurrent streams. */
export const RAMP = { full: [250, 500, 1_000, 2_000], quick: [250] } as const;

/** How long a step's streams may take: their nominal length (frames × pace) half again, plus two seconds to open them. */
export const stepDeadlineMs = (paceMs: number): number => 1.5 * FRAMES * paceMs + 2_000;

const FULL = { warm: 0.5, oneConnection: 3 };
const QUICK = { warm: 0.2, oneConnection: 0.7 };

export interface FramesRow {
  name: string;
  run: FramesResult;
  /** Contender − direct, ms. */
  addedTtft?: { p50: number; p99: number };
}

export interface RampStep {
  streams: number;
  result: ConcurrentFramesResult;
  /** The largest RSS sample of the contender while the step ran (undefined for the direct path). */
  rss?: number;
  holds: boolean;
}

export interface RampRow {
  name: string;
  steps: RampStep[];
  /** The highest N that held, and the RSS at it. */
  highest?: number;
  rssAtHighest?: number;
}

export interface StreamFramesResult {
  oneConnection: { paceMs: number; rows: FramesRow[] };
  concurrent: { paceMs: number; ramp: number[]; rows: RampRow[] };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function spec(bench: Bench, c: Contender, paceMs: number) {
  return { url: c.url, path: CHAT_PATH, headers: { ...bench.commonHeaders, ...c.headers }, body: pacedBody(bench.streamBody, paceMs), stream: true, paceMs };
}

/** Time to first token and frame gaps at one connection, each contender warmed then measured. */
export async function framesOneConnection(bench: Bench, contenders: readonly Contender[]): Promise<FramesRow[]> {
  const p = bench.quick ? QUICK : FULL;
  const rows: FramesRow[] = [];
  for (const c of contenders) {
    const s = spec(bench, c, ONE_CONNECTION_PACE_MS);
    await ask<ChildMsg, "frames-result">(bench.load, { type: "frames", spec: { ...s, seconds: p.warm } }, "frames-result");
    const run = (await ask<ChildMsg, "frames-result">(bench.load, { type: "frames", spec: { ...s, seconds: p.oneConnection } }, "frames-result")).result;
    rows.push({ name: c.name, run });
  }
  const base = rows.find((r) => r.name === "direct")?.run.ttftMs;
  if (base) for (const r of rows) if (r.name !== "direct") r.addedTtft = { p50: r.run.ttftMs.p50 - base.p50, p99: r.run.ttftMs.p99 - base.p99 };
  return rows;
}

/** One step: `count` streams at once through `c`, RSS sampled every 200 ms while they run. */
async function step(bench: Bench, c: Contender, count: number, paceMs: number): Promise<RampStep> {
  const deadlineMs = stepDeadlineMs(paceMs);
  const result = nextMessage<ChildMsg, "concurrent-frames-result">(bench.load, "concurrent-frames-result");
  bench.load.proc.send({ type: "concurrent-frames", spec: { ...spec(bench, c, paceMs), count, deadlineMs } });
  let rss: number | undefined;
  let done = false;
  const finished = result.then((m) => {
    done = true;
    return m.result;
  });
  while (!done && c.pid !== undefined) {
    const v = rssBytes(c.pid);
    if (v !== undefined) rss = Math.max(rss ?? 0, v);
    await Promise.race([finished, sleep(200)]);
  }
  const r = await finished;
  return { streams: count, result: r, ...(rss !== undefined ? { rss } : {}), holds: r.held === count };
}

/** The ramp of concurrent streams for each contender, stopping at its first step that does not hold. */
export async function concurrentStreams(bench: Bench, contenders: readonly Contender[]): Promise<{ paceMs: number; ramp: number[]; rows: RampRow[] }> {
  const paceMs = bench.quick ? CONCURRENT_PACE_MS.quick : CONCURRENT_PACE_MS.full;
  const ramp = [...(bench.quick ? RAMP.quick : RAMP.full)];
  const rows: RampRow[] = [];
  for (const c of contenders) {
    const row: RampRow = { name: c.name, steps: [] };
    for (const n of ramp) {
      const s = await step(bench, c, n, paceMs);
      row.steps.push(s);
      if (!s.holds) break;
      row.highest = n;
      if (s.rss !== undefined) row.rssAtHighest = s.rss;
      // Let the closed connections go before the next, larger step.
      await sleep(200);
    }
    rows.push(row);
  }
  return { paceMs, ramp, rows };
}

/** Both cells, in turn, over the same contenders. */
export async function streamFrames(bench: Bench, contenders: readonly Contender[]): Promise<StreamFramesResult> {
  const rows = await framesOneConnection(bench, contenders);
  const concurrent = await concurrentStreams(bench, contenders);
  return { oneConnection: { paceMs: ONE_CONNECTION_PACE_MS, rows }, concurrent };
}

/** The cells' tables. */
export function printStreamFrames(r: StreamFramesResult, nginx: string): void {
  const o = r.oneConnection;
  console.log(`\n12. stream frames at one connection: the chat stream paced at ${o.paceMs} ms a frame (${FRAMES} events), one stream at a time, every frame checked in order`);
  const ttft = overNginx(o.rows, nginx, (x) => x.addedTtft?.p50);
  const direct = o.rows.find((x) => x.name === "direct")?.run.gaps.gapMs;
  console.log(
    table(
      ["", "streams ok", "failed", "TTFB p50", "TTFT p50 ms", "TTFT p99 ms", "added TTFT p50", "added TTFT p99", "added TTFT p50 / nginx", "gap p50 ms", "gap p99 ms", "gap p99 − mock's", "bunched"],
      o.rows.map((x) => [
        x.name,
        num(x.run.ok),
        num(x.run.failed),
        num(x.run.ttfbMs.p50, 3),
        num(x.run.ttftMs.p50, 3),
        num(x.run.ttftMs.p99, 3),
        signed(x.addedTtft?.p50, 3),
        signed(x.addedTtft?.p99, 3),
        x.name === nginx || !ttft.has(x.name) ? "-" : `${ttft.get(x.name)!.toFixed(2)}×`,
        num(x.run.gaps.gapMs.p50, 3),
        num(x.run.gaps.gapMs.p99, 3),
        x.name === "direct" || !direct ? "-" : signed(x.run.gaps.gapMs.p99 - direct.p99, 3),
        pct(x.run.gaps.bunched),
      ]),
    ),
  );
  console.log(
    "  TTFT: sent → the first event carrying text (frame 1, which the mock writes one turn after the role frame); gap: between consecutive paced frames " +
      "(the direct row is the mock's own gap: its timer's jitter); bunched: gaps under a tenth of the pace (frames delivered together)",
  );
  for (const x of o.rows) if (x.run.errors.length > 0) console.log(`  ${x.name} failures: ${x.run.errors.join("; ")}`);
  const c = r.concurrent;
  console.log(`\n13. sustained concurrent streams: N streams at once, each paced at ${c.paceMs} ms a frame (${FRAMES} events), every frame checked in order; ramp ${c.ramp.map((n) => num(n)).join(" / ")}`);
  console.log(
    table(
      ["", "highest N held", "RSS at it", ...c.ramp.map((n) => `N=${num(n)}`)],
      c.rows.map((x) => [
        x.name,
        x.highest === undefined ? "none" : num(x.highest),
        mb(x.rssAtHighest),
        ...c.ramp.map((n) => {
          const s = x.steps.find((y) => y.streams === n);
          if (!s) return "-";
          const r = s.result;
          return s.holds ? `held, open ${num(r.openMs)} ms, gap p99 ${num(r.gaps.gapMs.p99, 1)} ms` : `${num(r.failed)} failed`;
        }),
      ]),
    ),
  );
  console.log(
    `  a step holds when every stream received every frame once, in order, and \`[DONE]\` within ${num(stepDeadlineMs(c.paceMs) / 1000, 1)} s of its send (1.5 × the stream's nominal length + 2 s); open: first send → every stream's first byte; ` +
      `streams open ${OPEN_BATCH} every ${OPEN_TICK_MS} ms (no burst overflows a listen queue); the load generator and the mock share CPU 0, so the direct row is the most this set-up can show; ` +
      "RSS: the largest sample during the step, of the process that served the earlier scenarios of this run (scenario 6 measures a fresh `aigw serve`)",
  );
  for (const x of c.rows) for (const s of x.steps) if (s.result.errors.length > 0) console.log(`  ${x.name} at N=${num(s.streams)}: ${s.result.errors.join("; ")}`);
}
