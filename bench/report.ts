/**
 * bench/report: the summary of `npm run bench`: each headline ratio or
 * figure with its target (issue 8) and "met" / "MISSED" ("-" where the
 * figure is for comparison only, or the scenario did not run), and the
 * results file, bench/results/latest.json.
 */
import type { CacheResult } from "./scenarios/cache.js";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import type { ApisResult } from "./scenarios/apis.js";
import type { FeaturesResult } from "./scenarios/features.js";
import type { HealthResult } from "./scenarios/health.js";
import type { LatencyResult } from "./scenarios/latency.js";
import { NGINX } from "./scenarios/gateways.js";
import { AIGW_EMBEDDED, AIGW_SERVE, type MemoryResult } from "./scenarios/memory.js";
import type { ScalingResult } from "./scenarios/scaling.js";
import type { StreamingResult } from "./scenarios/streaming.js";
import type { ThroughputResult } from "./scenarios/throughput.js";
import type { LimitsResult } from "./scenarios/limits.js";
import type { StreamFramesResult } from "./scenarios/stream-frames.js";
import type { WorkersResult } from "./scenarios/workers.js";
import { mb, num, signed, table } from "./table.js";

/** What the scenarios of one run produced (those that ran). */
export interface ScenarioResults {
  throughput?: ThroughputResult;
  latency?: LatencyResult;
  streaming?: StreamingResult;
  features?: FeaturesResult;
  scaling?: ScalingResult;
  memory?: MemoryResult;
  apis?: ApisResult;
  cache?: CacheResult;
  health?: HealthResult;
  limits?: LimitsResult;
  frames?: StreamFramesResult;
  workers?: WorkersResult;
}

/** One line of the summary. */
export interface SummaryRow {
  name: string;
  value: number | undefined;
  /** The value as printed. */
  shown: string;
  /** The target as printed, "" when there is none. */
  target: string;
  /** undefined: no target, or not measured. */
  met: boolean | undefined;
}

/** Issue 8's targets. */
export const TARGETS = {
  aigwOverPortkey: 15,
  rps: 15_000,
  cpuUsPerRequest: 60,
  addedP50Ms: 0.2,
  addedP99Ms: 1,
  addedTtfbMs: 0.5,
  featuresCost: 0.15,
  /** Issue 22: the usage ledger's share of a featured request's CPU. */
  ledgerCpuShare: 0.02,
  decidePerSecondAt1000: 1_000_000,
  decide10kOver10: 0.5,
  compile10kMs: 1_000,
  reloadMs: 100,
  rssOpenStreams: 150 * 1024 * 1024,
  /** Issue 20: ratios to nginx as a plain reverse proxy, same core, same run. */
  cpuOverNginx: 2.5,
  /** At one connection (scenario 10), as the independent board measures it. */
  addedP50OverNginx: 1.5,
  /** Two workers' throughput over one's, where the cores allow (not on a 2-core machine shared with the load). */
  twoWorkersOverOne: 1.6,
} as const;

const row = (name: string, value: number | undefined, shown: string, target = "", test?: (v: number) => boolean): SummaryRow => ({
  name,
  value,
  shown: value === undefined || !Number.isFinite(value) ? "-" : shown,
  target,
  met: value === undefined || !Number.isFinite(value) || test === undefined ? undefined : test(value),
});

/** The summary rows, in the order the issue lists them. */
export function summarize(r: ScenarioResults): SummaryRow[] {
  const out: SummaryRow[] = [];
  const t = TARGETS;
  const rps = (name: string) => r.throughput?.rows.find((x) => x.name === name)?.run;
  const aigw = rps("aigw");
  const portkey = rps("Portkey");
  const direct = rps("direct");
  if (r.throughput) {
    const ratio = aigw && portkey ? aigw.rps / portkey.rps : undefined;
    out.push(row("throughput aigw / Portkey (50 conn)", ratio, `${num(ratio, 1)}×`, `≥ ${t.aigwOverPortkey}×`, (v) => v >= t.aigwOverPortkey));
    out.push(row("throughput aigw, req/s on one core", aigw?.rps, num(aigw?.rps), `≥ ${num(t.rps)}`, (v) => v >= t.rps));
    out.push(row("aigw CPU per proxied request", aigw?.cpuUsPerRequest, `${num(aigw?.cpuUsPerRequest, 1)} µs`, `≤ ${t.cpuUsPerRequest} µs`, (v) => v <= t.cpuUsPerRequest));
    const overDirect = aigw && direct ? aigw.rps / direct.rps : undefined;
    out.push(row("throughput aigw / direct", overDirect, `${num(overDirect, 2)}×`));
    const pkOverDirect = portkey && direct ? portkey.rps / direct.rps : undefined;
    out.push(row("throughput Portkey / direct", pkOverDirect, `${num(pkOverDirect, 3)}×`));
    const nginx = [...r.throughput.rows, ...r.throughput.references].find((x) => x.name === NGINX)?.run;
    const overNginx = aigw?.cpuUsPerRequest && nginx?.cpuUsPerRequest ? aigw.cpuUsPerRequest / nginx.cpuUsPerRequest : undefined;
    out.push(row(`aigw CPU per request / nginx's (${num(nginx?.cpuUsPerRequest, 1)} µs), issue 20`, overNginx, `${num(overNginx, 2)}×`, `≤ ${t.cpuOverNginx}×`, (v) => v <= t.cpuOverNginx));
  }
  if (r.latency) {
    const lat = r.latency;
    const a = lat.rows.find((x) => x.name === "aigw");
    const at = `@ ${num(lat.rate)} req/s`;
    const sat = a?.saturated ? " (saturated)" : "";
    out.push(row(`added latency p50 aigw ${at}`, a?.added?.p50, `${signed(a?.added?.p50, 3)} ms${sat}`, `≤ ${t.addedP50Ms} ms`, (v) => !a?.saturated && v <= t.addedP50Ms));
    out.push(row(`added latency p99 aigw ${at}`, a?.added?.p99, `${signed(a?.added?.p99, 3)} ms${sat}`, `≤ ${t.addedP99Ms} ms`, (v) => !a?.saturated && v <= t.addedP99Ms));
    // A saturated peer's figure at the full rate is its backlog, not its latency: show it at the lower rate.
    const p = lat.rows.find((x) => x.name === "Portkey");
    const pLow = p?.saturated ? lat.low?.rows.find((x) => x.name === "Portkey") : undefined;
    const pick = pLow ?? p;
    const pAt = pLow ? `(saturated ${at}) @ ${num(lat.low!.rate)} req/s` : at;
    out.push(row(`added latency p50 Portkey ${pAt}`, pick?.added?.p50, `${signed(pick?.added?.p50, 3)} ms`));
    out.push(row(`added latency p99 Portkey ${pAt}`, pick?.added?.p99, `${signed(pick?.added?.p99, 3)} ms`));
    // The floor: what a bare relay on the same core adds; a target below it is out of reach in this set-up.
    const ng = [...lat.rows, ...lat.references].find((x) => x.name === NGINX);
    const overNginx = a?.added && ng?.added && !a.saturated && !ng.saturated ? a.added.p50 / ng.added.p50 : undefined;
    // For comparison: the target is on the one-connection figure (scenario 10), as the board measures it.
    out.push(row(`added latency p50 aigw / nginx's (${signed(ng?.added?.p50, 3)} ms) ${at}, issue 20`, overNginx, `${num(overNginx, 2)}×`));
    const floor = lat.references.find((x) => x.name.startsWith("floor"))?.added;
    if (floor) out.push(row(`added latency p50 / p99 bare-relay floor ${at}`, floor.p50, `${signed(floor.p50, 3)} / ${signed(floor.p99, 3)} ms`));
  }
  if (r.streaming) {
    const a = r.streaming.rows.find((x) => x.name === "aigw")?.addedTtfb;
    const p = r.streaming.rows.find((x) => x.name === "Portkey")?.addedTtfb;
    out.push(row("added TTFB p50 aigw (SSE)", a?.p50, `${signed(a?.p50, 3)} ms`, `≤ ${t.addedTtfbMs} ms`, (v) => v <= t.addedTtfbMs));
    out.push(row("added TTFB p50 Portkey (SSE)", p?.p50, `${signed(p?.p50, 3)} ms`));
  }
  if (r.features) {
    const c = r.features.costShare;
    out.push(row("features-on throughput cost", c, `${(c * 100).toFixed(1)}%`, `≤ ${t.featuresCost * 100}%`, (v) => v <= t.featuresCost));
    const l = r.features.ledger;
    if (l !== undefined) {
      const share = l.ratio - 1;
      out.push(row(`usage ledger CPU per request (paired median, ${signed(l.addedUs, 1)} µs), issue 22`, share, `${(share * 100).toFixed(1)}%`, `≤ ${t.ledgerCpuShare * 100}%`, (v) => v <= t.ledgerCpuShare));
    }
  }
  if (r.scaling) {
    const at = (n: number) => r.scaling!.decide.find((x) => x.routes === n);
    const d1k = at(1_000)?.decisionsPerSecond;
    out.push(row("decide/s at 1,000 routes", d1k, num(d1k), `≥ ${num(t.decidePerSecondAt1000)}`, (v) => v >= t.decidePerSecondAt1000));
    const ratio = at(10_000)?.ratioTo10;
    out.push(row("decide/s 10,000 routes / 10 routes", ratio, `${num(ratio, 2)}×`, `≥ ${t.decide10kOver10}×`, (v) => v >= t.decide10kOver10));
    const c10k = r.scaling.compile.find((x) => x.routes === 10_000)?.totalMs;
    out.push(row("compile 10,000 routes (issue 2)", c10k, `${num(c10k)} ms`, `< ${num(t.compile10kMs)} ms`, (v) => v < t.compile10kMs));
    const live = r.scaling.reload.modes[0]?.liveMsMedian;
    out.push(row("hot reload at 1,000 routes, --watch (issue 6)", live, `${num(live)} ms`, `< ${t.reloadMs} ms`, (v) => v < t.reloadMs));
  }
  if (r.memory) {
    const a = r.memory.rows.find((x) => x.name === AIGW_SERVE);
    const e = r.memory.rows.find((x) => x.name === AIGW_EMBEDDED);
    const p = r.memory.rows.find((x) => x.name === "Portkey");
    const n = num(r.memory.streams);
    out.push(row("aigw serve RSS idle", a?.idleRss, mb(a?.idleRss)));
    // The target only counts when every stream was really open.
    const aOpen = a && a.opened === r.memory.streams ? a.openRss : undefined;
    out.push(row(`aigw serve RSS with ${n} open streams`, aOpen, mb(aOpen), `< ${mb(t.rssOpenStreams)}`, (v) => v < t.rssOpenStreams));
    if (e) out.push(row(`aigw startGateway alone, RSS idle / ${n} open`, e.openRss, `${mb(e.idleRss)} / ${mb(e.openRss)}`));
    out.push(row("Portkey RSS idle", p?.idleRss, mb(p?.idleRss)));
    out.push(row(`Portkey RSS with ${n} open streams`, p?.openRss, `${mb(p?.openRss)}${p && p.opened < r.memory.streams ? ` (${p.opened} opened)` : ""}`));
  }
  if (r.limits) out.push(...limitsRows(r.limits));
  if (r.frames) out.push(...framesRows(r.frames));
  if (r.workers && r.workers.scaling !== undefined) {
    // On a machine whose cores the load shares, the target cannot be judged: shown, not marked.
    const free = r.workers.note.startsWith("two workers are given");
    out.push(row(`throughput 2 workers / 1, issue 20${free ? "" : " (cores shared with the load)"}`, r.workers.scaling, `${num(r.workers.scaling, 2)}×`, `≥ ${t.twoWorkersOverOne}× where cores allow`, free ? (v) => v >= t.twoWorkersOverOne : undefined));
  }
  if (r.apis) {
    // Issue 16: the other inbound APIs against chat in, same gateway, same run; for comparison (no target).
    for (const x of r.apis.rows) {
      if (x.cpuOverChat === undefined || x.name.startsWith("chat in")) continue;
      out.push(row(`CPU per request ${x.name}${x.stream ? ", stream" : ""} / chat in's, issue 16`, x.cpuOverChat, `${num(x.cpuOverChat, 2)}× (${num(x.run.cpuUsPerRequest, 1)} µs)`));
    }
  }
  return out;
}

/** A ratio of two figures of one run, undefined unless both are positive. */
const ratioOf = (a: number | undefined, b: number | undefined): number | undefined => (a !== undefined && b !== undefined && b > 0 && Number.isFinite(a) ? a / b : undefined);

/** Issue 20's one-connection and rate-bound cells, as ratios to nginx's from the same run. */
function limitsRows(l: LimitsResult): SummaryRow[] {
  const t = TARGETS;
  const one = (name: string) => l.oneConnection.find((x) => x.name === name)?.added;
  const [a, n, p] = [one("aigw"), one(NGINX), one("Portkey")];
  const out: SummaryRow[] = [];
  const p50 = ratioOf(a?.p50, n?.p50);
  out.push(row(`added p50 at one connection aigw / nginx's (${signed(a?.p50, 3)} / ${signed(n?.p50, 3)} ms), issue 20`, p50, `${num(p50, 2)}×`, `≤ ${t.addedP50OverNginx}×`, (v) => v <= t.addedP50OverNginx));
  const p99 = ratioOf(a?.p99, n?.p99);
  out.push(row(`added p99 at one connection aigw / nginx's (${signed(a?.p99, 3)} / ${signed(n?.p99, 3)} ms)`, p99, `${num(p99, 2)}×`));
  const pk = ratioOf(p?.p50, n?.p50);
  out.push(row(`added p50 at one connection Portkey / nginx's (${signed(p?.p50, 3)} ms)`, pk, `${num(pk, 1)}×`));
  const best = (name: string) => l.rateUnderP99.rows.find((x) => x.name === name)?.search;
  const [ab, nb] = [best("aigw"), best(NGINX)];
  const shown = (s: typeof ab): string => (s === undefined ? "-" : s.best === undefined ? "none" : `${num(s.best)}${s.capped ? "+" : ""}`);
  const rate = ratioOf(ab?.best, nb?.best);
  out.push(row(`highest rate with p99 < ${l.rateUnderP99.boundMs} ms, aigw / nginx (${shown(ab)} / ${shown(nb)} req/s)`, rate, `${num(rate, 2)}×`));
  return out;
}

/** Issue 20's stream cells. */
function framesRows(f: StreamFramesResult): SummaryRow[] {
  const one = (name: string) => f.oneConnection.rows.find((x) => x.name === name);
  const [d, a, n] = [one("direct"), one("aigw"), one(NGINX)];
  const out: SummaryRow[] = [];
  const ttft = ratioOf(a?.addedTtft?.p50, n?.addedTtft?.p50);
  out.push(row(`added TTFT p50 at one connection aigw / nginx's (${signed(a?.addedTtft?.p50, 3)} / ${signed(n?.addedTtft?.p50, 3)} ms)`, ttft, `${num(ttft, 2)}×`));
  const gap = a && d ? a.run.gaps.gapMs.p99 - d.run.gaps.gapMs.p99 : undefined;
  out.push(row(`frame gap p99 aigw − the mock's own (${num(d?.run.gaps.gapMs.p99, 3)} ms at a ${f.oneConnection.paceMs} ms pace)`, gap, `${signed(gap, 3)} ms`));
  const held = (name: string) => f.concurrent.rows.find((x) => x.name === name);
  for (const name of ["aigw", NGINX, "Portkey"]) {
    const h = held(name);
    if (!h) continue;
    out.push(row(`sustained concurrent streams, no dropped frame: ${name} (RSS at it)`, h.highest ?? 0, h.highest === undefined ? "none" : `${num(h.highest)} (${mb(h.rssAtHighest)})`));
  }
  return out;
}

/** Prints the summary table. */
export function printSummary(rows: readonly SummaryRow[], quick: boolean): void {
  console.log(`\nsummary (targets of issue 8 unless noted; "-": for comparison, no target)${quick ? "; --quick: short phases, indicative only" : ""}`);
  console.log(table(["", "value", "target", ""], rows.map((r) => [r.name, r.shown, r.target, r.met === undefined ? "-" : r.met ? "met" : "MISSED"])));
  const missed = rows.filter((r) => r.met === false).length;
  const met = rows.filter((r) => r.met === true).length;
  console.log(`  ${met} met, ${missed} missed`);
}

/** bench/results/ in the repository (this file runs from dist/bench/). */
const RESULTS_DIR = fileURLToPath(new URL("../../bench/results/", import.meta.url));

/** The default results file, bench/results/latest.json. */
export const LATEST = `${RESULTS_DIR}latest.json`;

/** Writes `results` to `file` (through a temporary file, so a reader never sees half of it); returns the path. */
export function writeResults(results: unknown, file = LATEST): string {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, `${JSON.stringify(results, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
  return file;
}
