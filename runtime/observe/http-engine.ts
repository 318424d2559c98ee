/**
 * `aigw_http_engine_info{engine}`: which HTTP engine serves, as a gauge at 1,
 * so a gateway that fell back from the native uWebSockets.js binding to
 * node:http (about 0.6x the throughput; see runtime/server/uws-load.ts) can
 * be alerted on, not only read in the start-up log.
 */
import type { Registry } from "./registry.js";

/**
 * `uws`: the native binding; `uws-glibc-compat`: the same binding from a
 * copy patched to load on glibc older than 2.38 (runtime/server/uws-glibc-compat.ts);
 * `node`: the node:http fallback.
 */
export type HttpEngineLabel = "uws" | "uws-glibc-compat" | "node";

const NAME = "aigw_http_engine_info";

/** Exports the engine on `registry`; a registry that already carries it is left as it is (one engine per process). */
export function exportHttpEngine(registry: Registry, engine: HttpEngineLabel): void {
  if (registry.has(NAME)) return;
  registry.gauge(NAME, "The HTTP engine serving requests (always 1): uws is the native uWebSockets.js binding, uws-glibc-compat the same binding patched for glibc older than 2.38, node the slower node:http fallback.", ["engine"]).set([engine], 1);
}
