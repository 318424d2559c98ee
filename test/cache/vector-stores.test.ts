/**
 * The semantic caches' vector indexes behind one interface: the same cases
 * against the in-memory index and the Redis-backed mirror on a real
 * redis-server (test/support/redis.ts), plus what only Redis does — a
 * vector one gateway stores is found by another, the partition's stream
 * stays within `max_vectors`, and a Redis that goes away leaves the mirror
 * answering.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memoryVectorIndexes, redisVectorIndexes, unitVector, type VectorIndexes } from "../../runtime/cache/index.js";
import { startRedis, type RedisServer } from "../support/redis.js";

function fakeClock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

const v = (...xs: number[]) => unitVector(xs)!;

function conformance(name: string, open: (clock: () => number) => VectorIndexes) {
  describe(`${name} vector index`, () => {
    it("finds the nearest vector of the partition at or above the threshold, and nothing below it", async () => {
      const indexes = open(() => 0);
      const index = indexes.get("c", 100);
      await index.add("p", "paris", v(1, 0, 0), 60_000);
      await index.add("p", "rome", v(0, 1, 0), 60_000);
      await index.add("q", "other", v(0.99, 0.1, 0), 60_000);
      expect(await index.nearest("p", v(0.96, 0.28, 0), 0.9)).toEqual({ key: "paris", similarity: expect.closeTo(0.96, 5) });
      expect(await index.nearest("p", v(0.6, 0.8, 0), 0.9)).toBeUndefined();
      expect(await index.nearest("r", v(1, 0, 0), 0)).toBeUndefined();
      expect(indexes.size()).toBe(3);
      await indexes.close();
    });

    it("never answers with a vector past its ttl", async () => {
      const clock = fakeClock();
      const indexes = open(clock.now);
      const index = indexes.get("c", 100);
      await index.add("p", "old", v(1, 0), 100);
      clock.advance(100);
      expect(await index.nearest("p", v(1, 0), 0.5)).toBeUndefined();
      await indexes.close();
    });

    it("keeps one index per cache, bounded by its latest `max_vectors`", async () => {
      const indexes = open(() => 0);
      const a = indexes.get("a", 2);
      for (const [i, x] of [v(1, 0), v(0, 1), v(1, 1)].entries()) await a.add("p", `k${i}`, x, 60_000);
      expect(a.size()).toBe(2);
      expect(await a.nearest("p", v(1, 0), 0.99)).toBeUndefined();
      expect(await indexes.get("b", 2).nearest("p", v(1, 1), 0.5)).toBeUndefined();
      expect(indexes.get("a", 1).size()).toBe(2);
      await a.add("p", "k3", v(1, -1), 60_000);
      expect(a.size()).toBe(1);
      await indexes.close();
    });
  });
}

conformance("memory", (clock) => memoryVectorIndexes(clock));

let redis: RedisServer | undefined;
let redisError: unknown;
// A missing redis-server fails the Redis cases with startRedis's explanation; nothing is skipped.
beforeAll(async () => {
  try {
    redis = await startRedis();
  } catch (e) {
    redisError = e;
  }
}, 30_000);
afterAll(async () => {
  await redis?.stop();
});
let prefixes = 0;
const openRedis = (clock: () => number, prefix = `t${prefixes++}:`): VectorIndexes => {
  if (redis === undefined) throw redisError;
  return redisVectorIndexes({ url: redis.url, clock, prefix });
};
conformance("redis", (clock) => openRedis(clock));

describe("the Redis vector index", () => {
  it("shares vectors between gateways: what one stores, another finds on its next lookup", async () => {
    const prefix = `shared${prefixes++}:`;
    const one = openRedis(() => 0, prefix);
    const two = openRedis(() => 0, prefix);
    await one.get("c", 100).add("p", "paris", v(1, 0, 0), 60_000);
    expect(await two.get("c", 100).nearest("p", v(0.96, 0.28, 0), 0.9)).toEqual({ key: "paris", similarity: expect.closeTo(0.96, 5) });
    await two.get("c", 100).add("p", "rome", v(0, 1, 0), 60_000);
    expect((await one.get("c", 100).nearest("p", v(0.1, 0.99, 0), 0.9))?.key).toBe("rome");
    await one.close();
    await two.close();
  });

  it("keeps each partition's stream within `max_vectors` and expires it with its entries", async () => {
    const prefix = `bound${prefixes++}:`;
    const indexes = openRedis(() => 0, prefix);
    const index = indexes.get("c", 3);
    for (let i = 0; i < 10; i++) await index.add("p", `k${i}`, v(1, i), 60_000);
    const client = new Redis(redis!.url);
    expect(await client.xlen(`${prefix}c:p`)).toBe(3);
    expect(await client.pttl(`${prefix}c:p`)).toBeGreaterThan(50_000);
    client.disconnect();
    await indexes.close();
  });

  it("answers from its mirror when Redis is unreachable, and an add then fails for the caller to ignore", async () => {
    const indexes = redisVectorIndexes({ url: "redis://127.0.0.1:1", clock: () => 0 });
    const index = indexes.get("c", 10);
    await expect(index.add("p", "k", v(1, 0), 60_000)).rejects.toThrow();
    expect((await index.nearest("p", v(1, 0), 0.9))?.key).toBe("k");
    await indexes.close();
  });
});
