/**
 * bench/scenarios/features: scenario 4, aigw with its features on vs off.
 * The same closed-loop load with the ~1 KB prompt (which carries an email)
 * through (a) a bare route, metrics off, no state store, and (b) the same
 * route with a per-key budget, a per-key rate limit (requests and tokens),
 * the PII guardrail redacting on input and the Prometheus metrics, state in
 * SQLite in a fresh temporary directory, and (c) the same with the state
 * in memory (what the SQLite store's durability costs). One gateway after the other on the
 * gateway core, each warmed first (so the tokenizer is loaded). The mock
 * upstream counts the requests that still carry the email: 0 with the
 * guardrail shows the redaction happened. Then (d) the usage ledger's cost,
 * paired: the featured gateway with and without it (ledger-cost.ts).
 */
import { ask } from "../children.js";
import type { ChildMsg } from "../roles/protocol.js";
import type { UpstreamStats } from "../mock-upstream.js";
import { num, pct, signed, table } from "../table.js";
import { closedRun, CONNECTIONS, type Bench, type MaxRun } from "./context.js";
import { startAigw, stop } from "./gateways.js";
import { slug } from "./throughput.js";
import { ledgerCost, type LedgerCost } from "./ledger-cost.js";

export interface FeatureRow {
  name: string;
  run: MaxRun;
  /** Requests the upstream received during the measured run, and how many still carried the email. */
  upstreamRequests: number;
  emailSeen: number;
}

export interface FeaturesResult {
  promptBytes: number;
  bare: FeatureRow;
  featured: FeatureRow;
  /** The same features with `state memory`. */
  inMemory?: FeatureRow;
  /** Featured req/s over bare req/s. */
  throughputRatio: number;
  /** 1 − the ratio: the share of throughput the features cost. */
  costShare: number;
  addedCpuUs?: number;
  /** The usage ledger on the featured gateway, paired with and without. */
  ledger?: LedgerCost;
}

const upstreamStats = async (bench: Bench): Promise<UpstreamStats> => (await ask<ChildMsg, "stats">(bench.upstream.spawned, { type: "stats" }, "stats")).stats;

/** Measures the bare gateway, then the featured one. */
export async function features(bench: Bench): Promise<FeaturesResult> {
  const stateDir = bench.group.tempDir("aigw-bench-features-");
  const d = bench.durations;
  const one = async (name: string, args: string[]): Promise<FeatureRow> => {
    const gw = await startAigw(bench, name, bench.upstream.base, args);
    try {
      await closedRun(bench, gw.contender, d.warmMax);
      const s0 = await upstreamStats(bench);
      const run = await closedRun(bench, gw.contender, d.max, `features-${slug(name)}`);
      const s1 = await upstreamStats(bench);
      return { name, run, upstreamRequests: s1.requests - s0.requests, emailSeen: s1.withNeedle - s0.withNeedle };
    } finally {
      await stop(bench, gw);
    }
  };
  try {
    const bare = await one("bare route", ["--no-metrics"]);
    const featured = await one("budget + limit + pii + metrics", ["--features", stateDir]);
    const inMemory = await one("the same, state memory", ["--features", "memory"]);
    const throughputRatio = featured.run.rps / bare.run.rps;
    const out: FeaturesResult = { promptBytes: Buffer.byteLength(bench.body), bare, featured, inMemory, throughputRatio, costShare: 1 - throughputRatio };
    if (bare.run.cpuUsPerRequest !== undefined && featured.run.cpuUsPerRequest !== undefined) out.addedCpuUs = featured.run.cpuUsPerRequest - bare.run.cpuUsPerRequest;
    out.ledger = await ledgerCost(bench, (name) => `${stateDir}/${name}`);
    return out;
  } finally {
    bench.group.removeDir(stateDir);
  }
}

/** The scenario's table. */
export function printFeatures(r: FeaturesResult): void {
  console.log(`\n4. aigw features on vs off: ${CONNECTIONS} connections, closed loop, ${r.promptBytes} B body with an email; state sqlite in a temp dir`);
  console.log(
    table(
      ["", "req/s", "CPU µs/req", "errors", "process busy", "upstream saw the email"],
      [r.bare, r.featured, ...(r.inMemory ? [r.inMemory] : [])].map((x) => [x.name, num(x.run.rps), num(x.run.cpuUsPerRequest, 1), String(x.run.errors), pct(x.run.processBusy), `${x.emailSeen}/${x.upstreamRequests}`]),
    ),
  );
  console.log(
    `  features on: ${(r.throughputRatio * 100).toFixed(1)}% of the bare throughput (cost ${(r.costShare * 100).toFixed(1)}%), ` +
      `${signed(r.addedCpuUs, 1)} µs CPU per request`,
  );
  const m = r.inMemory;
  if (m !== undefined && m.run.cpuUsPerRequest !== undefined && r.bare.run.cpuUsPerRequest !== undefined) {
    console.log(
      `  with state memory: ${((m.run.rps / r.bare.run.rps) * 100).toFixed(1)}% of the bare throughput, ` +
        `${signed(m.run.cpuUsPerRequest - r.bare.run.cpuUsPerRequest, 1)} µs CPU per request (the rest is the SQLite store's transactions)`,
    );
  }
  const l = r.ledger;
  if (l !== undefined) {
    console.log(
      `  usage ledger (paired, ${l.pairs} pairs of ${l.secondsPerRun} s, ABBA): ${num(l.withoutUs, 1)} → ${num(l.withUs, 1)} µs CPU per request, ` +
        `median ${signed(l.addedUs, 1)} µs (×${l.ratio.toFixed(3)}, quartiles ${l.ratioQuartiles[0].toFixed(3)}–${l.ratioQuartiles[1].toFixed(3)}); ledger + ring record() alone ${l.recordNs.toFixed(0)} ns CPU`,
    );
  }
}
