/**
 * bench/scenarios/health: scenario 8, a failing provider with and without a
 * health policy, same run. The route sends to `primary` (a flaky upstream
 * in this process) and falls back to `backup` (the mock upstream). For the
 * middle 80% of a fixed-rate, open-loop run the primary answers 503 after
 * 50 ms, as an overloaded provider does. Without a health policy every
 * request pays that failed first try; with `health upstream` (5 in a row
 * eject for 500 ms, doubling to 2 s) only the ejecting failures and the
 * half-open probes do. Reported: mean, p50 and p99 latency, upstream calls
 * per request, the primary's failed tries, and the gateway's CPU per
 * request.
 *
 * A third gateway runs the same health policy `shared` through a SQLite
 * state file (synced every 100 ms): what sharing costs end to end.
 *
 * Then the CPU cost of the state tracking itself, in this process,
 * interleaved: `decide` on the same request without health, and with a
 * health view plus the tracker's per-request work (the request's window,
 * the read, the reported outcome, the finish), per instance and with the
 * records shared (synced once through a store: the request path reads only
 * the local records, never the store), in alternating blocks.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileSources } from "../../compiler/index.js";
import { decide, prepare, type StateView } from "../../runtime/engine/index.js";
import { factsFromTestRequest } from "../../runtime/engine/facts.js";
import { HealthSharing, HealthTracker } from "../../runtime/health/index.js";
import { memoryStore } from "../../runtime/state/index.js";
import { hashKey } from "../../runtime/pipeline/auth.js";
import { ask } from "../children.js";
import type { UpstreamStats } from "../mock-upstream.js";
import { BENCH_KEY } from "../proxy-features.js";
import { healthPolicy, SHARED_SYNC_MS, startFlaky } from "../proxy-health.js";
import type { ChildMsg } from "../roles/protocol.js";
import { num, table } from "../table.js";
import { openRun, RATE, type Bench, type RateRun } from "./context.js";
import { startAigw, stop } from "./gateways.js";

/** How long the failing primary takes to answer 503. */
export const FAIL_DELAY_MS = 50;
/** Below the latency scenario's rate: the failing variant holds rate × 50 ms more requests in flight. */
export const HEALTH_RATE = RATE / 5;

export interface HealthRow {
  name: string;
  run: RateRun;
  /** Tries sent upstream (both targets) per request sent. */
  callsPerRequest: number;
  /** Tries the primary answered 503 during the run. */
  failedTries: number;
  /** Requests sent while the primary was failing. */
  sentWhileFailing: number;
}

export interface HealthResult {
  rate: number;
  seconds: number;
  failDelayMs: number;
  rows: HealthRow[];
  /** ns of CPU per request for decide alone, with the health view and tracker, and with them shared; the difference per instance. */
  tracking: { withoutNs: number; withNs: number; sharedNs: number; addedNs: number };
}

const upstreamStats = async (bench: Bench): Promise<UpstreamStats> => (await ask<ChildMsg, "stats">(bench.upstream.spawned, { type: "stats" }, "stats")).stats;

export async function health(bench: Bench): Promise<HealthResult> {
  const flaky = await startFlaky(FAIL_DELAY_MS);
  const seconds = bench.durations.rate;
  const rows: HealthRow[] = [];
  const stateDir = mkdtempSync(join(tmpdir(), "aigw-bench-health-"));
  try {
    for (const [name, args] of [
      ["no health policy", ["--flaky", flaky.base]],
      ["health upstream", ["--flaky", flaky.base, "--health"]],
      ["health upstream, shared (SQLite)", ["--flaky", flaky.base, "--health", "--shared", stateDir]],
    ] as const) {
      const gw = await startAigw(bench, name, bench.upstream.base, args);
      try {
        flaky.failing = false;
        await openRun(bench, gw.contender, { rate: HEALTH_RATE, seconds: bench.durations.warmRate, stream: false });
        const s0 = await upstreamStats(bench);
        const f0 = flaky.requests;
        const failed0 = flaky.failed;
        const on = setTimeout(() => (flaky.failing = true), seconds * 100);
        const off = setTimeout(() => (flaky.failing = false), seconds * 900);
        const run = await openRun(bench, gw.contender, { rate: HEALTH_RATE, seconds, stream: false });
        clearTimeout(on);
        clearTimeout(off);
        flaky.failing = false;
        const s1 = await upstreamStats(bench);
        const calls = flaky.requests - f0 + (s1.requests - s0.requests);
        rows.push({ name, run, callsPerRequest: run.sent > 0 ? calls / run.sent : NaN, failedTries: flaky.failed - failed0, sentWhileFailing: Math.round(HEALTH_RATE * seconds * 0.8) });
      } finally {
        await stop(bench, gw);
      }
    }
  } finally {
    await flaky.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
  return { rate: HEALTH_RATE, seconds, failDelayMs: FAIL_DELAY_MS, rows, tracking: await trackingCost(bench.quick ? 5 : 40) };
}

/** CPU ns per request of decide without and with health tracking, in alternating blocks; medians. */
export async function trackingCost(blocks: number): Promise<HealthResult["tracking"]> {
  const key = hashKey(BENCH_KEY);
  const graphOf = (on: boolean, shared?: string) => compileSources([{ path: "h.route", text: healthPolicy("http://127.0.0.1:1", "http://127.0.0.1:2", key, on, shared) }]).graph!;
  const plain = graphOf(false);
  const tracked = graphOf(true);
  const sharedGraph = graphOf(true, "unused.db");
  const p0 = prepare(plain);
  const p1 = prepare(tracked);
  const p2 = prepare(sharedGraph);
  const facts = factsFromTestRequest({ model: "chat", headers: {}, metadata: {} }, plain);
  const view: StateView = { budgetSpent: () => 0, limitUsed: () => 0, draw: () => 0.5 };
  const tracker = new HealthTracker(Date.now);
  // Shared: the records follow a store (synced once here); the request path is the same reads of local records.
  const sharedTracker = new HealthTracker(Date.now);
  const sharing = new HealthSharing(sharedTracker, memoryStore({ clock: Date.now }), "bench");
  sharedTracker.sharing = sharing;
  sharing.use(sharedGraph.health);
  sharing.stop();
  await sharing.sync();
  const OK = { ok: true } as const;
  const PER_BLOCK = 20_000;
  let sink = 0;
  const timeBlock = (f: () => void): number => {
    const t0 = process.cpuUsage();
    for (let i = 0; i < PER_BLOCK; i++) f();
    const t = process.cpuUsage(t0);
    return ((t.user + t.system) * 1000) / PER_BLOCK;
  };
  const without = (): void => {
    const d = decide(p0, facts, view);
    if (d.kind === "route") sink += d.plan.targets.length;
  };
  const withHealth = (): void => {
    const rh = tracker.request(tracked, 60_000);
    const d = decide(p1, facts, { ...view, health: rh.read });
    rh.tried("primary", OK);
    rh.finish();
    if (d.kind === "route") sink += d.plan.targets.length;
  };
  const withShared = (): void => {
    const rh = sharedTracker.request(sharedGraph, 60_000);
    const d = decide(p2, facts, { ...view, health: rh.read });
    rh.tried("primary", OK);
    rh.finish();
    if (d.kind === "route") sink += d.plan.targets.length;
  };
  const a: number[] = [];
  const b: number[] = [];
  const c: number[] = [];
  for (let i = 0; i < 3; i++) (timeBlock(without), timeBlock(withHealth), timeBlock(withShared));
  for (let i = 0; i < blocks; i++) {
    a.push(timeBlock(without));
    b.push(timeBlock(withHealth));
    c.push(timeBlock(withShared));
  }
  if (sink < 0) console.log(sink);
  const median = (xs: number[]): number => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  const withoutNs = median(a);
  const withNs = median(b);
  return { withoutNs, withNs, sharedNs: median(c), addedNs: withNs - withoutNs };
}

/** The scenario's table. */
export function printHealth(r: HealthResult): void {
  console.log(`\n8. a failing provider: ${num(r.rate)} req/s open loop for ${r.seconds} s; the primary answers 503 after ${r.failDelayMs} ms for the middle 80%, backup answers`);
  console.log(
    table(
      ["", "mean ms", "p50 ms", "p99 ms", "upstream calls/req", "primary 503s", "failed", "CPU µs/req"],
      r.rows.map((x) => [
        x.name,
        num(x.run.latencyMs.mean, 3),
        num(x.run.latencyMs.p50, 3),
        num(x.run.latencyMs.p99, 3),
        num(x.callsPerRequest, 3),
        `${x.failedTries} of ~${x.sentWhileFailing}`,
        String(x.run.failed),
        num(x.run.cpuUsPerRequest, 1),
      ]),
    ),
  );
  const t = r.tracking;
  console.log(
    `  state tracking, in process: decide ${num(t.withoutNs, 0)} ns/request without health, ${num(t.withNs, 0)} ns with the health view and tracker (+${num(t.addedNs, 0)} ns), ${num(t.sharedNs, 0)} ns with it shared (no store call per request: one sync per ${SHARED_SYNC_MS} ms, and one per ejection or close)`,
  );
}
