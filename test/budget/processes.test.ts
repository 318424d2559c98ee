/**
 * One hard budget across processes: two real `aigw serve` processes on
 * different ports share one Redis (`state redis(env("REDIS_URL"))`, a real
 * redis-server started for this file). Concurrent requests at both admit no
 * more spend than the budget, as the clients count it (from the 200s) and as
 * the Redis store holds it, and the rest are refused with 429 naming the
 * budget. It runs with one thread per process and again with two worker
 * threads per process (`--workers 2`: four event loops on one counter).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { dollarsToMicros, redisStore, type Store } from "../../runtime/state/index.js";
import { startRedis, type RedisServer } from "../support/redis.js";
import { budgetRows, chat, startServe, stopServes, type ChatOutcome } from "./child/serve-process.js";

const INPUT_MICROS = 1000;
const OUTPUT_MICROS = 2000;
const LIMIT_DOLLARS = 0.3;
const ADMIN = "processes-admin-token";
/** Requests per wave (half at each gateway), and waves: later waves find the budget spent. */
const WAVE = 30;
const WAVES = 3;

const dir = mkdtempSync(join(tmpdir(), "aigw-processes-"));
const opened: Store[] = [];
const servers: RedisServer[] = [];

afterAll(async () => {
  await stopServes();
  await Promise.all(opened.map((s) => s.close()));
  await Promise.all(servers.map((r) => r.stop()));
  rmSync(dir, { recursive: true, force: true });
});

const POLICY = `
gateway { auth none admin_token env("AIGW_TEST_ADMIN") state redis(env("REDIS_URL")) }
provider p { api mock latency 60ms }
model big = p/"big" { input $${INPUT_MICROS}/Mtok output $${OUTPUT_MICROS}/Mtok context 8k }
budget b { per global limit $${LIMIT_DOLLARS} per 24h exceeded reject }
route r { when model == "chat" budget b to big }
`;

const costOf = (o: ChatOutcome): number => o.usage!.prompt_tokens * INPUT_MICROS + o.usage!.completion_tokens * OUTPUT_MICROS;

describe.each([1, 2])("two gateway processes (--workers %i) sharing one redis", (workers) => {
  it("together admit no more than the hard budget and refuse the rest with 429", async () => {
    const redis = await startRedis();
    servers.push(redis);
    writeFileSync(join(dir, "main.route"), POLICY);
    const env = { AIGW_TEST_ADMIN: ADMIN, REDIS_URL: redis.url };
    const args = ["--workers", String(workers)];
    // Start-up with workers loads the runtime once per worker: on a busy 2-core machine that can pass the usual 15 s.
    const opts = { args, startTimeoutMs: 60_000 };
    const [a, b] = await Promise.all([startServe(join(dir, "main.route"), env, opts), startServe(join(dir, "main.route"), env, opts)]);
    expect(a.base).not.toBe(b.base);

    const outcomes: ChatOutcome[] = [];
    for (let wave = 0; wave < WAVES; wave++) {
      const replies = await Promise.all(
        Array.from({ length: WAVE }, (_, i) => chat(i % 2 ? a.base : b.base, `hello from ${wave}-${i} ` + "x".repeat(i % 13), 5 + (i % 10))),
      );
      outcomes.push(...replies);
    }
    const ok = outcomes.filter((o) => o.status === 200);
    const refused = outcomes.filter((o) => o.status === 429);
    expect(ok.length + refused.length).toBe(outcomes.length);
    expect(ok.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((o) => o.error?.code === "budget_exceeded" && (o.error.message ?? "").includes("budget `b`"))).toBe(true);

    const limit = dollarsToMicros(LIMIT_DOLLARS);
    const admitted = ok.reduce((n, o) => n + costOf(o), 0);
    expect(admitted).toBeLessThanOrEqual(limit);

    // The shared counter, read straight from Redis (the gateways' default prefix), agrees to the micro-dollar.
    const store = redisStore({ clock: Date.now, url: redis.url });
    opened.push(store);
    const entries = (await store.list()).filter((e) => e.key.startsWith("budget:b:"));
    expect(entries).toHaveLength(1);
    expect(entries[0]!.spent).toBe(admitted);
    expect(entries[0]!.reserved).toBe(0);
    expect(entries[0]!.spent).toBeLessThanOrEqual(limit);

    // Both gateways show the same shared counter.
    for (const g of [a, b]) {
      const rows = await budgetRows(g.base, ADMIN, "b");
      expect(rows.map((r) => dollarsToMicros(r.spent))).toEqual([admitted]);
      expect(rows.map((r) => r.limit)).toEqual([LIMIT_DOLLARS]);
    }
    await Promise.all([a.stop(), b.stop()]);
    expect([a.process.exitCode, b.process.exitCode]).toEqual([0, 0]);
  }, 120_000);
});
