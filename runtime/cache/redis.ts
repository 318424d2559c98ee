/**
 * The Redis cache store: one string per entry, `SET key value PX ttl`, so
 * Redis expires it; reads are a plain `GET`. Several gateways sharing the
 * Redis share the cache. Keys are prefixed (`aigw:cache:` by default).
 * Like the budget store, a command fails fast while Redis is down, and the
 * cache step treats a failed read as a miss and a failed write as nothing
 * stored: a cache outage never fails a request.
 */
import { Redis } from "ioredis";
import type { CacheStore } from "./store.js";

export function redisCacheStore(options: { url: string; prefix?: string }): CacheStore {
  const prefix = options.prefix ?? "aigw:cache:";
  const client = new Redis(options.url, { maxRetriesPerRequest: 1 });
  // Connection errors reach callers as rejected commands; without a listener ioredis would print each one.
  client.on("error", () => {});
  return {
    kind: "redis",
    async get(key) {
      const value = await client.getBuffer(prefix + key);
      return value === null ? undefined : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    },
    async set(key, value, ttlMs) {
      await client.set(prefix + key, Buffer.from(value.buffer, value.byteOffset, value.byteLength), "PX", Math.max(1, Math.ceil(ttlMs)));
    },
    bytes: () => undefined,
    // Redis expires and evicts on its own (its `expired_keys` and `evicted_keys` statistics count them).
    evicted: () => 0,
    // Redis expires entries itself.
    sweep: async () => 0,
    async close() {
      await client.quit().catch(() => client.disconnect());
    },
  };
}
