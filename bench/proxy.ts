/**
 * bench/proxy: what the gateway costs on the request path. The same load
 * generator, in the same run, hits a mock OpenAI upstream directly and then
 * through aigw (route → openai provider → the same upstream), and prints:
 *
 * - requests/s at 50 connections (closed loop), direct and proxied;
 * - p50/p99 latency at a fixed 500 requests/s (open loop), direct and
 *   proxied, and the difference: the latency the gateway adds;
 * - the gateway's CPU time per proxied request (process.cpuUsage of the
 *   gateway process over the closed-loop run / requests served);
 * - for reference, req/s and CPU per request of aigw answering from its
 *   built-in `mock` provider: the server and pipeline without the upstream hop.
 *
 * The gateway is pinned to CPU 1 with `taskset`; the load generator and the
 * mock upstream share CPU 0. Each role is this same file run as a child
 * process (`--role upstream|gateway|load`). The gateway runs with the access
 * log off; `--access-log` turns it on (to a discarded stream).
 *
 * Targets (issue 4): ≥ 15,000 proxied requests/s on one core (≤ 60 µs CPU
 * per request); added latency at 500 req/s under 0.3 ms p50 and 1 ms p99.
 *
 * Run: `npm run build && node dist/bench/proxy.js [--seconds S] [--json]`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Pool } from "undici";
import { compileSources } from "../compiler/index.js";
import { hashKey } from "../runtime/pipeline/auth.js";
import { startGateway } from "../runtime/server/app.js";
import { jsonLogger } from "../runtime/server/log.js";
import { createHttpServer } from "../runtime/server/uws.js";

const SELF = fileURLToPath(import.meta.url);
const KEY = "sk-bench-0001";
const CONNECTIONS = 50;
const RATE = 500;

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

type Msg = { type: "ready"; port: number; engine?: string } | { type: "cpu"; userUs: number; systemUs: number } | { type: "result"; result: LoadResult };

// ------------------------------------------------------------------ roles

/** The mock upstream: a fixed OpenAI completion for every request. */
async function upstreamRole(): Promise<void> {
  const server = createHttpServer({
    bodyLimit: () => 1 << 20,
    handler: async (req, res) => {
      await req.body();
      res.send(200, [["content-type", "application/json"]], REPLY);
    },
  });
  const port = await server.listen("127.0.0.1", 0);
  answerIpc();
  process.send!({ type: "ready", port } satisfies Msg);
}

/** A role's answers to the orchestrator: its CPU time so far, and exit. */
function answerIpc(): void {
  process.on("message", (m: { type: string }) => {
    if (m.type === "exit") process.exit(0);
    if (m.type === "cpu") {
      const u = process.cpuUsage();
      process.send!({ type: "cpu", userUs: u.user, systemUs: u.system } satisfies Msg);
    }
  });
}

/** The gateway under test. */
async function gatewayRole(): Promise<void> {
  const upstream = arg("--upstream")!;
  const text = `
gateway { auth keys }
${upstream === "mock" ? "provider up { api mock }" : `provider up { api openai base_url "${upstream}/v1" timeout 10s }`}
keys { "${hashKey(KEY)}" team "bench" }
model mini = up/"gpt-4o-mini"
model backup = up/"gpt-4o"
route chat {
  when model == "chat"
  to mini
  fallback backup on 429, 5xx, timeout
}
`;
  const compiled = compileSources([{ path: "bench.route", text }]);
  if (!compiled.graph) throw new Error(compiled.diagnostics.map((d) => d.message).join("\n"));
  const log = jsonLogger(() => {}, { access: process.argv.includes("--access-log") });
  const gw = await startGateway({ graph: compiled.graph, host: "127.0.0.1", port: 0, env: {}, log });
  answerIpc();
  process.send!({ type: "ready", port: gw.port, engine: gw.engine.detail } satisfies Msg);
}

interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  p50Ms?: number;
  p99Ms?: number;
}

/** The load generator: closed loop (`--mode max`) or open loop at a fixed rate (`--mode rate`). */
async function loadRole(): Promise<void> {
  const url = arg("--url")!;
  const seconds = Number(arg("--seconds"));
  const mode = arg("--mode");
  const pool = new Pool(url, { connections: CONNECTIONS, pipelining: 1 });
  const headers = { "content-type": "application/json", authorization: `Bearer ${KEY}` };
  let requests = 0;
  let errors = 0;
  const latencies: number[] = [];
  const one = async (record: boolean): Promise<void> => {
    const t0 = performance.now();
    try {
      const r = await pool.request({ path: "/v1/chat/completions", method: "POST", headers, body: REQUEST });
      await r.body.dump();
      if (r.statusCode !== 200) errors++;
      else requests++;
    } catch {
      errors++;
    }
    if (record) latencies.push(performance.now() - t0);
  };
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
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!;
  const result: LoadResult = { requests, errors, seconds: elapsed };
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

async function load(url: string, mode: "max" | "rate", seconds: number): Promise<LoadResult> {
  const p = child(0, "load", ["--url", url, "--mode", mode, "--seconds", String(seconds)]);
  const m = await nextMessage(p, "result");
  return m.result;
}

async function cpuOf(gateway: ChildProcess): Promise<number> {
  gateway.send({ type: "cpu" });
  const m = await nextMessage(gateway, "cpu");
  return m.userUs + m.systemUs;
}

async function main(): Promise<void> {
  const seconds = Number(arg("--seconds") ?? 10);
  const warm = Math.min(3, seconds);
  const children: ChildProcess[] = [];
  try {
    const upstream = child(0, "upstream", []);
    children.push(upstream);
    const up = await nextMessage(upstream, "ready");
    const upUrl = `http://127.0.0.1:${up.port}`;
    const gateway = child(1, "gateway", ["--upstream", upUrl, ...(process.argv.includes("--access-log") ? ["--access-log"] : [])]);
    children.push(gateway);
    const gw = await nextMessage(gateway, "ready");
    const gwUrl = `http://127.0.0.1:${gw.port}`;
    await load(upUrl, "max", warm);
    const directMax = await load(upUrl, "max", seconds);
    await load(gwUrl, "max", warm);
    const cpu0 = await cpuOf(gateway);
    const proxiedMax = await load(gwUrl, "max", seconds);
    const cpu1 = await cpuOf(gateway);
    const directRate = await load(upUrl, "rate", seconds);
    const proxiedRate = await load(gwUrl, "rate", seconds);
    gateway.send({ type: "exit" });

    // For reference: the same gateway answering from its built-in mock provider (no upstream hop),
    // which separates the server and pipeline from the upstream client.
    const local = child(1, "gateway", ["--upstream", "mock"]);
    children.push(local);
    const localUrl = `http://127.0.0.1:${(await nextMessage(local, "ready")).port}`;
    await load(localUrl, "max", warm);
    const lcpu0 = await cpuOf(local);
    const localMax = await load(localUrl, "max", seconds);
    const lcpu1 = await cpuOf(local);

    const rps = (r: LoadResult) => r.requests / r.seconds;
    const cpuPerReq = (cpu1 - cpu0) / (proxiedMax.requests + proxiedMax.errors);
    const report = {
      engine: gw.engine,
      seconds,
      direct: { rps: rps(directMax), errors: directMax.errors, p50Ms: directRate.p50Ms, p99Ms: directRate.p99Ms },
      proxied: { rps: rps(proxiedMax), errors: proxiedMax.errors + proxiedRate.errors, p50Ms: proxiedRate.p50Ms, p99Ms: proxiedRate.p99Ms },
      addedP50Ms: proxiedRate.p50Ms! - directRate.p50Ms!,
      addedP99Ms: proxiedRate.p99Ms! - directRate.p99Ms!,
      gatewayCpuUsPerRequest: cpuPerReq,
      builtinMock: { rps: rps(localMax), cpuUsPerRequest: (lcpu1 - lcpu0) / (localMax.requests + localMax.errors) },
    };
    if (process.argv.includes("--json")) {
      console.log(JSON.stringify(report, null, 2));
      return;
    }
    const f = (n: number | undefined, d = 2) => (n === undefined ? "-" : n.toFixed(d));
    const signed = (n: number) => (n >= 0 ? "+" : "") + f(n, 3);
    console.log(`bench/proxy  (${seconds}s per phase; gateway on CPU 1 — ${gw.engine}; load generator and mock upstream on CPU 0)`);
    console.log(`                       direct      via aigw`);
    console.log(`req/s @ ${CONNECTIONS} conns       ${f(report.direct.rps, 0).padStart(8)}      ${f(report.proxied.rps, 0).padStart(8)}`);
    console.log(`p50 ms @ ${RATE} req/s      ${f(report.direct.p50Ms, 3).padStart(8)}      ${f(report.proxied.p50Ms, 3).padStart(8)}   (${signed(report.addedP50Ms)} ms)`);
    console.log(`p99 ms @ ${RATE} req/s      ${f(report.direct.p99Ms, 3).padStart(8)}      ${f(report.proxied.p99Ms, 3).padStart(8)}   (${signed(report.addedP99Ms)} ms)`);
    console.log(`gateway CPU per proxied request: ${f(cpuPerReq, 1)} µs   errors: direct ${report.direct.errors}, proxied ${report.proxied.errors}`);
    console.log(
      `reference, aigw answering from its built-in mock provider (no upstream hop): ${f(report.builtinMock.rps, 0)} req/s, ${f(report.builtinMock.cpuUsPerRequest, 1)} µs CPU per request`,
    );
  } finally {
    for (const c of children) c.kill();
  }
}

const role = arg("--role");
const run = role === "upstream" ? upstreamRole : role === "gateway" ? gatewayRole : role === "load" ? loadRole : main;
run().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

