/**
 * The state stores' public entry: `openStore` turns the gateway block's
 * `state` setting into a {@link Store}, plus the key, money and window
 * helpers the pipeline needs to talk to it.
 */
import type { GatewayNode } from "../../compiler/graph.js";
import { StateError } from "./errors.js";
import { memoryStore } from "./memory.js";
import { redisStore } from "./redis.js";
import { sqliteStore } from "./sqlite.js";
import { stateLocation } from "./location.js";
import type { Clock, Store } from "./store.js";

export type {
  Addition,
  Admission,
  Check,
  CheckResult,
  Clock,
  CounterEntry,
  CounterRef,
  CounterValue,
  Reservation,
  ReserveCheck,
  Settlement,
  Store,
  StoreOptions,
  TakeCheck,
} from "./store.js";
export { DEFAULT_RESERVATION_TTL_MS } from "./store.js";
export { applyNews, emptyHealth, type HealthNews, type SharedHealth } from "./health.js";
export { StateError, type StateErrorCode } from "./errors.js";
export { budgetKey, limitKey, parseKey, type LimitMeasure, type ParsedKey } from "./keys.js";
export { dollarsToMicros, microsToDollars, MICROS_PER_DOLLAR } from "./money.js";
export { ROLLING_SLOTS, windowInfo, type WindowInfo } from "./window.js";
export { sweepEvery, type Sweepable, type Swept } from "./swept.js";
export { memoryStore } from "./memory.js";
export { leasedStore, LeasedStore, LEASE_FLUSH_MS, LEASE_HOLDERS, type LeaseOptions } from "./lease.js";
export { sqliteStore, type SqliteStoreOptions } from "./sqlite.js";
export { redisStore, type RedisStoreOptions } from "./redis.js";

export { DEFAULT_SQLITE_PATH, stateLocation, type StateLocation } from "./location.js";

/** What {@link openStore} needs from the outside world. */
export interface OpenStoreOptions {
  /** The environment `redis(env("NAME"))` reads. */
  env: Readonly<Record<string, string | undefined>>;
  clock: Clock;
  /** Where a relative SQLite path is resolved; default the process's working directory. */
  baseDir?: string;
  /** Key prefix for Redis; default `aigw:`. */
  redisPrefix?: string;
}

/**
 * Opens the store a gateway block names: `memory`, `sqlite("path")` (the
 * directory is created; an empty path means {@link DEFAULT_SQLITE_PATH}) or
 * `redis(url)` with the URL read from the environment now. Throws
 * {@link StateError} (`AIGW_STATE_REDIS_URL_UNSET`, `AIGW_STATE_OPEN_FAILED`)
 * when it cannot. Close the store with `store.close()`.
 */
export function openStore(config: GatewayNode["state"], options: OpenStoreOptions): Store {
  const at = stateLocation(config, options);
  switch (at.kind) {
    case "memory":
      return memoryStore({ clock: options.clock });
    case "sqlite":
      return sqliteStore({ clock: options.clock, path: at.path });
    case "redis":
      if (at.url === undefined) throw new StateError("AIGW_STATE_REDIS_URL_UNSET", `cannot open the redis state store: ${at.missing}`);
      return redisStore({ clock: options.clock, url: at.url, ...(options.redisPrefix === undefined ? {} : { prefix: options.redisPrefix }) });
  }
}
