/**
 * Shared health across processes: two real `aigw serve` processes on one
 * SQLite file, then on one real redis-server, in front of a fake OpenAI
 * primary that starts failing and a healthy backup, called with the
 * official `openai` SDK. Once process A has ejected the primary, process B
 * skips it without paying a failure of its own (the primary's call count
 * says so); when the ejection is over exactly one probe reaches the primary
 * and its answer brings the primary back in both processes. With Redis
 * stopped, requests still succeed and `/metrics` says health is judged per
 * instance.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServe, stopServes, type ServeProcess } from "../budget/child/serve-process.js";
import { startRedis, type RedisServer } from "../support/redis.js";
import { behave, closeAllUpstreams, startUpstream, type FakeUpstream } from "../support/upstreams.js";

const SECRET = "sk-upstream-secret-h19-shared-000000";
// Long enough that B's five requests fit in the ejection on a loaded machine.
const EJECT_MS = 3000;
const SYNC_MS = 100;
/** How long another process may take to follow a verdict: a sync interval, a store round-trip, slack for a loaded machine. */
const FOLLOW_WITHIN_MS = 3000;

const dir = mkdtempSync(join(tmpdir(), "aigw-shared-health-"));
let redis: RedisServer | undefined;

afterAll(async () => {
  await stopServes();
  await closeAllUpstreams();
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function policy(state: string, primary: FakeUpstream, backup: FakeUpstream): string {
  return `
gateway { auth none state ${state} }
provider up   { api openai base_url "${primary.baseUrl}" key env("UP_KEY") }
provider good { api openai base_url "${backup.baseUrl}" key env("UP_KEY") }
model primary = up/"primary-model"
model backup  = good/"backup-model"
health upstream { consecutive 3  eject ${EJECT_MS}ms  max_eject 10s  shared ${SYNC_MS}ms }
route chat {
  when model == "chat"
  to primary
  fallback backup
  health upstream
}
`;
}

async function ask(base: string): Promise<{ attempts: string; skipped: string | null }> {
  const client = new OpenAI({ apiKey: "unused", baseURL: `${base}/v1`, maxRetries: 0 });
  const { response } = await client.chat.completions.create({ model: "chat", messages: [{ role: "user", content: "hi" }] }).withResponse();
  return { attempts: response.headers.get("x-aigw-attempts") ?? "", skipped: response.headers.get("x-aigw-skipped") };
}

async function metric(base: string, series: string): Promise<number | undefined> {
  const text = await (await fetch(`${base}/metrics`)).text();
  expect(text).not.toContain(SECRET);
  const line = text.split("\n").find((l) => l.startsWith(series + " "));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** Polls `check` every 20 ms until it holds; fails after `withinMs`. Returns how long it took. */
async function until(check: () => Promise<boolean>, withinMs: number, what: string): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await check()) return Date.now() - start;
    if (Date.now() - start > withinMs) throw new Error(`not within ${withinMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const primaryHealthy = (g: ServeProcess): Promise<number | undefined> => metric(g.base, 'aigw_target_healthy{target="primary"}');

interface Setup {
  a: ServeProcess;
  b: ServeProcess;
  primary: FakeUpstream;
}

/** Two processes on one store, in front of their own primary (failing) and backup. */
async function setup(name: string, state: string): Promise<Setup> {
  const primary = await startUpstream("openai");
  const backup = await startUpstream("openai");
  primary.setDefault(behave.fail(503));
  const file = join(dir, `${name}.route`);
  writeFileSync(file, policy(state, primary, backup));
  const env = { UP_KEY: SECRET, ...(redis ? { REDIS_URL: redis.url } : {}) };
  const [a, b] = await Promise.all([startServe(file, env), startServe(file, env)]);
  return { a, b, primary };
}

beforeAll(async () => {
  redis = await startRedis();
}, 30_000);

/** The whole story on one store. */
async function story({ a, b, primary }: Setup): Promise<void> {
  // A pays three failures and ejects the primary.
  for (let i = 0; i < 3; i++) expect((await ask(a.base)).attempts).toBe("primary:503,backup:200");
  expect((await ask(a.base)).skipped).toBe("primary:ejected");
  expect(primary.requests).toHaveLength(3);

  // B follows within the bound and skips the primary without a failure of its own.
  await until(async () => (await primaryHealthy(b)) === 0, FOLLOW_WITHIN_MS, "B follows A's ejection");
  // (On a loaded machine the ejection may end meanwhile: then B waits for the probe lease, still without a try of its own.)
  for (let i = 0; i < 5; i++) {
    const r = await ask(b.base);
    expect(r.attempts).toBe("backup:200");
    expect(r.skipped).toMatch(/^primary:(ejected|probing)$/);
  }
  expect(primary.requests).toHaveLength(3);

  // Recovered: once the ejection is over, both ask concurrently until one probe answers; exactly one reached the primary.
  primary.setDefault(behave.reply({ text: "back" }));
  await new Promise((r) => setTimeout(r, EJECT_MS));
  await until(
    async () => {
      const both = await Promise.all([ask(a.base), ask(b.base)]);
      return both.some((r) => r.attempts === "primary:200");
    },
    FOLLOW_WITHIN_MS,
    "one probe answers",
  );
  expect(primary.requests).toHaveLength(4);
  // The other process follows the close: both send to the primary again.
  await until(async () => (await primaryHealthy(a)) === 1 && (await primaryHealthy(b)) === 1, FOLLOW_WITHIN_MS, "both take the primary back");
  for (const g of [a, b]) expect(await ask(g.base)).toEqual({ attempts: "primary:200", skipped: null });
  expect(await metric(b.base, "aigw_health_shared_up")).toBe(1);
  for (const g of [a, b]) expect(g.stderr()).not.toContain(SECRET);
}

describe("health shared between two aigw serve processes", () => {
  it("on one SQLite file", async () => {
    const s = await setup("sqlite", `sqlite("${join(dir, "state.db")}")`);
    await story(s);
    await Promise.all([s.a.stop(), s.b.stop()]);
  }, 45_000);

  it("on one Redis, and requests still succeed while Redis is down", async () => {
    const s = await setup("redis", `redis(env("REDIS_URL"))`);
    await story(s);
    const { a, b, primary } = s;
    await redis!.stop();
    redis = undefined;
    primary.setDefault(behave.fail(503));
    // No store: each process judges alone; requests never fail on the store's account.
    for (const g of [a, b]) for (let i = 0; i < 4; i++) expect((await ask(g.base)).attempts).toMatch(/backup:200$/);
    await until(async () => (await metric(a.base, "aigw_health_shared_up")) === 0, FOLLOW_WITHIN_MS, "A reports the store down");
    expect(await primaryHealthy(a)).toBe(0);
    await Promise.all([a.stop(), b.stop()]);
  }, 45_000);
});
