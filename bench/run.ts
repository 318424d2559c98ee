/**
 * bench/run: `npm run bench`, aigw measured against the direct path and
 * against Portkey's open-source gateway, on this machine, in one run and
 * one process tree (issue 8). Scenarios, each for every contender back to
 * back:
 *
 *   1. throughput   req/s at 50 connections, CPU µs per request (wrk)
 *   2. latency      p50/p90/p99 at 1,000 req/s, open loop; added = contender − direct
 *   3. streaming    TTFB and total time of a 50-chunk SSE response
 *   4. features     aigw with budget + rate limit + PII guardrail + metrics vs a bare route
 *   5. scaling      decide/s and compile time at 10–10,000 routes, hot reload at 1,000
 *   6. memory       RSS idle and with 1,000 open streams
 *   7. apis         Messages in and Responses in next to chat in, passed through and translated: req/s and CPU µs per request, JSON and SSE
 *   8. health       a provider failing 503 for a period, with and without a health policy: mean/p99 latency, upstream calls per request, tracking CPU
 *   9. cache        a 50% repeated-request mix without and with the response cache: req/s, upstream calls saved, hit vs miss latency, memory per entry
 *  10–11. limits    added p50/p99 at one connection; the highest rate with p99 under 1 ms (issue 20)
 *  12–13. frames    time to first token and frame gaps of a paced stream at one connection; sustained concurrent streams with no dropped frame, and RSS (issue 20)
 *  14. workers      `aigw serve --workers 1` and `2`: req/s and CPU per request (when this build has the option)
 *
 * nginx as a plain reverse proxy (bench/nginx.ts) is a contender of 1–3 and
 * 10–13 next to aigw and Portkey: the proxy limit the summary's ratios are
 * read against.
 * then a summary of the ratios against their targets, and
 * bench/results/latest.json. Each gateway runs alone on CPU 1, the load
 * generator and the mock upstream on CPU 0. Portkey is installed into
 * bench/.peers on first use (bench/peers.ts), wrk with apt-get if missing.
 *
 * Run: `npm run bench -- [--quick] [--only throughput,latency,…]
 * [--no-portkey] [--references | --no-references] [--profile DIR]
 * [--access-log] [--out FILE]`. `--quick` runs every scenario briefly (about a minute and a half);
 * `--references` (default in a full run) adds aigw on its built-in mock
 * provider and a bare relay to scenarios 1 and 2; `--profile DIR` writes a
 * V8 CPU profile of aigw over each of its measured closed-loop runs
 * (scenarios 1, 4 and 7; sampling slows it down, so the figures of a profiled
 * run are not comparable); `--access-log` turns aigw's
 * access log on (formatted, written nowhere); `--out` writes the results
 * elsewhere than bench/results/latest.json.
 */
import { cache, printCache } from "./scenarios/cache.js";
import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { nextMessage, ProcessGroup } from "./children.js";
import { ensureWrk } from "./load/wrk.js";
import { ensurePeers, type Peers } from "./peers.js";
import { BENCH_KEY, FEATURE_EMAIL, featurePrompt } from "./proxy-features.js";
import { printSummary, summarize, writeResults, type ScenarioResults } from "./report.js";
import type { ChildMsg } from "./roles/protocol.js";
import { CONNECTIONS, FULL, GATEWAY_CPU, LOAD_CPU, OPEN_STREAMS, QUICK, RATE, STREAM_RATE, type Bench, type Contender } from "./scenarios/context.js";
import { apis, printApis } from "./scenarios/apis.js";
import { health, printHealth } from "./scenarios/health.js";
import { features, printFeatures } from "./scenarios/features.js";
import { direct, startAigw, startPortkeyContender, stop, type Running } from "./scenarios/gateways.js";
import { latency, printLatency } from "./scenarios/latency.js";
import { memory, printMemory } from "./scenarios/memory.js";
import { printScaling, scaling } from "./scenarios/scaling.js";
import { printStreaming, streaming } from "./scenarios/streaming.js";
import { printThroughput, throughput } from "./scenarios/throughput.js";
import { limits, printLimits } from "./scenarios/limits.js";
import { printStreamFrames, streamFrames } from "./scenarios/stream-frames.js";
import { printWorkers, workers } from "./scenarios/workers.js";
import { ensureNginx } from "./nginx.js";
import { NGINX, startNginxContender } from "./scenarios/gateways.js";
import { loadAverageNow, machineInfo, type MachineInfo } from "./system.js";

const SCENARIOS = ["throughput", "latency", "streaming", "features", "scaling", "memory", "apis", "health", "cache", "limits", "frames", "workers"] as const;
/** The scenarios that share one set of running contenders (direct, nginx, aigw, Portkey). */
const SHARED: readonly Scenario[] = ["throughput", "latency", "streaming", "limits", "frames"];
type Scenario = (typeof SCENARIOS)[number];

interface Options {
  quick: boolean;
  only: Set<Scenario>;
  portkey: boolean;
  references: boolean;
  profile?: string;
  accessLog: boolean;
  out?: string;
}

const USAGE = `usage: npm run bench -- [options]
  --only a,b        run only these scenarios (${SCENARIOS.join(", ")})
  --quick           short phases: a smoke test, not a measurement
  --no-portkey      skip the Portkey contender
  --references      add the reference rows (bare relay, built-in mock); on by default unless --quick
  --no-references   skip them
  --access-log      aigw writes its access log (formatted, discarded)
  --profile DIR     V8 CPU profiles of aigw's measured closed-loop runs into DIR
  --out FILE        also write the results as JSON to FILE
  --help            this text`;

function parseOptions(argv: readonly string[]): Options {
  const value = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i < 0 ? undefined : argv[i + 1];
  };
  const known = new Set(["--only", "--quick", "--no-portkey", "--references", "--no-references", "--access-log", "--profile", "--out"]);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!known.has(a)) throw new Error(`unknown option \`${a}\`\n${USAGE}`);
    if (a === "--only" || a === "--profile" || a === "--out") i++;
  }
  const only = value("--only")?.split(",") ?? [...SCENARIOS];
  for (const s of only) if (!(SCENARIOS as readonly string[]).includes(s)) throw new Error(`unknown scenario \`${s}\` (one of ${SCENARIOS.join(", ")})`);
  const quick = argv.includes("--quick");
  const profile = value("--profile");
  const out = value("--out");
  return {
    quick,
    only: new Set(only as Scenario[]),
    portkey: !argv.includes("--no-portkey"),
    references: argv.includes("--references") || (!quick && !argv.includes("--no-references")),
    ...(profile ? { profile } : {}),
    accessLog: argv.includes("--access-log"),
    ...(out ? { out: resolve(out) } : {}),
  };
}

/** The method, as the output header states it. */
function printHeader(o: Options, m: MachineInfo, bench: Bench, peers: Peers | undefined, peersProblem: string | undefined): void {
  const pinned = bench.group.pinning;
  console.log(`npm run bench${o.quick ? " --quick (short phases: a smoke test, not a measurement)" : ""}  ${m.date}`);
  console.log(`machine: ${m.cpuModel}, ${m.cpuCount} CPUs, node ${m.node}, ${m.kernel}; load average before ${m.loadAverage.before.join(" ")} (1/5/15 min)`);
  console.log("method:");
  console.log(
    pinned
      ? `  cores: each gateway alone on CPU ${GATEWAY_CPU} (taskset -c ${GATEWAY_CPU}); load generator, mock upstream and this orchestrator on CPU ${LOAD_CPU} (taskset -c ${LOAD_CPU})`
      : "  cores: NOT pinned (taskset not found): gateway, load and upstream share every core",
  );
  console.log(
    bench.wrk.available
      ? `  load: wrk, 1 thread, ${CONNECTIONS} connections, for the closed-loop scenarios (1, 4, 7): C and epoll cost far less CPU per request than a Node generator, so the direct baseline is not capped by the generator (${bench.wrk.note})`
      : `  load: the in-repo undici closed-loop generator for scenarios 1, 4 and 7, because ${bench.wrk.note}: the direct baseline may be capped by the generator`,
  );
  console.log(
    `  load: the in-repo undici open-loop generator for the fixed-rate scenarios (2 at ${RATE} req/s, 3 at ${STREAM_RATE} streams/s, and 6): requests leave on schedule whatever the replies ` +
      "(no coordinated omission), timed with performance.now() (µs); wrk has no fixed-rate mode and autocannon records whole milliseconds",
  );
  console.log(
    "  load: issue 20's cells use the same undici generator: one request (10) or one paced stream (12) in flight on one connection, " +
      "short open-loop probes (11), and N paced streams read frame by frame (13)",
  );
  console.log(
    `  upstream: one mock for every contender (aigw's uWS edge, on CPU ${LOAD_CPU}): a fixed ~1 KB completion with usage, or a 50-chunk SSE stream + usage chunk + [DONE]; ` +
      "scenario 1 shows it was not the bottleneck (direct rate vs proxied rate, busy share of each core)",
  );
  console.log(`  request: the same ${Buffer.byteLength(bench.body)} B body (one user message) for every contender, with \`authorization: Bearer …\`; Portkey also gets x-portkey-provider / x-portkey-custom-host`);
  console.log(
    `  aigw: startGateway with the compiled policy, as \`aigw serve\` calls it (scenario 6 also runs the \`aigw serve\` command itself); one route to an openai provider, ` +
      `access log ${o.accessLog ? "on (formatted, discarded)" : "off"}, Prometheus metrics on except for the bare route of 4`,
  );
  console.log(
    bench.group.pinning
      ? `  anchor: nginx (Debian's) as a plain reverse proxy to the same mock on CPU ${GATEWAY_CPU}, one process, upstream keep-alive, no buffering: a contender of 1–3 and 10–13; the summary reads aigw's CPU per request and added p50 at one connection as ratios to it`
      : "  anchor: nginx as a plain reverse proxy to the same mock, a contender of 1–3 and 10–13",
  );
  if (peers) console.log(`  peers: ${peers.note}; started as \`NODE_ENV=production node build/start-server.js --headless\``);
  else console.log(`  peers: Portkey ${peersProblem ?? "skipped (--no-portkey)"}`);
}

/** Pins this process to the load core, so the gateway's core is left to the gateway. */
function pinSelf(group: ProcessGroup): void {
  if (!group.pinning) return;
  try {
    execFileSync("taskset", ["-p", "-c", String(LOAD_CPU), String(process.pid)], { stdio: "ignore" });
  } catch {
    // not fatal: the orchestrator mostly waits
  }
}

/** Runs `f`, prints the scenario's table with `print`, and records how long it took. */
async function timed<T>(timings: Record<string, number>, name: Scenario, f: () => Promise<T>, print: (r: T) => void): Promise<T> {
  const t0 = performance.now();
  const r = await f();
  timings[name] = Math.round((performance.now() - t0) / 100) / 10;
  print(r);
  console.log(`  (${timings[name]} s)`);
  return r;
}

async function main(): Promise<void> {
  if (process.argv.includes("--help") || process.argv.includes("-h")) {
    console.log(USAGE);
    return;
  }
  let o: Options;
  try {
    o = parseOptions(process.argv.slice(2));
  } catch (e) {
    console.error(`bench: ${(e as Error).message}`);
    process.exitCode = 2;
    return;
  }
  const machine = machineInfo();
  const group = new ProcessGroup();
  const started = performance.now();
  const results: ScenarioResults = {};
  const timings: Record<string, number> = {};
  let failure: unknown;
  let bench: Bench | undefined;
  let peers: Peers | undefined;
  let peersProblem: string | undefined;
  try {
    pinSelf(group);
    const wrk = ensureWrk();
    const wantPortkey = o.portkey && (SHARED.some((s) => o.only.has(s)) || o.only.has("memory"));
    if (wantPortkey) {
      // Without the peer the run still measures aigw against the direct path; the header says why Portkey is missing.
      try {
        peers = ensurePeers();
      } catch (err) {
        peersProblem = `unavailable: ${err instanceof Error ? err.message : String(err)}`;
      }
    }

    const upstream = group.node("mock upstream", "upstream", ["--needle", FEATURE_EMAIL], { cpu: LOAD_CPU });
    const up = await nextMessage<ChildMsg, "ready">(upstream, "ready");
    const load = group.node("load generator", "load", [], { cpu: LOAD_CPU });
    await nextMessage<ChildMsg, "ready">(load, "ready");
    bench = {
      group,
      durations: o.quick ? QUICK : FULL,
      quick: o.quick,
      upstream: { spawned: upstream, base: `http://127.0.0.1:${up.port}`, holdBase: `http://127.0.0.1:${up.holdPort}` },
      load,
      wrk,
      commonHeaders: { "content-type": "application/json", authorization: `Bearer ${BENCH_KEY}` },
      body: featurePrompt(),
      streamBody: featurePrompt(true),
      gatewayArgs: o.accessLog ? ["--access-log"] : [],
      ...(o.profile ? { profileDir: resolve(o.profile) } : {}),
      profiles: [],
    };
    printHeader(o, machine, bench, peers, peersProblem);

    // Scenarios 1–3 and 10–13 share one nginx, one aigw and one Portkey (those not measured sit idle).
    if (SHARED.some((s) => o.only.has(s))) {
      let aigw: Running | undefined;
      let portkey: Running | undefined;
      let nginx: Running | undefined;
      try {
        if (ensureNginx().available) nginx = await startNginxContender(bench);
        aigw = await startAigw(bench, "aigw", bench.upstream.base);
        if (peers) portkey = await startPortkeyContender(bench, bench.upstream.base);
        const contenders: Contender[] = [direct(bench), ...(nginx ? [nginx.contender] : []), aigw.contender, ...(portkey ? [portkey.contender] : [])];
        const b = bench;
        if (o.only.has("throughput")) results.throughput = await timed(timings, "throughput", () => throughput(b, contenders, { references: o.references }), printThroughput);
        if (o.only.has("latency")) results.latency = await timed(timings, "latency", () => latency(b, contenders, { references: o.references }), printLatency);
        if (o.only.has("streaming")) results.streaming = await timed(timings, "streaming", () => streaming(b, contenders), printStreaming);
        if (o.only.has("limits")) results.limits = await timed(timings, "limits", () => limits(b, contenders), (r) => printLimits(r, NGINX));
        if (o.only.has("frames")) results.frames = await timed(timings, "frames", () => streamFrames(b, contenders), (r) => printStreamFrames(r, NGINX));
      } finally {
        await stop(bench, aigw);
        await stop(bench, portkey);
        await stop(bench, nginx);
      }
    }
    const b = bench;
    if (o.only.has("features")) results.features = await timed(timings, "features", () => features(b), printFeatures);
    if (o.only.has("scaling")) results.scaling = await timed(timings, "scaling", () => scaling(b), printScaling);
    if (o.only.has("memory")) results.memory = await timed(timings, "memory", () => memory(b, peers !== undefined), printMemory);
    if (o.only.has("apis")) results.apis = await timed(timings, "apis", () => apis(b), printApis);
    if (o.only.has("cache")) results.cache = await timed(timings, "cache", () => cache(b), printCache);
    if (o.only.has("health")) results.health = await timed(timings, "health", () => health(b), printHealth);
    if (o.only.has("workers")) results.workers = await timed(timings, "workers", () => workers(b), printWorkers);
  } catch (err) {
    failure = err;
  } finally {
    await group.stopAll();
  }
  machine.loadAverage.after = loadAverageNow();
  const summary = summarize(results);
  if (summary.length > 0) printSummary(summary, o.quick);
  if (bench && bench.profiles.length > 0) console.log(`\nV8 CPU profiles of aigw (sampling slowed it: figures of this run are not comparable):\n${bench.profiles.map((p) => `  ${p}`).join("\n")}`);
  const seconds = (performance.now() - started) / 1000;
  console.log(`\nload average before ${machine.loadAverage.before.join(" ")}, after ${machine.loadAverage.after.join(" ")}; ${seconds.toFixed(0)} s in all`);
  const file = writeResults({
    issue: 8,
    quick: o.quick,
    complete: failure === undefined,
    ...(failure !== undefined ? { error: String(failure instanceof Error ? failure.message : failure) } : {}),
    seconds,
    scenarioSeconds: timings,
    machine,
    method: {
      pinned: group.pinning,
      gatewayCpu: GATEWAY_CPU,
      loadCpu: LOAD_CPU,
      closedLoopGenerator: bench?.wrk.available ? "wrk" : "undici closed loop",
      wrk: bench?.wrk.note,
      openLoopGenerator: "in-repo undici open loop (bench/load/open-loop.ts)",
      connections: CONNECTIONS,
      rate: RATE,
      streamRate: STREAM_RATE,
      openStreams: OPEN_STREAMS,
      requestBytes: bench ? Buffer.byteLength(bench.body) : undefined,
      durations: bench?.durations,
      accessLog: o.accessLog,
    },
    peers: peers ? { "@portkey-ai/gateway": peers.portkey, "@hono/node-server": peers.honoNodeServer, note: peers.note } : { problem: peersProblem ?? "skipped (--no-portkey)" },
    scenarios: results,
    summary,
  }, o.out);
  console.log(`results: ${file}`);
  if (failure !== undefined) {
    console.error(`\nbench failed: ${failure instanceof Error ? (failure.stack ?? failure.message) : String(failure)}`);
    process.exitCode = 1;
  }
}

await main();
