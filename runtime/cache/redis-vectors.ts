/**
 * The semantic cache's vectors in Redis, shared by every gateway on it.
 *
 * Debian's redis-server has no vector search (RediSearch is a separate
 * module), and fetching a partition's vectors on every lookup would move
 * megabytes per request (10k × 1,536 dimensions × 4 bytes is 60 MB). So
 * each gateway keeps a local mirror — the same bounded in-memory index as
 * without Redis (vectors.ts), scanned locally — and Redis holds the log it
 * is built from: one stream per partition (`XADD … MAXLEN max_vectors`,
 * expiring with its newest entry's ttl), each entry the exact-match key it
 * points at, its float32 vector and its expiry. A lookup first reads the
 * partition's entries newer than the last one this gateway has seen
 * (`XRANGE (last +`: usually none, one round trip of a few bytes), adds
 * them to the mirror, then scans the mirror. What one gateway stores,
 * another finds on its next lookup in that partition.
 *
 * A Redis that fails makes the lookup use the mirror alone, and an add
 * stay local: the cache step already treats a failing index as a miss.
 */
import { Redis } from "ioredis";
import { LRUCache } from "lru-cache";
import { MemoryVectorIndex, vectorIndexes, type Nearest, type VectorIndexes } from "./vectors.js";
import type { Clock } from "./store.js";

/** Partitions whose last seen stream id a gateway remembers (beyond them a partition is read from its start again). */
const PARTITIONS_REMEMBERED = 100_000;

/** A local mirror of the cache's vectors, kept up to date from Redis streams. */
export class RedisVectorIndex extends MemoryVectorIndex {
  readonly #lastSeen = new LRUCache<string, string>({ max: PARTITIONS_REMEMBERED });

  constructor(
    private readonly client: Redis,
    private readonly prefix: string,
    max: number,
    clock: Clock,
  ) {
    super(max, clock);
  }

  override async nearest(partition: string, vector: Float32Array, least: number): Promise<Nearest | undefined> {
    try {
      await this.sync(partition);
    } catch {
      // Redis is down: the mirror answers alone.
    }
    return super.nearest(partition, vector, least);
  }

  override async add(partition: string, key: string, vector: Float32Array, ttlMs: number): Promise<void> {
    await super.add(partition, key, vector, ttlMs);
    const stream = this.prefix + partition;
    const expiresAt = this.clock() + ttlMs;
    const bytes = Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
    await this.client
      .multi()
      .xadd(stream, "MAXLEN", String(this.max), "*", "k", key, "e", String(expiresAt), "v", bytes)
      .pexpire(stream, Math.max(1, Math.ceil(ttlMs)))
      .exec();
  }

  /** Adds the partition's entries this gateway has not seen yet to the mirror. */
  private async sync(partition: string): Promise<void> {
    const last = this.#lastSeen.get(partition);
    const entries = await this.client.xrangeBuffer(this.prefix + partition, last === undefined ? "-" : `(${last}`, "+");
    const now = this.clock();
    for (const [id, fields] of entries) {
      this.#lastSeen.set(partition, id.toString());
      const f = fieldsOf(fields);
      const expiresAt = Number(f.get("e")?.toString());
      const key = f.get("k")?.toString();
      const v = f.get("v");
      if (key === undefined || v === undefined || v.byteLength % 4 !== 0 || !(expiresAt > now)) continue;
      // Copied out: a Buffer from ioredis may share a pool and sit at an offset a Float32Array cannot view.
      const vector = new Float32Array(new Uint8Array(v).buffer);
      await super.add(partition, key, vector, expiresAt - now);
    }
  }
}

function fieldsOf(flat: Buffer[]): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (let i = 0; i + 1 < flat.length; i += 2) out.set(flat[i]!.toString(), flat[i + 1]!);
  return out;
}

/** The semantic indexes of a gateway whose cache is in Redis (`aigw:vec:` keys by default); connects when the first semantic cache is used. */
export function redisVectorIndexes(options: { url: string; clock: Clock; prefix?: string }): VectorIndexes {
  let client: Redis | undefined;
  const connect = (): Redis => {
    if (client !== undefined) return client;
    client = new Redis(options.url, { maxRetriesPerRequest: 1 });
    // Connection errors reach callers as rejected commands; without a listener ioredis would print each one.
    client.on("error", () => {});
    return client;
  };
  const prefix = options.prefix ?? "aigw:vec:";
  const indexes = vectorIndexes((name, max) => new RedisVectorIndex(connect(), `${prefix}${name}:`, max, options.clock));
  return {
    ...indexes,
    async close() {
      await indexes.close();
      const c = client;
      if (c !== undefined) await c.quit().catch(() => c.disconnect());
    },
  };
}
