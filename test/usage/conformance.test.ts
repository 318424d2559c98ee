/**
 * Every usage store keeps the same promises (store.ts), checked here on
 * memory, a SQLite file and a real redis-server (test/support/redis.ts; the
 * Redis cases FAIL when it is missing, never skip): `add` merges into the
 * stored cell, `rows` returns exactly the minutes asked for, `sweep` drops
 * only older minutes; and for the shared stores, two writers — two
 * connections to one SQLite file, two clients of one Redis, as two gateways
 * would have — flushing at once add up rather than overwrite each other.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bucketOf, emptyCounts, memoryUsageStore, redisUsageStore, sqliteUsageStore, type UsageCounts, type UsageRow, type UsageStore } from "../../runtime/usage/index.js";
import { startRedis, type RedisServer } from "../support/redis.js";

const M = Date.UTC(2026, 11, 7, 9, 0, 0);
const KEEP = 86_400_000;

function row(minute: number, team: string, over: Partial<UsageCounts> = {}): UsageRow {
  return {
    minute,
    dims: { team, key: "sha256:0123456789ab", user: "", route: "chat", model: "mini", provider: "up", api: "openai.chat", outcome: "ok" },
    counts: { ...emptyCounts(), requests: 1, inputTokens: 10, outputTokens: 5, costMicros: 7, ...over },
  };
}

let redis: RedisServer;
let dir: string;
beforeAll(async () => {
  redis = await startRedis();
  dir = mkdtempSync(join(tmpdir(), "aigw-usage-"));
});
afterAll(async () => {
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
/** Each kind opens a fresh store; `again` opens a second connection to the one opened last. */
const shared: [string, () => UsageStore, () => UsageStore][] = [
  ["sqlite", () => sqliteUsageStore({ path: join(dir, `a${++n}.db`) }), () => sqliteUsageStore({ path: join(dir, `a${n}.db`) })],
  ["redis", () => redisUsageStore({ url: redis.url, prefix: `t${++n}:` }), () => redisUsageStore({ url: redis.url, prefix: `t${n}:` })],
];
const kinds: [string, () => UsageStore][] = [["memory", () => memoryUsageStore()], ...shared.map(([k, open]): [string, () => UsageStore] => [k, open])];

describe.each(kinds)("the %s usage store", (_kind, open) => {
  it("merges added cells, returns the minutes asked for and sweeps older ones", async () => {
    const s = open();
    try {
      await s.add([row(M, "search", { errorKinds: { timeout: 1 }, latency: { [bucketOf(80)]: 1 }, overhead: { 2: 1 } }), row(M, "support")], KEEP);
      await s.add([row(M, "search", { errors: 1, errorKinds: { timeout: 2, rate_limited: 1 }, latency: { [bucketOf(80)]: 2, [bucketOf(900)]: 1 } })], KEEP);
      await s.add([row(M + 60_000, "search"), row(M + 120_000, "search")], KEEP);
      await s.add([], KEEP);
      const first = await s.rows(M, M + 60_000);
      const search = first.find((r) => r.dims.team === "search")!;
      expect(first).toHaveLength(2);
      expect(search.dims).toEqual(row(M, "search").dims);
      expect(search.counts).toEqual({
        ...emptyCounts(),
        requests: 2,
        errors: 1,
        inputTokens: 20,
        outputTokens: 10,
        costMicros: 14,
        errorKinds: { timeout: 3, rate_limited: 1 },
        latency: { [bucketOf(80)]: 3, [bucketOf(900)]: 1 },
        overhead: { 2: 1 },
      });
      expect((await s.rows(M, M + 180_000)).length).toBe(4);
      expect((await s.rows(M + 60_000, M + 120_000)).map((r) => r.minute)).toEqual([M + 60_000]);
      expect(await s.sweep(M + 60_000)).toBe(2);
      expect((await s.rows(0, M + 180_000)).map((r) => r.minute).sort()).toEqual([M + 60_000, M + 120_000]);
    } finally {
      await s.close();
    }
  });

});

describe.each(shared)("the %s usage store, shared", (_kind, open, again) => {
  it("adds up two writers, flushing at once", async () => {
    const a = open();
    const b = again();
    try {
      const flushes: Promise<void>[] = [];
      for (let i = 0; i < 20; i++) {
        flushes.push(a.add([row(M, "search"), row(M, "support", { costMicros: 3 })], KEEP));
        flushes.push(b.add([row(M, "search", { latency: { 4: 1 } })], KEEP));
      }
      await Promise.all(flushes);
      const rows = await a.rows(M, M + 60_000);
      const search = rows.find((r) => r.dims.team === "search")!.counts;
      expect(search).toMatchObject({ requests: 40, inputTokens: 400, costMicros: 280, latency: { 4: 20 } });
      expect(rows.find((r) => r.dims.team === "support")!.counts).toMatchObject({ requests: 20, costMicros: 60 });
      expect(await b.rows(M, M + 60_000)).toEqual(expect.arrayContaining(rows));
    } finally {
      await a.close();
      await b.close();
    }
  });
});
