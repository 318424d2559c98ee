/**
 * bench/proxy: what the gateway costs on the request path (issue 4, "Bench").
 * The same load generator, in the same run, hits a mock OpenAI upstream
 * directly and then through aigw (route → openai provider → the same
 * upstream), and prints:
 *
 * - requests/s at 50 connections (closed loop), direct and through aigw;
 * - p50/p99 latency at a fixed 500 requests/s (open loop), direct and
 *   through aigw, and the difference: the latency the gateway adds;
 * - the gateway's CPU time per proxied request (the gateway process's own
 *   user + system time over the closed-loop run / requests answered);
 * - every figure as a ratio of the direct baseline of the same run;
 * - whether the upstream could have been the bottleneck: the direct run
 *   shows what the upstream and load generator sustain together, and the
 *   busy share of each core during the proxied run (from /proc/stat) shows
 *   whether the gateway's core or theirs was the one that was full;
 * - for reference: aigw answering from its built-in `mock` provider (the
 *   server and pipeline without the upstream hop), and the floor of this
 *   set-up, a bare relay on the gateway's core (aigw's uWS edge and one
 *   undici `dispatch` per request, no pipeline): what any gateway in this
 *   process model costs, in CPU and in added latency.
 *
 * The gateway is pinned to CPU 1 (`taskset -c 1`); the load generator and
 * the mock upstream share CPU 0 (`taskset -c 0`). Each role is this same
 * file run as a child process (`--role upstream|gateway|relay|load`). The gateway
 * runs with the access log off; `--access-log` turns it on (to a discarded
 * stream). `--profile FILE` writes a V8 CPU profile of the gateway taken
 * during the proxied closed-loop run (open it in Chrome DevTools or
 * speedscope). The machine's load average is printed before and after:
 * on a shared machine, compare runs made back to back.
 *
 * Targets (issue 4): ≥ 15,000 proxied requests/s on one core (≤ 60 µs CPU
 * per request); added latency at 500 req/s under 0.3 ms p50 and 1 ms p99.
 *
 * Then, unless `--no-features`, the features scenario (issue 5; policies and
 * report in bench/proxy-features.ts): the same load with a ~1 KB prompt
 * through a bare route, then through the same route with a per-key budget,
 * a per-key rate limit and the PII guardrail (SQLite state in a temporary
 * directory), one gateway after the other, each warmed first; it prints the
 * CPU each adds per request (target: < 50 µs). `--features-only` runs just
 * that scenario.
 *
 * Run: `npm run build && npm run bench:proxy -- [--seconds S] [--json]
 * [--no-reference] [--profile FILE] [--access-log] [--no-features | --features-only]`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Pool, type Dispatcher } from "undici";
import { compileSources } from "../compiler/index.js";
import { openManagedStore, type ManagedStore } from "../runtime/budget/lifecycle.js";
import { hashKey } from "../runtime/pipeline/auth.js";
import { startGateway } from "../runtime/server/app.js";
import { jsonLogger } from "../runtime/server/log.js";
import { createHttpServer } from "../runtime/server/uws.js";
import { benchPolicy, FEATURE_EMAIL, featurePrompt, featuresReport, printFeatures, type FeatureRun, type FeaturesReport } from "./proxy-features.js";

const SELF = fileURLToPath(import.meta.url);
const KEY = "sk-bench-0001";
const CONNECTIONS = 50;
const RATE = 500;
const GATEWAY_CPU = 1;
const LOAD_CPU = 0;

const TARGET_RPS = 15_000;
const TARGET_CPU_US = 60;
const TARGET_ADDED_P50_MS = 0.3;
const TARGET_ADDED_P99_MS = 1;

const REQUEST = JSON.stringify({ model: "chat", messages: [{ role: "user", content: "Say hello to the benchmark." }], max_tokens: 16 });
const REPLY = JSON.stringify({
  id: "chatcmpl-bench",
  object: "chat.completion",
  created: 1_700_000_000,
  model: "gpt-4o-mini",
  choices: [{ index: 0, message: { role: "assistant", content: "Hello, benchmark!" }, finish_reason: "stop", logprobs: null }],
  usage: { prompt_tokens: 12, completion_tokens: 4, total_tokens: 16 },
});

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}
const flag = (name: string): boolean => process.argv.includes(name);

type Msg =
  | { type: "ready"; port: number; engine?: string }
  | { type: "cpu"; us: number }
  | { type: "result"; result: LoadResult }
  | { type: "profiled" }
  | { type: "seen"; requests: number; email: number };

// ------------------------------------------------------------------ roles

/** The mock upstream: a fixed OpenAI completion for every request. */
async function upstreamRole(): Promise<void> {
  // Counts requests and those still carrying the features prompt's email (whether redaction happened).
  const email = Buffer.from(FEATURE_EMAIL);
  let requests = 0;
  let seen = 0;
  const server = createHttpServer({
    bodyLimit: () => 1 << 20,
    handler: async (req, res) => {
      const body = await req.body();
      requests++;
      if (body.includes(email)) seen++;
      res.send(200, [["content-type", "application/json"]], REPLY);
    },
  });
  const port = await server.listen("127.0.0.1", 0);
  answerIpc();
  process.on("message", (m: { type: string }) => {
    if (m.type === "seen") process.send!({ type: "seen", requests, email: seen } satisfies Msg);
  });
  process.send!({ type: "ready", port } satisfies Msg);
}

/** A role's answers to the orchestrator: its CPU time so far, profiling, and exit. */
function answerIpc(): void {
  let session: Session | undefined;
  process.on("message", (m: { type: string; file?: string }) => {
    if (m.type === "exit") process.exit(0);
    if (m.type === "cpu") {
      const u = process.cpuUsage();
      process.send!({ type: "cpu", us: u.user + u.system } satisfies Msg);
    }
    if (m.type === "profile-start") {
      session = new Session();
      session.connect();
      session.post("Profiler.enable", () =>
        session!.post("Profiler.setSamplingInterval", { interval: 50 }, () => session!.post("Profiler.start", () => process.send!({ type: "profiled" } satisfies Msg))),
      );
    }
    if (m.type === "profile-stop" && session) {
      session.post("Profiler.stop", (err, res) => {
        if (!err) writeFileSync(m.file!, JSON.stringify(res.profile));
        session!.disconnect();
        process.send!({ type: "profiled" } satisfies Msg);
      });
    }
  });
}

/**
 * The gateway under test: one route to an OpenAI-compatible provider (or the built-in mock);
 * with `--features DIR`, the route also has a budget, a rate limit and the PII guardrail, state in DIR.
 */
async function gatewayRole(): Promise<void> {
  const upstream = arg("--upstream")!;
  const stateDir = arg("--features");
  const text = benchPolicy(upstream, hashKey(KEY), stateDir);
  const compiled = compileSources([{ path: "bench.route", text }]);
  if (!compiled.graph) throw new Error(compiled.diagnostics.map((d) => d.message).join("\n"));
  const log = jsonLogger(() => {}, { access: flag("--access-log") });
  // As `aigw serve` does: the store of `gateway { state … }`, handed to the gateway.
  let state: ManagedStore | undefined;
  if (stateDir !== undefined) state = openManagedStore(compiled.graph.gateway.state, { env: {}, baseDir: stateDir });
  const gw = await startGateway({ graph: compiled.graph, host: "127.0.0.1", port: 0, env: {}, log, ...(state ? { store: state.store } : {}) });
  answerIpc();
  process.send!({ type: "ready", port: gw.port, engine: gw.engine.detail } satisfies Msg);
}

/** The floor: aigw's HTTP edge relaying each request to the upstream with one undici `dispatch`, nothing else. */
async function relayRole(): Promise<void> {
  const upstream = new Pool(arg("--upstream")!, { connections: null });
  const headers = ["content-type", "application/json", "accept", "application/json"];
  const server = createHttpServer({
    bodyLimit: () => 1 << 20,
    handler: async (req, res) => {
      const body = await req.body();
      const reply = await new Promise<Buffer>((resolve, reject) => {
        const chunks: Buffer[] = [];
        upstream.dispatch(
          { path: PATH, method: "POST", headers, body },
          {
            // onRequestStart marks the handler as undici's current (controller) interface
            onRequestStart: () => undefined,
            onResponseData: (_c, chunk) => void chunks.push(chunk),
            onResponseEnd: () => resolve(Buffer.concat(chunks)),
            onResponseError: (_c, err) => reject(err),
          },
        );
      });
      res.send(200, [["content-type", "application/json"]], reply);
    },
  });
  const port = await server.listen("127.0.0.1", 0);
  answerIpc();
  process.send!({ type: "ready", port } satisfies Msg);
}

interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  /** The load generator's own CPU time over the run, µs. */
  cpuUs: number;
  p50Ms?: number;
  p99Ms?: number;
}

const PATH = "/v1/chat/completions";
const LOAD_HEADERS = ["content-type", "application/json", "authorization", `Bearer ${KEY}`];

/** One request through undici's lowest public layer (`dispatch`), so the generator itself stays cheap. */
function send(pool: Pool, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    let status = 0;
    const handler: Dispatcher.DispatchHandler = {
      onConnect() {},
      onHeaders(statusCode) {
        status = statusCode;
        return true;
      },
      onData() {
        return true;
      },
      onComplete() {
        resolve(status);
      },
      onError: reject,
    };
    pool.dispatch({ path: PATH, method: "POST", headers: LOAD_HEADERS, body }, handler);
  });
}

/** The load generator: closed loop (`--mode max`) or open loop at a fixed rate (`--mode rate`). */
async function loadRole(): Promise<void> {
  const url = arg("--url")!;
  const seconds = Number(arg("--seconds"));
  const mode = arg("--mode");
  // `--body features`: the ~1 KB prompt with an email of the features scenario.
  const body = Buffer.from(arg("--body") === "features" ? featurePrompt() : REQUEST);
  const pool = new Pool(url, { connections: CONNECTIONS, pipelining: 1 });
  let requests = 0;
  let errors = 0;
  const latencies: number[] = [];
  const one = async (record: boolean): Promise<void> => {
    const t0 = performance.now();
    try {
      if ((await send(pool, body)) === 200) requests++;
      else errors++;
    } catch {
      errors++;
    }
    if (record) latencies.push(performance.now() - t0);
  };
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const end = start + seconds * 1000;
  if (mode === "max") {
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        while (performance.now() < end) await one(false);
      }),
    );
  } else {
    const interval = 1000 / RATE;
    const inflight: Promise<void>[] = [];
    let sent = 0;
    while (performance.now() < end) {
      const due = Math.floor((performance.now() - start) / interval) + 1;
      while (sent < due) {
        inflight.push(one(true));
        sent++;
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    await Promise.all(inflight);
  }
  const elapsed = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!;
  const result: LoadResult = { requests, errors, seconds: elapsed, cpuUs: cpu.user + cpu.system };
  if (latencies.length > 0) {
    result.p50Ms = pct(50);
    result.p99Ms = pct(99);
  }
  await pool.close();
  process.send!({ type: "result", result } satisfies Msg);
}

// ------------------------------------------------------------------ orchestration

function child(cpu: number, role: string, extra: string[]): ChildProcess {
  return spawn("taskset", ["-c", String(cpu), process.execPath, SELF, "--role", role, ...extra], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
}

function nextMessage<T extends Msg["type"]>(p: ChildProcess, type: T): Promise<Extract<Msg, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMsg = (m: Msg) => {
      if (m.type !== type) return;
      p.off("message", onMsg);
      p.off("exit", onExit);
      resolve(m as Extract<Msg, { type: T }>);
    };
    const onExit = (code: number | null) => reject(new Error(`child exited (${code}) before sending \`${type}\``));
    p.on("message", onMsg);
    p.once("exit", onExit);
  });
}

async function cpuOf(p: ChildProcess): Promise<number> {
  p.send({ type: "cpu" });
  return (await nextMessage(p, "cpu")).us;
}

/** Busy and total jiffies per CPU, from /proc/stat (empty where it does not exist). */
function cpuTimes(): { busy: number; total: number }[] {
  try {
    const out: { busy: number; total: number }[] = [];
    for (const line of readFileSync("/proc/stat", "utf8").split("\n")) {
      const m = /^cpu(\d+)\s+(.*)$/.exec(line);
      if (!m) continue;
      const v = m[2]!.trim().split(/\s+/).map(Number);
      const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
      const idle = v[3]! + v[4]!;
      out[Number(m[1])] = { busy: total - idle, total };
    }
    return out;
  } catch {
    return [];
  }
}

/** Share of each core that was busy (any process) between two `cpuTimes()` readings. */
function busyShare(a: ReturnType<typeof cpuTimes>, b: ReturnType<typeof cpuTimes>, cpu: number): number | undefined {
  const x = a[cpu];
  const y = b[cpu];
  if (!x || !y || y.total === x.total) return undefined;
  return (y.busy - x.busy) / (y.total - x.total);
}

/** A closed-loop run with the CPU time of the listed processes and the busy share of both cores. */
async function measuredMax(url: string, seconds: number, watch: ChildProcess[], extra: string[] = []) {
  const before = await Promise.all(watch.map(cpuOf));
  const t0 = cpuTimes();
  const result = await load(url, "max", seconds, extra);
  const t1 = cpuTimes();
  const after = await Promise.all(watch.map(cpuOf));
  return {
    result,
    cpuUs: after.map((a, i) => a - before[i]!),
    gatewayCore: busyShare(t0, t1, GATEWAY_CPU),
    loadCore: busyShare(t0, t1, LOAD_CPU),
  };
}

async function load(url: string, mode: "max" | "rate", seconds: number, extra: string[] = []): Promise<LoadResult> {
  const p = child(LOAD_CPU, "load", ["--url", url, "--mode", mode, "--seconds", String(seconds), ...extra]);
  return (await nextMessage(p, "result")).result;
}

async function main(): Promise<void> {
  const seconds = Number(arg("--seconds") ?? 10);
  const warm = Math.min(3, seconds);
  const children: ChildProcess[] = [];
  const loadBefore = loadavg();
  try {
    const upstream = child(LOAD_CPU, "upstream", []);
    children.push(upstream);
    const up = await nextMessage(upstream, "ready");
    const upUrl = `http://127.0.0.1:${up.port}`;
    // The request-path scenario (issue 4), then the features scenario (issue 5), on the same upstream.
    const report = flag("--features-only") ? undefined : await proxyScenario(upstream, upUrl, children, seconds, warm, loadBefore);
    const features = flag("--no-features") ? undefined : await featuresScenario(upstream, upUrl, children, seconds, warm);
    const loadAfter = loadavg();
    if (flag("--json")) {
      console.log(JSON.stringify(report ? { ...report, features } : { seconds, loadAverage: { before: loadBefore, after: loadAfter }, features }, null, 2));
      return;
    }
    if (report) print(report);
    if (features) {
      if (report) console.log(``);
      else console.log(`bench/proxy features  ${seconds}s per phase; load average before ${loadBefore.map((x) => x.toFixed(2)).join(" ")}, after ${loadAfter.map((x) => x.toFixed(2)).join(" ")}`);
      printFeatures(features, CONNECTIONS, RATE);
    }
  } finally {
    for (const c of children) c.kill();
  }
}

/** The request-path scenario (issue 4): direct vs through aigw, then the references. */
async function proxyScenario(upstream: ChildProcess, upUrl: string, children: ChildProcess[], seconds: number, warm: number, loadBefore: number[]): Promise<Report> {
  const profile = arg("--profile");
  const gateway = child(GATEWAY_CPU, "gateway", ["--upstream", upUrl, ...(flag("--access-log") ? ["--access-log"] : [])]);
  children.push(gateway);
  const gw = await nextMessage(gateway, "ready");
  const gwUrl = `http://127.0.0.1:${gw.port}`;

  await load(upUrl, "max", warm);
  const direct = await measuredMax(upUrl, seconds, [upstream]);
  const upstreamCpuPerReq = direct.cpuUs[0]! / answered(direct.result);
  await load(gwUrl, "max", warm);
  if (profile) {
    gateway.send({ type: "profile-start" });
    await nextMessage(gateway, "profiled");
  }
  const proxied = await measuredMax(gwUrl, seconds, [gateway, upstream]);
  if (profile) {
    gateway.send({ type: "profile-stop", file: profile });
    await nextMessage(gateway, "profiled");
  }
  const directRate = await load(upUrl, "rate", seconds);
  const rateCpu0 = await cpuOf(gateway);
  const proxiedRate = await load(gwUrl, "rate", seconds);
  const rateCpuPerReq = ((await cpuOf(gateway)) - rateCpu0) / answered(proxiedRate);
  gateway.send({ type: "exit" });

  // For reference: the same gateway answering from its built-in mock provider (no upstream hop),
  // which separates the server and pipeline from the upstream client; and the floor of the set-up,
  // a bare relay on the gateway's core, which separates what aigw adds from what any relay costs here.
  let reference: Reference | undefined;
  if (!flag("--no-reference")) {
    const local = child(GATEWAY_CPU, "gateway", ["--upstream", "mock"]);
    children.push(local);
    const localUrl = `http://127.0.0.1:${(await nextMessage(local, "ready")).port}`;
    await load(localUrl, "max", warm);
    const m = await measuredMax(localUrl, seconds, [local]);
    local.send({ type: "exit" });
    const relay = child(GATEWAY_CPU, "relay", ["--upstream", upUrl]);
    children.push(relay);
    const relayUrl = `http://127.0.0.1:${(await nextMessage(relay, "ready")).port}`;
    await load(relayUrl, "max", warm);
    const r = await measuredMax(relayUrl, seconds, [relay]);
    const relayCpu0 = await cpuOf(relay);
    const relayRate = await load(relayUrl, "rate", seconds);
    const relayRateCpu = ((await cpuOf(relay)) - relayCpu0) / answered(relayRate);
    reference = {
      builtinMock: { rps: rps(m.result), cpuUsPerRequest: m.cpuUs[0]! / answered(m.result) },
      relay: {
        rps: rps(r.result),
        cpuUsPerRequest: r.cpuUs[0]! / answered(r.result),
        cpuUsPerRequestAtRate: relayRateCpu,
        addedP50Ms: relayRate.p50Ms! - directRate.p50Ms!,
        addedP99Ms: relayRate.p99Ms! - directRate.p99Ms!,
      },
    };
  }

  const directRps = rps(direct.result);
  const proxiedRps = rps(proxied.result);
  const cpuPerReq = proxied.cpuUs[0]! / answered(proxied.result);
  const report: Report = {
    engine: gw.engine,
    seconds,
    loadAverage: { before: loadBefore, after: loadavg() },
    cpus: cpus().length,
    direct: { rps: directRps, errors: direct.result.errors, p50Ms: directRate.p50Ms, p99Ms: directRate.p99Ms },
    proxied: { rps: proxiedRps, errors: proxied.result.errors + proxiedRate.errors, p50Ms: proxiedRate.p50Ms, p99Ms: proxiedRate.p99Ms },
    ratio: {
      rps: proxiedRps / directRps,
      p50: proxiedRate.p50Ms! / directRate.p50Ms!,
      p99: proxiedRate.p99Ms! / directRate.p99Ms!,
    },
    addedP50Ms: proxiedRate.p50Ms! - directRate.p50Ms!,
    addedP99Ms: proxiedRate.p99Ms! - directRate.p99Ms!,
    gatewayCpuUsPerRequest: cpuPerReq,
    gatewayCpuUsPerRequestAtRate: rateCpuPerReq,
    bottleneck: {
      gatewayProcessBusy: proxied.cpuUs[0]! / 1e6 / proxied.result.seconds,
      gatewayCoreBusy: proxied.gatewayCore,
      loadCoreBusy: proxied.loadCore,
      upstreamProcessBusy: proxied.cpuUs[1]! / 1e6 / proxied.result.seconds,
      loadGeneratorBusy: proxied.result.cpuUs / 1e6 / proxied.result.seconds,
      upstreamHeadroom: directRps / proxiedRps,
    },
    upstreamCpuUsPerRequest: upstreamCpuPerReq,
    reference,
  };
  return report;
}

/**
 * The features scenario (issue 5): the same ~1 KB load through a bare route, then through the same route
 * with a budget, a rate limit and the PII guardrail (SQLite state in a fresh temporary directory). Each
 * gateway is warmed before it is measured (so the tokenizer is loaded) and stopped before the next starts.
 */
async function featuresScenario(upstream: ChildProcess, upUrl: string, children: ChildProcess[], seconds: number, warm: number): Promise<FeaturesReport> {
  const stateDir = mkdtempSync(join(tmpdir(), "aigw-bench-proxy-"));
  const body = ["--body", "features"];
  const seen = async () => {
    upstream.send({ type: "seen" });
    return nextMessage(upstream, "seen");
  };
  const runOne = async (features: boolean): Promise<FeatureRun> => {
    const gateway = child(GATEWAY_CPU, "gateway", ["--upstream", upUrl, ...(features ? ["--features", stateDir] : [])]);
    children.push(gateway);
    const url = `http://127.0.0.1:${(await nextMessage(gateway, "ready")).port}`;
    await load(url, "max", warm, body);
    const s0 = await seen();
    const m = await measuredMax(url, seconds, [gateway], body);
    const cpu0 = await cpuOf(gateway);
    const atRate = await load(url, "rate", seconds, body);
    const cpuAtRate = ((await cpuOf(gateway)) - cpu0) / answered(atRate);
    const s1 = await seen();
    // Wait for it to go, so the next gateway has the core to itself (and the state file is closed).
    const gone = new Promise((resolve) => gateway.once("exit", resolve));
    gateway.send({ type: "exit" });
    await gone;
    const run: FeatureRun = {
      rps: rps(m.result),
      cpuUsPerRequest: m.cpuUs[0]! / answered(m.result),
      cpuUsPerRequestAtRate: cpuAtRate,
      errors: m.result.errors + atRate.errors,
      emailSeen: s1.email - s0.email,
      upstreamRequests: s1.requests - s0.requests,
    };
    if (atRate.p50Ms !== undefined) run.p50Ms = atRate.p50Ms;
    if (atRate.p99Ms !== undefined) run.p99Ms = atRate.p99Ms;
    return run;
  };
  try {
    const bare = await runOne(false);
    const featured = await runOne(true);
    return featuresReport(Buffer.byteLength(featurePrompt()), bare, featured);
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/** Everything one run measured; `--json` prints it as is. */
interface Report {
  engine: string | undefined;
  seconds: number;
  loadAverage: { before: number[]; after: number[] };
  cpus: number;
  direct: { rps: number; errors: number; p50Ms?: number; p99Ms?: number };
  proxied: { rps: number; errors: number; p50Ms?: number; p99Ms?: number };
  /** aigw over direct, same run. */
  ratio: { rps: number; p50: number; p99: number };
  addedP50Ms: number;
  addedP99Ms: number;
  gatewayCpuUsPerRequest: number;
  /** The same at 500 req/s: caches are cold and every request wakes the process, so each costs more than under load. */
  gatewayCpuUsPerRequestAtRate: number;
  bottleneck: {
    /** Share of CPU 1 the gateway process itself used during the proxied run. */
    gatewayProcessBusy: number;
    /** Share of CPU 1 busy with anything (the gateway and whatever else runs on the machine). */
    gatewayCoreBusy: number | undefined;
    /** Share of CPU 0 (load generator + upstream + others) busy during the proxied run. */
    loadCoreBusy: number | undefined;
    upstreamProcessBusy: number;
    loadGeneratorBusy: number;
    /** Direct req/s over proxied req/s: what the same upstream and load generator sustained without the gateway. */
    upstreamHeadroom: number;
  };
  /** What the mock upstream (aigw's own uWS edge answering a fixed reply) costs per request: the edge's floor. */
  upstreamCpuUsPerRequest: number;
  reference: Reference | undefined;
}

interface Reference {
  builtinMock: { rps: number; cpuUsPerRequest: number };
  relay: { rps: number; cpuUsPerRequest: number; cpuUsPerRequestAtRate: number; addedP50Ms: number; addedP99Ms: number };
}

const rps = (r: LoadResult) => r.requests / r.seconds;
const answered = (r: LoadResult) => r.requests + r.errors;

function print(r: Report): void {
  const f = (n: number | undefined, d = 2) => (n === undefined || !Number.isFinite(n) ? "-" : n.toFixed(d));
  const pc = (n: number | undefined) => (n === undefined ? "-" : `${Math.round(n * 100)}%`);
  const la = (l: number[]) => l.map((x) => x.toFixed(2)).join(" ");
  const ok = (pass: boolean) => (pass ? "met" : "MISSED");
  const b = r.bottleneck;
  console.log(`bench/proxy  ${r.seconds}s per phase; ${r.engine}`);
  console.log(`  gateway: taskset -c ${GATEWAY_CPU}; load generator and mock upstream: taskset -c ${LOAD_CPU}; ${r.cpus} CPUs`);
  console.log(`  load average before ${la(r.loadAverage.before)}, after ${la(r.loadAverage.after)} (a shared machine: compare runs made back to back)`);
  console.log(``);
  console.log(`                                direct    via aigw   aigw/direct`);
  console.log(`  req/s @ ${CONNECTIONS} connections    ${f(r.direct.rps, 0).padStart(8)}    ${f(r.proxied.rps, 0).padStart(8)}   ${f(r.ratio.rps, 2).padStart(10)}×`);
  console.log(`  p50 ms @ ${RATE} req/s          ${f(r.direct.p50Ms, 3).padStart(8)}    ${f(r.proxied.p50Ms, 3).padStart(8)}   ${f(r.ratio.p50, 2).padStart(10)}×   added ${f(r.addedP50Ms, 3)} ms`);
  console.log(`  p99 ms @ ${RATE} req/s          ${f(r.direct.p99Ms, 3).padStart(8)}    ${f(r.proxied.p99Ms, 3).padStart(8)}   ${f(r.ratio.p99, 2).padStart(10)}×   added ${f(r.addedP99Ms, 3)} ms`);
  console.log(`  errors                        ${String(r.direct.errors).padStart(8)}    ${String(r.proxied.errors).padStart(8)}`);
  console.log(
    `  gateway CPU per proxied request: ${f(r.gatewayCpuUsPerRequest, 1)} µs at ${CONNECTIONS} connections ` +
      `(≈ ${f(1e6 / r.gatewayCpuUsPerRequest, 0)} req/s on a core of its own), ${f(r.gatewayCpuUsPerRequestAtRate, 1)} µs at ${RATE} req/s`,
  );
  console.log(``);
  console.log(
    `  targets: ≥ ${TARGET_RPS} req/s ${ok(r.proxied.rps >= TARGET_RPS)}; ≤ ${TARGET_CPU_US} µs CPU ${ok(r.gatewayCpuUsPerRequest <= TARGET_CPU_US)}; ` +
      `added p50 < ${TARGET_ADDED_P50_MS} ms ${ok(r.addedP50Ms < TARGET_ADDED_P50_MS)}; added p99 < ${TARGET_ADDED_P99_MS} ms ${ok(r.addedP99Ms < TARGET_ADDED_P99_MS)}`,
  );
  // The upstream is not the bottleneck when, in the same run and with the same load generator on its core,
  // it served clearly more requests directly than it was asked for through the gateway.
  const upstreamFree = b.upstreamHeadroom > 1.1;
  console.log(
    `  bottleneck (proxied run): the gateway process used ${pc(b.gatewayProcessBusy)} of CPU ${GATEWAY_CPU} (core busy ${pc(b.gatewayCoreBusy)} counting everything on it); ` +
      `CPU ${LOAD_CPU} was busy ${pc(b.loadCoreBusy)} (upstream process ${pc(b.upstreamProcessBusy)}, load generator ${pc(b.loadGeneratorBusy)}).`,
  );
  console.log(
    `  the same upstream and load generator served ${f(b.upstreamHeadroom, 2)}× the proxied rate directly in this run: ` +
      (upstreamFree ? "the upstream was not the bottleneck." : "the upstream MAY have been the bottleneck (too little headroom)."),
  );
  if (b.gatewayCoreBusy !== undefined && b.gatewayCoreBusy < 0.9) {
    console.log(
      `  note: the gateway's core was idle ${pc(1 - b.gatewayCoreBusy)} of the time: with ${CONNECTIONS} connections the closed loop waited on round trips ` +
        `through CPU ${LOAD_CPU} (shared with other processes), so req/s understates the gateway; CPU per request is the steadier figure.`,
    );
  }
  if (b.gatewayCoreBusy !== undefined && b.gatewayCoreBusy - b.gatewayProcessBusy > 0.1) {
    console.log(`  note: other processes took ~${pc(b.gatewayCoreBusy - b.gatewayProcessBusy)} of the gateway's core during the run.`);
  }
  console.log(`  the mock upstream (aigw's uWS edge answering a fixed reply) cost ${f(r.upstreamCpuUsPerRequest, 1)} µs CPU per request in the direct run.`);
  const ref = r.reference;
  if (ref) {
    console.log(``);
    console.log(`  reference, aigw answering from its built-in mock provider (no upstream hop): ${f(ref.builtinMock.rps, 0)} req/s, ${f(ref.builtinMock.cpuUsPerRequest, 1)} µs CPU per request`);
    console.log(
      `  floor, a bare relay on CPU ${GATEWAY_CPU} (uWS edge + one undici dispatch, no pipeline): ${f(ref.relay.rps, 0)} req/s, ` +
        `${f(ref.relay.cpuUsPerRequest, 1)} µs CPU per request at ${CONNECTIONS} connections, ${f(ref.relay.cpuUsPerRequestAtRate, 1)} µs at ${RATE} req/s; ` +
        `added p50 ${f(ref.relay.addedP50Ms, 3)} ms, p99 ${f(ref.relay.addedP99Ms, 3)} ms`,
    );
  }
}

const role = arg("--role");
const run = role === "upstream" ? upstreamRole : role === "gateway" ? gatewayRole : role === "relay" ? relayRole : role === "load" ? loadRole : main;
run().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
