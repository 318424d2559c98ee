/**
 * The state store, the usage store and the response cache of `state memory`
 * as the gateway's worker threads see them: proxies over a MessagePort to the one store the
 * main thread owns (rpc.ts). Every method is still one atomic step in the
 * owner, so budgets and limits are exact across workers exactly as they are
 * across the requests of one thread. SQLite and Redis need no proxy: each
 * worker opens its own connection, as separate processes do.
 */
import type { MessagePort } from "node:worker_threads";
import type { Store } from "../../state/index.js";
import type { UsageStore } from "../../usage/index.js";
import type { CacheStore } from "../../cache/index.js";
import { Caller, serveCalls } from "./rpc.js";

/** Serves `store` on `port` (the owner side); closing stays with the owner. */
export function serveStore(port: MessagePort, store: Store): void {
  serveCalls(port, {
    admit: (checks: Parameters<Store["admit"]>[0]) => store.admit(checks),
    reserve: (...a: Parameters<Store["reserve"]>) => store.reserve(...a),
    finish: (...a: Parameters<Store["finish"]>) => store.finish(...a),
    settle: (...a: Parameters<Store["settle"]>) => store.settle(...a),
    take: (...a: Parameters<Store["take"]>) => store.take(...a),
    add: (...a: Parameters<Store["add"]>) => store.add(...a),
    read: (...a: Parameters<Store["read"]>) => store.read(...a),
    list: () => store.list(),
    sweep: (...a: Parameters<Store["sweep"]>) => store.sweep(...a),
    shareHealth: (...a: Parameters<Store["shareHealth"]>) => store.shareHealth(...a),
  });
}

/** The worker side of {@link serveStore}: `close` ends this proxy, not the owner's store. */
export function remoteStore(port: MessagePort, kind: Store["kind"]): Store {
  const c = new Caller(port);
  return {
    kind,
    admit: (...a) => c.call("admit", a),
    reserve: (...a) => c.call("reserve", a),
    finish: (...a) => c.call("finish", a),
    settle: (...a) => c.call("settle", a),
    take: (...a) => c.call("take", a),
    add: (...a) => c.call("add", a),
    read: (...a) => c.call("read", a),
    list: () => c.call("list", []),
    sweep: (...a) => c.call("sweep", a),
    shareHealth: (...a) => c.call("shareHealth", a),
    close: async () => c.close(),
  };
}

/** Serves the usage ledger's store on `port` (the owner side). */
export function serveUsageStore(port: MessagePort, store: UsageStore): void {
  serveCalls(port, {
    add: (...a: Parameters<UsageStore["add"]>) => store.add(...a),
    rows: (...a: Parameters<UsageStore["rows"]>) => store.rows(...a),
    sweep: (...a: Parameters<UsageStore["sweep"]>) => store.sweep(...a),
  });
}

/** The worker side of {@link serveUsageStore}. */
export function remoteUsageStore(port: MessagePort): UsageStore {
  const c = new Caller(port);
  return {
    kind: "memory",
    add: (...a) => c.call("add", a),
    rows: (...a) => c.call("rows", a),
    sweep: (...a) => c.call("sweep", a),
    close: async () => c.close(),
  };
}

/** Serves the memory response cache on `port` (the owner side): one cache for every worker, so a hit does not depend on which worker answers. */
export function serveCacheStore(port: MessagePort, store: CacheStore): void {
  serveCalls(port, {
    get: (...a: Parameters<CacheStore["get"]>) => store.get(...a),
    set: (...a: Parameters<CacheStore["set"]>) => store.set(...a),
  });
}

/** The worker side of {@link serveCacheStore}; its size and evictions are read where it lives, by the main thread's metrics. */
export function remoteCacheStore(port: MessagePort): CacheStore {
  const c = new Caller(port);
  return {
    kind: "memory",
    get: (...a) => c.call("get", a),
    set: (...a) => c.call("set", a),
    bytes: () => undefined,
    evicted: () => 0,
    // The owner sweeps.
    sweep: async () => 0,
    close: async () => c.close(),
  };
}
