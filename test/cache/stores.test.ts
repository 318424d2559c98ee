/**
 * The cache stores behind one interface: the same cases against memory, a
 * SQLite file and a real redis-server (test/support/redis.ts), plus what
 * only one of them does (the memory store's byte bound and LRU eviction,
 * the SQLite sweep), and the entry codec's compression.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMPRESS_FROM, decodeEntry, encodeEntry, ENTRY_OVERHEAD, memoryCacheStore, openCacheStore, redisCacheStore, sqliteCacheStore, type CacheEntry, type CacheStore } from "../../runtime/cache/index.js";
import { startRedis, type RedisServer } from "../support/redis.js";

function fakeClock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

const bytes = (...xs: number[]) => Uint8Array.from(xs);

/** Cases every store passes; `expire` moves the store past an entry's ttl (a clock, or real time for Redis). */
function conformance(name: string, open: () => { store: CacheStore; expire: (ms: number) => Promise<void> }) {
  describe(`${name} cache store`, () => {
    it("reads back what it stored, byte for byte, and nothing for an unknown key", async () => {
      const { store } = open();
      await store.set("k1", bytes(0, 1, 2, 255), 60_000);
      expect(await store.get("k1")).toEqual(bytes(0, 1, 2, 255));
      expect(await store.get("nope")).toBeUndefined();
      await store.close();
    });

    it("replaces an entry stored again under the same key", async () => {
      const { store } = open();
      await store.set("k2", bytes(1), 60_000);
      await store.set("k2", bytes(2, 2), 60_000);
      expect(await store.get("k2")).toEqual(bytes(2, 2));
      await store.close();
    });

    it("never answers with an entry past its ttl", async () => {
      const { store, expire } = open();
      await store.set("k3", bytes(3), 50);
      await store.set("k4", bytes(4), 60_000);
      await expire(50);
      expect(await store.get("k3")).toBeUndefined();
      expect(await store.get("k4")).toEqual(bytes(4));
      await store.close();
    });
  });
}

conformance("memory", () => {
  const clock = fakeClock();
  return { store: memoryCacheStore({ maxBytes: 1 << 20, clock: clock.now }), expire: async (ms) => clock.advance(ms) };
});

conformance("sqlite", () => {
  const clock = fakeClock();
  const path = join(mkdtempSync(join(tmpdir(), "aigw-cache-")), "state.db");
  return { store: sqliteCacheStore({ path, clock: clock.now }), expire: async (ms) => clock.advance(ms) };
});

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
conformance("redis", () => {
  if (redis === undefined) throw redisError;
  // Redis expires by its own clock (`SET … PX`): the entry is gone once its ttl has passed in real time.
  return { store: redisCacheStore({ url: redis.url, prefix: `t${prefixes++}:` }), expire: (ms) => new Promise((r) => setTimeout(r, ms * 3)) };
});

describe("the memory store's bound", () => {
  it("evicts the least recently used entries to stay within cache_memory", async () => {
    const clock = fakeClock();
    const size = 1000;
    // Room for three entries of `size` bytes with their keys and bookkeeping.
    const store = memoryCacheStore({ maxBytes: 3 * (size + 2 * 2 + ENTRY_OVERHEAD), clock: clock.now });
    for (const k of ["k1", "k2", "k3"]) await store.set(k, new Uint8Array(size), 60_000);
    await store.get("k1"); // k1 is now the most recently used; k2 the least
    await store.set("k4", new Uint8Array(size), 60_000);
    expect(await store.get("k2")).toBeUndefined();
    expect(await store.get("k1")).toBeDefined();
    expect(await store.get("k4")).toBeDefined();
    expect(store.evicted()).toBe(1);
    expect(store.bytes()).toBeLessThanOrEqual(3 * (size + 4 + ENTRY_OVERHEAD));
  });

  it("never holds an entry larger than the whole bound", async () => {
    const store = memoryCacheStore({ maxBytes: 100, clock: () => 0 });
    await store.set("big", new Uint8Array(1000), 60_000);
    expect(await store.get("big")).toBeUndefined();
    expect(store.bytes()).toBe(0);
  });

  it("sweeps expired entries and counts them", async () => {
    const clock = fakeClock();
    const store = memoryCacheStore({ maxBytes: 1 << 20, clock: clock.now });
    await store.set("a", bytes(1), 10);
    await store.set("b", bytes(1), 1000);
    clock.advance(10);
    expect(await store.sweep()).toBe(1);
    expect(store.evicted()).toBe(1);
  });
});

describe("the SQLite store", () => {
  it("keeps entries in the state file across connections and sweeps expired rows", async () => {
    const clock = fakeClock();
    const path = join(mkdtempSync(join(tmpdir(), "aigw-cache-")), "nested", "state.db");
    const first = openCacheStore({ kind: "sqlite", path }, { env: {}, clock: clock.now });
    await first.set("kept", bytes(7), 1000);
    await first.set("old", bytes(8), 10);
    await first.close();
    const second = sqliteCacheStore({ path, clock: clock.now });
    expect(await second.get("kept")).toEqual(bytes(7));
    clock.advance(10);
    expect(await second.sweep()).toBe(1);
    expect(second.evicted()).toBe(1);
    await second.close();
  });

  it("refuses an unset Redis url with a typed error", () => {
    expect(() => openCacheStore({ kind: "redis", url: { env: "NOPE" } }, { env: {}, clock: () => 0 })).toThrow(expect.objectContaining({ code: "AIGW_CACHE_REDIS_URL_UNSET" }));
  });
});

describe("entries", () => {
  const entry = (text: string): CacheEntry => ({
    kind: "completion",
    target: "gpt",
    storedAt: 5,
    usage: { promptTokens: 1, completionTokens: 2 },
    completion: { id: "c", object: "chat.completion", created: 1, model: "m", choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }] },
  });

  it("are compressed from COMPRESS_FROM bytes and read back unchanged", async () => {
    const small = await encodeEntry(entry("hi"));
    expect(small.bytes[0]).toBe(0);
    const large = await encodeEntry(entry("x".repeat(COMPRESS_FROM * 4)));
    expect(large.bytes[0]).toBe(1);
    expect(large.bytes.byteLength).toBeLessThan(large.jsonBytes / 4);
    expect(await decodeEntry(large.bytes)).toEqual(entry("x".repeat(COMPRESS_FROM * 4)));
    expect(await decodeEntry(small.bytes)).toEqual(entry("hi"));
  });

  it("reads bytes that are not an entry as none", async () => {
    for (const junk of [bytes(), bytes(9, 1, 2), bytes(1, 1, 2, 3), Uint8Array.from(Buffer.from("\u0000{\"kind\":\"other\"}"))]) {
      expect(await decodeEntry(junk)).toBeUndefined();
    }
  });
});
