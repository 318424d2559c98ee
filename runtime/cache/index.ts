/**
 * The response cache's public entry: the store the gateway's `state`
 * setting names (`openCacheStore`), the key, the entry codec, and the
 * coalescing of identical misses. The pipeline's cache step
 * (pipeline/steps/cache.ts) is the only reader and writer.
 */
import type { GatewayNode } from "../../compiler/graph.js";
import { DEFAULTS } from "../../compiler/settings.js";
import { CacheStoreError } from "./errors.js";
import { memoryCacheStore } from "./memory.js";
import { redisCacheStore } from "./redis.js";
import { sqliteCacheStore } from "./sqlite.js";
import { stateLocation, sweepEvery, type Swept } from "../state/index.js";
import type { CacheStore, Clock } from "./store.js";
import { memoryVectorIndexes, type VectorIndexes } from "./vectors.js";
import { redisVectorIndexes } from "./redis-vectors.js";

export type { CacheStore, Clock } from "./store.js";
export { CacheStoreError, type CacheStoreErrorCode } from "./errors.js";
export { cacheKey, keyMaterial, type KeyContext } from "./key.js";
export { decodeEntry, encodeEntry, COMPRESS_FROM, type CacheEntry } from "./entry.js";
export { Coalescer } from "./coalesce.js";
export { memoryCacheStore, ENTRY_OVERHEAD } from "./memory.js";
export { sqliteCacheStore } from "./sqlite.js";
export { redisCacheStore } from "./redis.js";
export { MemoryVectorIndex, memoryVectorIndexes, unitVector, vectorIndexes, type Nearest, type VectorIndex, type VectorIndexes } from "./vectors.js";
export { semanticQuery, type SemanticQuery } from "./semantic-key.js";
export { RedisVectorIndex, redisVectorIndexes } from "./redis-vectors.js";

/** How often expired entries are swept from stores that do not expire them themselves. */
export const CACHE_SWEEP_MS = 60_000;

export interface OpenCacheOptions {
  env: Readonly<Record<string, string | undefined>>;
  clock: Clock;
  /** Where a relative SQLite path is resolved. */
  baseDir?: string;
  /** The memory store's bound (`cache_memory`); default 64 MiB. */
  maxBytes?: number;
}

/** An open cache store with its sweep timer. */
export type ManagedCache = Swept<CacheStore>;

/** Opens the gateway's cache store (its `state`, bounded by `cache_memory`) and sweeps it on a timer. */
export function openManagedCache(gateway: GatewayNode, options: { env: Readonly<Record<string, string | undefined>>; baseDir: string; clock?: Clock; onError?: (err: unknown) => void }): ManagedCache {
  const store = openCacheStore(gateway.state, {
    env: options.env,
    clock: options.clock ?? Date.now,
    baseDir: options.baseDir,
    maxBytes: gateway.cacheMemoryBytes ?? DEFAULTS.gateway.cacheMemoryBytes,
  });
  return sweepEvery(store, CACHE_SWEEP_MS, options.onError);
}

/**
 * Opens the cache store beside the gateway's state: memory, the same SQLite
 * file (its own table and connection), or the same Redis (its own client,
 * `aigw:cache:` keys). Throws `CacheStoreError` when it cannot.
 */
export function openCacheStore(config: GatewayNode["state"], options: OpenCacheOptions): CacheStore {
  const at = stateLocation(config, options);
  switch (at.kind) {
    case "memory":
      return memoryCacheStore({ maxBytes: options.maxBytes ?? DEFAULTS.gateway.cacheMemoryBytes, clock: options.clock });
    case "sqlite":
      return sqliteCacheStore({ clock: options.clock, path: at.path });
    case "redis":
      if (at.url === undefined) throw new CacheStoreError("AIGW_CACHE_REDIS_URL_UNSET", "cannot open the redis cache: its url is not set");
      return redisCacheStore({ url: at.url });
  }
}

/**
 * Opens the semantic caches' vector indexes beside the cache store: with
 * Redis state, local mirrors of Redis streams every gateway shares
 * (redis-vectors.ts); otherwise in this process's memory (with SQLite state
 * a restart starts the index empty while the entries stay for exact hits).
 */
export function openVectorIndexes(config: GatewayNode["state"], options: { env: Readonly<Record<string, string | undefined>>; clock: Clock }): VectorIndexes {
  const at = stateLocation(config, options);
  if (at.kind !== "redis") return memoryVectorIndexes(options.clock);
  if (at.url === undefined) throw new CacheStoreError("AIGW_CACHE_REDIS_URL_UNSET", "cannot open the redis cache: its url is not set");
  return redisVectorIndexes({ url: at.url, clock: options.clock });
}
