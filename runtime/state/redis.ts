/**
 * The Redis store (ioredis): one budget shared by several gateway
 * instances. Every counter operation is one Lua script (redis-scripts.ts)
 * sent with EVALSHA, so checks and writes are atomic across instances.
 *
 * Time. Window math uses the store's clock (the gateway's; keep instance
 * clocks in sync). Key expiry uses *relative* TTLs computed from that clock
 * (`dropAt − now + grace`), never absolute times, so a test clock far from
 * the real one neither deletes live keys nor keeps keys beyond their
 * relative lifetime. Old windows expire on their own.
 *
 * Scripts build key names from a prefix instead of declaring them, so this
 * store targets a single Redis (or one behind Sentinel), not Redis Cluster.
 */
import { Redis, type RedisOptions } from "ioredis";
import { byKey, checkBatch, checkFinish, checkResult, closedError, expiryOf, reservationWindow } from "./common.js";
import { ADMIT, FINISH, HEALTH, READ, SWEEP } from "./redis-scripts.js";
import type { HealthNews, SharedHealth } from "./health.js";
import type {
  Addition,
  Admission,
  Check,
  CheckResult,
  CounterEntry,
  CounterRef,
  CounterValue,
  Reservation,
  Settlement,
  Store,
  StoreOptions,
} from "./store.js";
import { BatchStore } from "./batch-store.js";
import { dropAt, spanAt, windowInfo, windowOfTag, type WindowInfo } from "./window.js";

/** Options of {@link redisStore}. */
export interface RedisStoreOptions extends StoreOptions {
  /** `redis://host:port/db`; ignored when `client` is given. */
  url?: string;
  /** An existing connection (the store then does not own it: `close` leaves it open). */
  client?: Redis;
  /** Prefix of every key; default `aigw:`. Instances sharing budgets must use the same one. */
  prefix?: string;
  /** ioredis options for a connection the store opens; default `maxRetriesPerRequest: 1`. */
  redisOptions?: RedisOptions;
}

/** How long keys outlive their windows, so a late settlement still finds its bucket. */
const GRACE_MS = 60_000;
/** Counters per READ/SWEEP script call in `list` and `sweep`, so a large index never blocks Redis for long. */
const CHUNK = 256;

type Arg = string | number;

/** The scripts, as ioredis `defineCommand` adds them to a client. */
interface Scripts {
  aigwAdmit(...args: Arg[]): Promise<number[]>;
  aigwFinish(...args: Arg[]): Promise<number[]>;
  aigwRead(...args: Arg[]): Promise<number[]>;
  aigwSweep(...args: Arg[]): Promise<number>;
  aigwHealth(...args: Arg[]): Promise<string[]>;
}

/** Connects to Redis (or uses `options.client`) and returns a store over it. */
export function redisStore(options: RedisStoreOptions): Store {
  return new RedisStore(options);
}

class RedisStore extends BatchStore {
  readonly kind = "redis" as const;
  private readonly clock: () => number;
  private readonly client: Redis;
  private readonly scripts: Scripts;
  private readonly owned: boolean;
  private readonly prefix: string;
  private closed = false;

  constructor(options: RedisStoreOptions) {
    super();
    this.clock = options.clock;
    this.prefix = options.prefix ?? "aigw:";
    this.owned = options.client === undefined;
    // Fail fast while Redis is down (ioredis would retry a command 20 times, stalling requests for seconds):
    // the pipeline, not the store, decides what an unreachable store means for a request.
    const connection: RedisOptions = { maxRetriesPerRequest: 1, ...options.redisOptions };
    this.client = options.client ?? (options.url === undefined ? new Redis(connection) : new Redis(options.url, connection));
    // Connection errors reach callers as rejected operations; without a listener ioredis would also print each one.
    if (this.owned) this.client.on("error", () => {});
    define(this.client);
    this.scripts = this.client as unknown as Scripts;
  }

  admit(checks: readonly Check[]): Promise<Admission> {
    if (this.closed) return Promise.reject(closedError());
    try {
      checkBatch(checks);
    } catch (e) {
      return Promise.reject(e);
    }
    const now = this.clock();
    const args: Arg[] = [this.prefix, now, checks.length];
    const infos: WindowInfo[] = [];
    const curs: number[] = [];
    for (const c of checks) {
      const info = windowInfo(c.window);
      const span = spanAt(info, now);
      const expiresAt = expiryOf(c, now);
      infos.push(info);
      curs.push(span.cur);
      args.push(
        c.kind === "reserve" ? "r" : "t",
        counterId(c.key, info.tag),
        span.lo,
        span.cur,
        info.stepMs,
        info.lengthMs,
        span.curDropAt,
        ttl(span.curDropAt, now),
        c.amount,
        c.limit,
        expiresAt,
        ttl(Math.max(expiresAt, span.curDropAt), now),
      );
    }
    return this.scripts.aigwAdmit(...args).then((out) => {
      const admitted = out[0] === 1;
      const results: CheckResult[] = [];
      for (let i = 0; i < checks.length; i++) {
        const c = checks[i]!;
        const o = 1 + i * 5;
        const id = out[o + 4]!;
        const reservation: Reservation | undefined =
          admitted && c.kind === "reserve"
            ? { id: String(id), key: c.key, tag: infos[i]!.tag, bucket: curs[i]!, amount: c.amount, expiresAt: expiryOf(c, now) }
            : undefined;
        results.push(checkResult(out[o] === 1, out[o + 1]!, out[o + 2]!, c.limit, out[o + 3]!, reservation));
      }
      return { admitted, results };
    });
  }



  finish(settlements: readonly Settlement[], additions: readonly Addition[] = []): Promise<boolean[]> {
    if (this.closed) return Promise.reject(closedError());
    try {
      checkFinish(settlements, additions);
    } catch (e) {
      return Promise.reject(e);
    }
    const now = this.clock();
    const args: Arg[] = [this.prefix, now, settlements.length, additions.length];
    for (const { reservation: r, actual } of settlements) {
      args.push(counterId(r.key, r.tag), r.bucket, `${r.bucket}:${r.id}:${r.amount}`, r.amount, actual, ttl(dropAt(reservationWindow(r), r.bucket), now));
    }
    for (const a of additions) {
      const info = windowInfo(a.window);
      const span = spanAt(info, now);
      args.push(counterId(a.key, info.tag), span.cur, ttl(span.curDropAt, now), a.amount);
    }
    return this.scripts.aigwFinish(...args).then((held) => settlements.map((s, i) => held[i] === 1 && s.reservation.expiresAt > now));
  }



  read(refs: readonly CounterRef[]): Promise<CounterValue[]> {
    if (this.closed) return Promise.reject(closedError());
    return this.readIds(refs.map((r) => ({ id: counterId(r.key, windowInfo(r.window).tag), info: windowInfo(r.window) })));
  }

  async list(): Promise<CounterEntry[]> {
    if (this.closed) throw closedError();
    const index = await this.client.hgetall(`${this.prefix}idx`);
    const rows: { id: string; key: string; info: WindowInfo; kind: "budget" | "limit"; limit: number }[] = [];
    for (const [id, value] of Object.entries(index)) {
      const parsed = parseCounterId(id);
      if (parsed === undefined) continue;
      const colon = value.indexOf(":");
      rows.push({ id, key: parsed.key, info: parsed.info, kind: value.slice(0, colon) === "budget" ? "budget" : "limit", limit: Number(value.slice(colon + 1)) });
    }
    const values: CounterValue[] = [];
    for (let i = 0; i < rows.length; i += CHUNK) values.push(...(await this.readIds(rows.slice(i, i + CHUNK))));
    const out: CounterEntry[] = [];
    rows.forEach((row, i) => {
      const v = values[i]!;
      if (v.spent === 0 && v.reserved === 0) return;
      out.push({ kind: row.kind, key: row.key, window: row.info.window, spent: v.spent, reserved: v.reserved, limit: row.limit, resetAt: v.resetAt });
    });
    return out.sort(byKey);
  }

  async sweep(now?: number): Promise<number> {
    if (this.closed) throw closedError();
    const at = now ?? this.clock();
    const ids = await this.client.hkeys(`${this.prefix}idx`);
    let released = 0;
    for (let i = 0; i < ids.length; i += CHUNK) {
      const args: Arg[] = [this.prefix, at, 0];
      let n = 0;
      for (const id of ids.slice(i, i + CHUNK)) {
        const parsed = parseCounterId(id);
        if (parsed === undefined) continue;
        const span = spanAt(parsed.info, at);
        args.push(id, span.lo, span.cur);
        n++;
      }
      args[2] = n;
      released += await this.scripts.aigwSweep(...args);
    }
    return released;
  }

  async shareHealth(owner: string, news: readonly HealthNews[]): Promise<SharedHealth[]> {
    if (this.closed) throw closedError();
    const out = await this.scripts.aigwHealth(this.prefix, this.clock(), owner, news.length, ...news.map((n) => JSON.stringify(n)));
    return out.map((json) => JSON.parse(json) as SharedHealth);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.owned) await this.client.quit();
  }

  private readIds(counters: readonly { id: string; info: WindowInfo }[]): Promise<CounterValue[]> {
    const now = this.clock();
    const args: Arg[] = [this.prefix, now, counters.length];
    for (const c of counters) {
      const span = spanAt(c.info, now);
      args.push(c.id, span.lo, span.cur, c.info.stepMs, c.info.lengthMs, span.curDropAt);
    }
    return this.scripts.aigwRead(...args).then((out) => counters.map((_, i) => ({ spent: out[i * 3]!, reserved: out[i * 3 + 1]!, resetAt: out[i * 3 + 2]! })));
  }
}

/** Adds the scripts to a client (once per client). */
function define(client: Redis): void {
  if ((client as unknown as Partial<Scripts>).aigwAdmit !== undefined) return;
  client.defineCommand("aigwAdmit", { numberOfKeys: 0, lua: ADMIT });
  client.defineCommand("aigwFinish", { numberOfKeys: 0, lua: FINISH });
  client.defineCommand("aigwRead", { numberOfKeys: 0, lua: READ });
  client.defineCommand("aigwSweep", { numberOfKeys: 0, lua: SWEEP });
  client.defineCommand("aigwHealth", { numberOfKeys: 0, lua: HEALTH });
}

/** A counter's id in Redis: `<key>|<tag>` (tags never contain `|`, so the last `|` splits it). */
function counterId(key: string, tag: string): string {
  return `${key}|${tag}`;
}

function parseCounterId(id: string): { key: string; info: WindowInfo } | undefined {
  const bar = id.lastIndexOf("|");
  const window = bar < 0 ? undefined : windowOfTag(id.slice(bar + 1));
  return window === undefined ? undefined : { key: id.slice(0, bar), info: windowInfo(window) };
}

/** A relative TTL: until `at`, plus the grace period. */
function ttl(at: number, now: number): number {
  return Math.max(0, at - now) + GRACE_MS;
}
