/**
 * Where cache entries live: one small interface over the gateway's
 * configured state (memory, SQLite, Redis), holding opaque bytes with an
 * expiry. Expiry is judged with the injected clock on every read, so an
 * entry is never served past its `ttl` whatever the backend's own timers
 * do; the backends only reclaim the space (LRU eviction, a sweep, Redis's
 * `PX`).
 */

/** Epoch milliseconds. */
export type Clock = () => number;

export interface CacheStore {
  readonly kind: "memory" | "sqlite" | "redis";
  /** The bytes under `key` while it has not expired. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Stores `value` for `ttlMs` (replacing any entry under `key`). */
  set(key: string, value: Uint8Array, ttlMs: number): Promise<void>;
  /** The bytes the store holds, when it knows (the memory store); undefined otherwise. */
  bytes(): number | undefined;
  /** Entries removed so far before a read found them: evicted for room, or expired and swept. */
  evicted(): number;
  /** Removes expired entries; resolves to how many. */
  sweep(): Promise<number>;
  close(): Promise<void>;
}
