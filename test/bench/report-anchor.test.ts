/**
 * bench/report: the summary carries issue 20's two targets as ratios to
 * nginx from the same run (CPU per proxied request at 50 connections, added
 * p50 at one connection), wherever nginx's row sits, and marks them met or
 * missed; the one-connection, rate, frame and concurrency cells appear as
 * ratios or figures next to them.
 */
import { describe, expect, it } from "vitest";
import { summarize, TARGETS, type ScenarioResults } from "../../bench/report.js";
import { NGINX } from "../../bench/scenarios/gateways.js";
import type { LimitsResult } from "../../bench/scenarios/limits.js";
import type { MaxRun } from "../../bench/scenarios/context.js";
import { percentiles } from "../../bench/stats.js";

const run = (rps: number, cpuUsPerRequest?: number): MaxRun => ({ rps, requests: rps * 10, errors: 0, seconds: 10, generator: "wrk", ...(cpuUsPerRequest ? { cpuUsPerRequest } : {}) });
const serial = (ms: number) => ({ requests: 1000, errors: 0, seconds: 1, latencyMs: percentiles([ms, ms, ms]), cpuUs: 0, failures: [] });

const limits: LimitsResult = {
  oneConnection: [
    { name: "direct", run: serial(0.1) },
    { name: NGINX, run: serial(0.2), added: { p50: 0.1, p99: 0.2 } },
    { name: "aigw", run: serial(0.25), added: { p50: 0.14, p99: 0.5 } },
  ],
  rateUnderP99: {
    boundMs: 1,
    rows: [
      { name: NGINX, search: { best: 8_000, capped: false, probes: [] } },
      { name: "aigw", search: { best: 4_000, capped: false, probes: [] } },
    ],
  },
};

describe("the summary's nginx anchor", () => {
  it("prints CPU per request and added p50 at one connection over nginx's, with their targets", () => {
    const r: ScenarioResults = { throughput: { rows: [{ name: "direct", run: run(50_000) }, { name: NGINX, run: run(40_000, 20) }, { name: "aigw", run: run(15_000, 60) }], references: [] }, limits };
    const rows = summarize(r);
    const cpu = rows.find((x) => x.name.startsWith("aigw CPU per request / nginx's"))!;
    expect(cpu).toMatchObject({ value: 3, shown: "3.00×", target: `≤ ${TARGETS.cpuOverNginx}×`, met: false });
    const p50 = rows.find((x) => x.name.startsWith("added p50 at one connection aigw / nginx's"))!;
    expect(p50.value).toBeCloseTo(1.4);
    expect(p50).toMatchObject({ target: `≤ ${TARGETS.addedP50OverNginx}×`, met: true });
    const rate = rows.find((x) => x.name.startsWith("highest rate with p99 < 1 ms"))!;
    expect(rate).toMatchObject({ value: 0.5, met: undefined });
  });

  it("finds nginx among the reference rows too, and shows '-' without it", () => {
    const withRef = summarize({ throughput: { rows: [{ name: "aigw", run: run(15_000, 45) }], references: [{ name: NGINX, run: run(40_000, 20) }] } });
    expect(withRef.find((x) => x.name.startsWith("aigw CPU per request / nginx's"))).toMatchObject({ value: 2.25, met: true });
    const without = summarize({ throughput: { rows: [{ name: "aigw", run: run(15_000, 45) }], references: [] } });
    expect(without.find((x) => x.name.startsWith("aigw CPU per request / nginx's"))).toMatchObject({ shown: "-", met: undefined });
  });
});
