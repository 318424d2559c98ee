import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore, redisStore } from "../../runtime/state/index.js";
import { startRedis, type RedisServer } from "../support/redis.js";
import { compete } from "./children.js";
import { conformance, DAY, fakeClock } from "./conformance.js";

let server: RedisServer | undefined;
let client: Redis | undefined;
let startError: unknown;
let prefixes = 0;

// A missing redis-server fails every test below with startRedis's explanation; nothing is skipped.
beforeAll(async () => {
  try {
    server = await startRedis();
  } catch (e) {
    startError = e;
    return;
  }
  client = new Redis(server.url);
  // Load every script once, so no EVALSHA → NOSCRIPT → EVAL retry can reorder later calls.
  const warm = redisStore({ clock: () => 0, client, prefix: "warm:" });
  const r = await warm.reserve("k", 1, 1, DAY);
  await warm.finish([{ reservation: r.reservation!, actual: 1 }], [{ key: "k", amount: 1, window: DAY }]);
  await warm.read([{ key: "k", window: DAY }]);
  await warm.sweep();
}, 30_000);

afterAll(async () => {
  await client?.quit();
  await server?.stop();
});

function redis(): { server: RedisServer; client: Redis } {
  if (server === undefined || client === undefined) throw startError ?? new Error("redis-server did not start");
  return { server, client };
}

conformance("redis", () => ({ open: async (clock) => redisStore({ clock, client: redis().client, prefix: `t${prefixes++}:` }), runs: 30 }));

describe("redis store", () => {
  it("opens from the gateway's state setting with the URL from the environment", async () => {
    const s = openStore({ kind: "redis", url: { env: "AIGW_TEST_REDIS" } }, { env: { AIGW_TEST_REDIS: redis().server.url }, clock: () => 0, redisPrefix: "open:" });
    expect(s.kind).toBe("redis");
    expect(await s.take("k", 1, 1, DAY)).toMatchObject({ admitted: true });
    await s.close();
  });

  it("rejects operations while Redis is unreachable, without crashing", async () => {
    const s = redisStore({ clock: () => 0, url: "redis://127.0.0.1:1" });
    await expect(s.take("k", 1, 1, DAY)).rejects.toThrow();
    await s.close();
  });

  it("expires old windows' keys on their own", async () => {
    const { client } = redis();
    const clock = fakeClock(Date.UTC(2025, 0, 15, 12));
    const s = redisStore({ clock, client, prefix: "ttl:" });
    await s.take("k", 1, 5, { kind: "calendar", unit: "minute" });
    const keys = await client.keys("ttl:b:*");
    expect(keys).toHaveLength(1);
    const ttl = await client.pttl(keys[0]!);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000 + 60_000);
  });

  it("two processes sharing one budget together never pass the limit", async () => {
    const { server } = redis();
    const limit = 1500;
    const base = { store: { kind: "redis" as const, url: server.url, prefix: "shared:" }, mode: "compete" as const, key: "budget:shared:global", limit, ops: 400 };
    const reports = await compete([
      { ...base, seed: 1 },
      { ...base, seed: 2 },
    ]);
    const admitted = reports.reduce((s, r) => s + r.admitted, 0);
    expect(admitted).toBeLessThanOrEqual(limit);
    expect(reports.reduce((s, r) => s + r.refused, 0)).toBeGreaterThan(0);
    const s = redisStore({ clock: () => Date.now(), url: server.url, prefix: "shared:" });
    const [v] = await s.read([{ key: "budget:shared:global", window: DAY }]);
    expect(v!.spent + v!.reserved).toBe(admitted); // no lost update
    await s.close();
  });
});
