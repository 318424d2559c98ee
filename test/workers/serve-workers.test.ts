/**
 * `aigw serve --workers 2` as a real process: two uWS event loops on worker
 * threads sharing one port. Both accept connections (counted per worker on
 * /metrics); /metrics sums them; the access log is one stream of whole JSON
 * lines; `state memory` budgets and rate limits are exact across the workers
 * (one store in the main thread); a policy reload reaches every worker and a
 * bad one reaches none; SIGTERM makes every worker unready and lets its
 * requests in flight finish, then exits 0.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { dollarsToMicros } from "../../runtime/state/index.js";
import { budgetRows, chat, startServe, stopServes, type ChatOutcome } from "../budget/child/serve-process.js";
import { behave, closeAllUpstreams, startUpstream } from "../support/upstreams.js";

const ADMIN = "workers-admin-token";
const ENV = { AIGW_TEST_ADMIN: ADMIN };
const dir = mkdtempSync(join(tmpdir(), "aigw-workers-"));
/** Start-up compiles the policy, then each worker loads the runtime: on a busy 2-core machine that can pass the usual 15 s. */
const START_MS = 60_000;

afterAll(async () => {
  await stopServes();
  await closeAllUpstreams();
  rmSync(dir, { recursive: true, force: true });
});

const policy = (body: string, latency = "20ms") => `
gateway { auth none admin_token env("AIGW_TEST_ADMIN") state memory }
provider p { api mock latency ${latency} }
model big = p/"big" { input $1000/Mtok output $2000/Mtok context 8k }
${body}
`;

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** One chat completion on a connection of its own (no keep-alive), so the kernel picks a worker for each. */
function freshChat(base: string): Promise<number> {
  const body = JSON.stringify({ model: "chat", messages: [{ role: "user", content: "hi" }], max_tokens: 5 });
  return new Promise((resolve, reject) => {
    const req = request(`${base}/v1/chat/completions`, { method: "POST", agent: false, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end(body);
  });
}

function readyz(base: string, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/readyz`, { agent }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end();
  });
}

/** One streamed chat completion on a connection of its own; `onFirst` when its first bytes arrive. */
function freshStream(base: string, onFirst: () => void): Promise<{ status: number; body: string }> {
  const body = JSON.stringify({ model: "gpt", stream: true, messages: [{ role: "user", content: "hi" }] });
  return new Promise((resolve, reject) => {
    const req = request(`${base}/v1/chat/completions`, { method: "POST", agent: false, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (res) => {
      let text = "";
      let first = true;
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        text += c;
        if (first) (first = false), onFirst();
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function metricsText(base: string): Promise<string> {
  const res = await fetch(`${base}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
}

/** The value of one sample line, by its series text. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(series + " "));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

function sumSamples(text: string, name: string): number {
  return text
    .split("\n")
    .filter((l) => l.startsWith(name + "{") || l.startsWith(name + " "))
    .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(" ") + 1)), 0);
}

async function policyStatus(base: string): Promise<{ active: { policy: string }; workers: { worker: number; policy: string }[]; lastRejected: unknown }> {
  const res = await fetch(`${base}/admin/policy`, { headers: { authorization: `Bearer ${ADMIN}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as { active: { policy: string }; workers: { worker: number; policy: string }[]; lastRejected: unknown };
}

describe("aigw serve --workers 2", () => {
  it("accepts on both workers, sums them on /metrics, and writes the access log as whole lines", async () => {
    const path = write("spread.route", policy(`route r { when model == "chat" to big }`));
    const s = await startServe(path, ENV, { accessLog: true, args: ["--workers", "2"], startTimeoutMs: START_MS });
    expect(s.stderr()).toMatch(/workers: 2 event loops on worker threads/);
    const N = 80;
    const statuses: number[] = [];
    // Waves of concurrent fresh connections: each is accepted by whichever worker the kernel hands it to.
    for (let i = 0; i < N / 20; i++) statuses.push(...(await Promise.all(Array.from({ length: 20 }, () => freshChat(s.base)))));
    expect(statuses.every((st) => st === 200)).toBe(true);

    const text = await metricsText(s.base);
    const w0 = sample(text, 'aigw_worker_requests_total{worker="0"}')!;
    const w1 = sample(text, 'aigw_worker_requests_total{worker="1"}')!;
    expect(w0).toBeGreaterThan(0);
    expect(w1).toBeGreaterThan(0);
    expect(w0 + w1).toBe(N);
    expect(sumSamples(text, "aigw_requests_total")).toBe(N);
    // A histogram merged: its count is every worker's requests.
    expect(sample(text, 'aigw_request_duration_seconds_count{route="r"}')).toBe(N);
    expect(sample(text, "aigw_workers")).toBe(2);
    // The process gauges appear once (the main thread reads them for every thread).
    expect(text.split("\n").filter((l) => l.startsWith("# TYPE process_resident_memory_bytes ")).length).toBe(1);
    expect(text.split("\n").filter((l) => l.startsWith("process_resident_memory_bytes ")).length).toBe(1);

    await s.stop();
    expect(s.process.exitCode).toBe(0);
    const lines = s.stdout().split("\n").filter((l) => l !== "");
    // Every line is one whole JSON object: no line of one worker cut into another's.
    for (const l of lines) expect(() => JSON.parse(l)).not.toThrow();
    const requests = lines.map((l) => JSON.parse(l) as { msg: string; requestId?: string }).filter((e) => e.msg === "request");
    expect(requests.length).toBe(N);
    expect(new Set(requests.map((e) => e.requestId)).size).toBe(N);
  }, 120_000);

  it("keeps a memory budget exact across workers under a concurrent burst: no overshoot, one counter", async () => {
    const path = write("budget.route", policy(`budget b { per global limit $0.3 per 24h exceeded reject }\nroute r { when model == "chat" budget b to big }`, "60ms"));
    const s = await startServe(path, ENV, { args: ["--workers", "2"], startTimeoutMs: START_MS });
    const outcomes: ChatOutcome[] = [];
    // Waves of concurrent requests: later waves find the budget spent.
    for (let wave = 0; wave < 3; wave++) {
      outcomes.push(...(await Promise.all(Array.from({ length: 30 }, (_, i) => chat(s.base, `hello ${wave}-${i} ` + "x".repeat(i % 13), 5 + (i % 10))))));
    }
    const ok = outcomes.filter((o) => o.status === 200);
    const refused = outcomes.filter((o) => o.status === 429);
    expect(ok.length + refused.length).toBe(outcomes.length);
    expect(ok.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((o) => o.error?.code === "budget_exceeded")).toBe(true);
    const spent = ok.reduce((n, o) => n + o.usage!.prompt_tokens * 1000 + o.usage!.completion_tokens * 2000, 0);
    expect(spent).toBeLessThanOrEqual(dollarsToMicros(0.3));
    // Whichever worker answers reads the one counter: the clients' spend, nothing left reserved.
    for (let i = 0; i < 4; i++) {
      const rows = await budgetRows(s.base, ADMIN, "b");
      expect(rows.map((r) => [dollarsToMicros(r.spent), r.reserved])).toEqual([[spent, 0]]);
    }
    await s.stop();
    expect(s.process.exitCode).toBe(0);
  }, 120_000);

  it("admits exactly a rate limit's requests across workers, on fresh connections to both", async () => {
    const path = write("limit.route", policy(`limit l { per global requests 25 per 1m }\nroute r { when model == "chat" limit l to big }`, "50ms"));
    const s = await startServe(path, ENV, { args: ["--workers", "2"], startTimeoutMs: START_MS });
    const statuses = await Promise.all(Array.from({ length: 60 }, () => freshChat(s.base)));
    expect(statuses.filter((st) => st === 200).length).toBe(25);
    expect(statuses.filter((st) => st === 429).length).toBe(35);
    const text = await metricsText(s.base);
    expect(sample(text, 'aigw_worker_requests_total{worker="0"}')).toBeGreaterThan(0);
    expect(sample(text, 'aigw_worker_requests_total{worker="1"}')).toBeGreaterThan(0);
    await s.stop();
    expect(s.process.exitCode).toBe(0);
  }, 120_000);

  it("installs a reload in every worker, shows it in /admin/policy and /metrics, and keeps a bad policy off all of them", async () => {
    const path = write("reload.route", policy(`route r { when model == "chat" to big }`));
    const s = await startServe(path, ENV, { args: ["--workers", "2"], startTimeoutMs: START_MS });
    const before = await policyStatus(s.base);
    expect(before.workers.map((w) => w.policy)).toEqual([before.active.policy, before.active.policy]);

    // POST /admin/reload answers once every worker has the new version.
    writeFileSync(path, policy(`route r { when model == "chat" to big }\nroute r2 { when model == "other" to big }`));
    const res = await fetch(`${s.base}/admin/reload`, { method: "POST", headers: { authorization: `Bearer ${ADMIN}` } });
    expect(res.status).toBe(200);
    const outcome = (await res.json()) as { status: string; active: { policy: string }; workers: { policy: string }[] };
    expect(outcome.status).toBe("applied");
    expect(outcome.active.policy).not.toBe(before.active.policy);
    expect(outcome.workers.map((w) => w.policy)).toEqual([outcome.active.policy, outcome.active.policy]);
    const text = await metricsText(s.base);
    expect(sample(text, `aigw_worker_policy_info{worker="0",version="${outcome.active.policy}"}`)).toBe(1);
    expect(sample(text, `aigw_worker_policy_info{worker="1",version="${outcome.active.policy}"}`)).toBe(1);
    // Every worker serves on after the swap, on fresh connections to both.
    const other = await Promise.all(Array.from({ length: 20 }, () => freshChat(s.base)));
    expect(other.every((st) => st === 200)).toBe(true);

    // A policy that does not compile reaches no worker: 422, and every worker serves on.
    writeFileSync(path, policy(`route r { when model == "chat" to nowhere }`));
    const bad = await fetch(`${s.base}/admin/reload`, { method: "POST", headers: { authorization: `Bearer ${ADMIN}` } });
    expect(bad.status).toBe(422);
    const status = await policyStatus(s.base);
    expect(status.lastRejected).not.toBeNull();
    expect(status.active.policy).toBe(outcome.active.policy);
    expect(status.workers.map((w) => w.policy)).toEqual([outcome.active.policy, outcome.active.policy]);
    expect((await Promise.all(Array.from({ length: 10 }, () => freshChat(s.base)))).every((st) => st === 200)).toBe(true);
    await s.stop();
    expect(s.process.exitCode).toBe(0);
  }, 120_000);

  it("drains every worker on SIGTERM: streams in flight on both finish whole, readiness turns 503, then exit 0", async () => {
    const up = await startUpstream("openai");
    // Each stream's events come 400 ms apart: several seconds in flight, the first event at once.
    up.setDefault(behave.drip(400));
    const path = write(
      "drain.route",
      `
gateway { auth none state memory }
provider up { api openai base_url "${up.baseUrl}" key env("UP_KEY") }
model gpt = up/"gpt-4o"
route r { to gpt }
`,
    );
    const s = await startServe(path, { ...ENV, UP_KEY: "sk-up" }, { accessLog: true, args: ["--workers", "2"], startTimeoutMs: START_MS });
    // A kept-alive connection, open before the drain, asks for readiness on whichever worker holds it.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    expect(await readyz(s.base, agent)).toBe(200);
    // Every stream has its first event before the signal: each is accepted and in flight on some worker.
    const started: Promise<void>[] = [];
    const streams = Array.from({ length: 16 }, () => {
      let first!: () => void;
      started.push(new Promise<void>((r) => (first = r)));
      return freshStream(s.base, first);
    });
    await Promise.all(started);
    const stopped = s.stop("SIGTERM");
    // Its worker is draining (it has streams in flight): it turns unready once the drain reaches it.
    let ready = await readyz(s.base, agent);
    while (ready === 200) {
      await new Promise((r) => setTimeout(r, 50));
      ready = await readyz(s.base, agent);
    }
    expect(ready).toBe(503);
    const done = await Promise.all(streams);
    await stopped;
    agent.destroy();
    for (const d of done) {
      expect(d.status).toBe(200);
      expect(d.body.trimEnd().endsWith("data: [DONE]")).toBe(true);
    }
    expect(s.process.exitCode).toBe(0);
    expect(s.stderr()).toMatch(/SIGTERM: shutting down/);
    expect(s.stderr()).toMatch(/aigw serve: stopped\n/);
    // Each worker logged its streams before it ended.
    expect(s.logLines<{ msg: string }>().filter((l) => l.msg === "request").length).toBe(16);
    await closeAllUpstreams();
  }, 120_000);

  it.each(["memory", "sqlite"])("holds a concurrent limit exactly across workers with state %s, and frees the slots", async (state) => {
    const where = state === "memory" ? "state memory" : `state sqlite("${join(dir, "concurrent.db")}")`;
    // Answers take 2 s, so the whole burst is in flight at once even on a busy machine.
    const text = policy(`limit inflight { per global concurrent 3 }\nroute r { when model == "chat" limit inflight to big }`, "2s").replace("state memory", where);
    const s = await startServe(write(`concurrent-${state}.route`, text), ENV, { args: ["--workers", "2"], startTimeoutMs: START_MS });
    const first = await Promise.all(Array.from({ length: 8 }, () => freshChat(s.base)));
    expect(first.filter((st) => st === 200)).toHaveLength(3);
    expect(first.filter((st) => st === 429)).toHaveLength(5);
    // Every slot was released, whichever worker held it.
    expect(await Promise.all(Array.from({ length: 3 }, () => freshChat(s.base)))).toEqual([200, 200, 200]);
    await s.stop();
    expect(s.process.exitCode).toBe(0);
  }, 120_000);

  it("serves on one thread, saying why, when the HTTP engine is the node:http fallback (threads cannot share its port)", async () => {
    const path = write("fallback.route", policy(`route r { when model == "chat" to big }`));
    const s = await startServe(path, { ...ENV, UWS_USE_FALLBACK: "1" }, { args: ["--workers", "2"], startTimeoutMs: START_MS });
    expect(s.stderr()).toMatch(/warning: serving on one thread, not 2 workers: the node:http fallback cannot share a port between threads/);
    expect(s.stderr()).not.toMatch(/event loops on worker threads/);
    expect(await freshChat(s.base)).toBe(200);
    await s.stop();
    expect(s.process.exitCode).toBe(0);
  }, 120_000);
});
