/**
 * bench/scenarios/ledger-cost: what the usage ledger costs a request, part
 * of scenario 4 (features). Two gateways run at once on the gateway core,
 * both with the features (budget, limit, PII guardrail, metrics, SQLite
 * state), one with the usage ledger (`--usage`: the per-request Map
 * increment, the recent-requests ring, the flush to SQLite every 5 s);
 * the same closed-loop load goes to one, then the other, in ABBA order, so
 * a change in the machine's load hits both alike. Each pair yields the CPU
 * µs per request of both; the result is the median of the per-pair
 * differences and ratios. Beside it, the hot-path part alone: the ledger's
 * and the ring's `record()`, CPU time (not wall time: the machine may be
 * busy) in this process over realistic finished requests.
 */
import { compileSources } from "../../compiler/index.js";
import { RecentRequests, type FinishedRequest, type RequestView } from "../../runtime/observe/index.js";
import { hashKey } from "../../runtime/pipeline/auth.js";
import { memoryUsageStore, UsageLedger } from "../../runtime/usage/index.js";
import { BENCH_KEY, benchPolicy } from "../proxy-features.js";
import { percentile } from "../stats.js";
import { closedRun, type Bench } from "./context.js";
import { startAigw, stop } from "./gateways.js";

export interface LedgerCost {
  pairs: number;
  secondsPerRun: number;
  /** CPU µs per request without and with the ledger, summed over the pairs. */
  withoutUs: number;
  withUs: number;
  /** Median over the pairs of (with − without), µs per request. */
  addedUs: number;
  /** Median over the pairs of with / without. */
  ratio: number;
  ratioQuartiles: [number, number];
  /** What the request path does for the ledger alone — `UsageLedger.record` and the recent-requests ring — CPU ns per request, in the bench process. */
  recordNs: number;
}

/** Runs the paired measurement; `stateDir` holds both gateways' SQLite files (each its own subdirectory). */
export async function ledgerCost(bench: Bench, stateDir: (name: string) => string): Promise<LedgerCost> {
  const quick = bench.durations.max <= 1;
  const pairs = quick ? 2 : 6;
  const seconds = quick ? 1 : Math.max(2, Math.round(bench.durations.max / 4));
  const without = await startAigw(bench, "features, no ledger", bench.upstream.base, ["--features", stateDir("a")]);
  const withLedger = await startAigw(bench, "features + usage ledger", bench.upstream.base, ["--features", stateDir("b"), "--usage"]);
  try {
    for (const g of [without, withLedger]) await closedRun(bench, g.contender, bench.durations.warmMax);
    const diffs: number[] = [];
    const ratios: number[] = [];
    let sumWithout = 0;
    let sumWith = 0;
    for (let i = 0; i < pairs; i++) {
      const order = i % 2 === 0 ? [without, withLedger] : [withLedger, without];
      const cpu = new Map<string, number>();
      for (const g of order) {
        const run = await closedRun(bench, g.contender, seconds);
        if (run.cpuUsPerRequest === undefined) throw new Error(`${g.contender.name}: its CPU time cannot be read`);
        cpu.set(g.contender.name, run.cpuUsPerRequest);
      }
      const a = cpu.get(without.contender.name)!;
      const b = cpu.get(withLedger.contender.name)!;
      sumWithout += a;
      sumWith += b;
      diffs.push(b - a);
      ratios.push(b / a);
    }
    diffs.sort((x, y) => x - y);
    ratios.sort((x, y) => x - y);
    return {
      pairs,
      secondsPerRun: seconds,
      withoutUs: sumWithout / pairs,
      withUs: sumWith / pairs,
      addedUs: percentile(diffs, 50),
      ratio: percentile(ratios, 50),
      ratioQuartiles: [percentile(ratios, 25), percentile(ratios, 75)],
      recordNs: recordCost(),
    };
  } finally {
    await stop(bench, without);
    await stop(bench, withLedger);
  }
}

/** CPU ns per request of the ledger's and the ring's `record()` on the bench's featured request (its cell exists after the first call, as under load). */
export function recordCost(calls = 200_000): number {
  const graph = compileSources([{ path: "bench.route", text: benchPolicy("mock", hashKey(BENCH_KEY), "memory") }]).graph!;
  const view: RequestView = {
    requestId: "req_bench",
    attempts: [{ model: "mini", cause: "ok", retry: 0 }] as RequestView["attempts"],
    status: 200,
    redacted: [{ guardrail: "pii", rule: 0, by: "email", count: 1 }],
    flagged: [],
    tries: [],
    caller: { key: hashKey(BENCH_KEY), team: "bench" },
    team: "bench",
    route: "chat",
    target: "mini",
    request: { api: "openai.chat" } as RequestView["request"],
  };
  const f: FinishedRequest = {
    graph,
    prepared: {} as FinishedRequest["prepared"],
    method: "POST",
    path: "/v1/chat/completions",
    view,
    written: { status: 200, aborted: false },
    status: 200,
    totalMs: 1.2,
    ttfbMs: 1.1,
    upstreamMs: 0.9,
    overheadMs: 0.3,
    usage: { promptTokens: 230, completionTokens: 64 },
    cost: undefined,
    saved: undefined,
  };
  const ledger = new UsageLedger({ store: memoryUsageStore(), clock: Date.now, retentionMs: () => 86_400_000, flushMs: 0 });
  const recent = new RecentRequests();
  // Distinct request ids, as the ring sees them; made before the clock starts.
  const requests = Array.from({ length: calls }, (_, i) => ({ ...f, view: { ...view, requestId: `req_bench_${i}` } }));
  for (let i = 0; i < 10_000; i++) {
    ledger.record(requests[i]!);
    recent.record(requests[i]!);
  }
  const c0 = process.cpuUsage();
  for (const r of requests) {
    ledger.record(r);
    recent.record(r);
  }
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) * 1000) / calls;
}
