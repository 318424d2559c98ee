/**
 * The in-memory cache store: an LRU (lru-cache) bounded in bytes by the
 * gateway's `cache_memory`; the least recently used entries are evicted to
 * make room. An entry's size is its bytes plus its key and a fixed
 * allowance for the bookkeeping around it, so the bound holds for many
 * small entries too.
 */
import { LRUCache } from "lru-cache";
import type { CacheStore, Clock } from "./store.js";

/** Bytes counted per entry beyond its value and key: the LRU's node, the map slot, the record. */
export const ENTRY_OVERHEAD = 160;

interface Held {
  readonly value: Uint8Array;
  readonly expiresAt: number;
}

export function memoryCacheStore(options: { maxBytes: number; clock: Clock }): CacheStore {
  const { clock } = options;
  let evicted = 0;
  const lru = new LRUCache<string, Held>({
    maxSize: options.maxBytes,
    sizeCalculation: (held, key) => held.value.byteLength + key.length * 2 + ENTRY_OVERHEAD,
    dispose: (_held, _key, reason) => {
      if (reason === "evict") evicted++;
    },
  });
  return {
    kind: "memory",
    async get(key) {
      const held = lru.get(key);
      if (held === undefined) return undefined;
      if (held.expiresAt > clock()) return held.value;
      lru.delete(key);
      return undefined;
    },
    async set(key, value, ttlMs) {
      // An entry larger than the whole store is refused by the LRU itself (never stored).
      lru.set(key, { value, expiresAt: clock() + ttlMs });
    },
    bytes: () => lru.calculatedSize,
    evicted: () => evicted,
    async sweep() {
      const now = clock();
      const expired: string[] = [];
      for (const [key, held] of lru.entries()) if (held.expiresAt <= now) expired.push(key);
      for (const key of expired) lru.delete(key);
      evicted += expired.length;
      return expired.length;
    },
    async close() {
      lru.clear();
    },
  };
}
