/**
 * `aigw serve --workers N` with N > 1: the main thread compiles and reloads
 * the policy, owns the `state memory` stores and the output streams, and N
 * gateway workers serve the port (runtime/server/workers). Start-up lines,
 * reload and shutdown read as they do with one thread; a worker that ends
 * on its own stops the gateway with exit 1 (a supervisor restarts it whole).
 */
import type { Graph } from "../../compiler/graph.js";
import { openManagedStore, type ManagedStore } from "../../runtime/budget/lifecycle.js";
import { openManagedCache, type ManagedCache } from "../../runtime/cache/index.js";
import { GatewayMetrics, type Logger, type OtelExport } from "../../runtime/observe/index.js";
import type { BatchedWrite } from "../../runtime/observe/log.js";
import type { OffloadOptions } from "../../runtime/offload/index.js";
import type { Checked, Reloader } from "../../runtime/server/reload/index.js";
import { WorkerPool } from "../../runtime/server/workers/pool.js";
import { stateLocation } from "../../runtime/state/index.js";
import { openUsageStore, type UsageStore } from "../../runtime/usage/index.js";
import type { Io } from "../io.js";
import { policyDir } from "../policy-dir.js";
import type { Listening } from "./serve.js";

export interface WorkersRun {
  readonly io: Io;
  readonly workers: number;
  readonly reloader: Reloader;
  readonly first: Checked;
  readonly graph: Graph;
  readonly host: string;
  readonly port: number;
  readonly paths: readonly string[];
  readonly follow: boolean;
  readonly accessLog: boolean;
  readonly logDecisions: boolean;
  readonly otlp: OtelExport | undefined;
  readonly guardPass: OffloadOptions;
  readonly bodyTimeoutMs: number | undefined;
  readonly out: BatchedWrite;
  readonly log: Logger;
  readonly graceMs: number;
  /** The start-up lines after the address, as the one-thread path prints them. */
  readonly startLines: (listening: Listening) => string[];
  readonly stop: Promise<unknown>;
  readonly onListening: ((listening: Listening) => void) | undefined;
}

/** Serves with a pool of gateway workers until told to stop or a worker is lost; returns the exit code. */
export async function serveWorkers(r: WorkersRun): Promise<number> {
  const { io, graph, reloader } = r;
  const baseDir = policyDir(r.paths[0]!);
  const onError = (what: string) => (err: unknown) => r.log.warn(what, { error: String(err) });
  // `state memory` is one store for every worker, kept here; SQLite and Redis are opened by each worker.
  let state: ManagedStore | undefined;
  let usage: UsageStore | undefined;
  let cache: ManagedCache | undefined;
  if (stateLocation(graph.gateway.state, { env: io.env, baseDir }).kind === "memory") {
    state = openManagedStore(graph.gateway.state, { env: io.env, baseDir, onError: onError("state sweep failed") });
    usage = openUsageStore(graph.gateway.state, { env: io.env, baseDir });
    cache = openManagedCache(graph.gateway, { env: io.env, baseDir, onError: onError("cache sweep failed") });
  }
  // The main thread's part of /metrics: the process gauges (read once for every thread), the reload counters, the memory cache's size.
  const own = new GatewayMetrics(Date.now);
  own.setCacheStore(cache?.store);
  let failed = false;
  let lose: (why: string) => void = () => {};
  const lost = new Promise<string>((resolve) => (lose = (why) => ((failed = true), resolve(why))));
  let pool: WorkerPool;
  try {
    pool = await WorkerPool.start({
      size: r.workers,
      port: r.port,
      setup: {
        graph,
        host: r.host,
        env: { ...io.env },
        baseDir,
        accessLog: r.accessLog,
        logDecisions: r.logDecisions,
        ...(r.otlp ? { otlp: r.otlp } : {}),
        guardPass: { ...(r.guardPass.workers !== undefined ? { workers: r.guardPass.workers } : {}), ...(r.guardPass.timeoutMs !== undefined ? { timeoutMs: r.guardPass.timeoutMs } : {}) },
        ...(r.bodyTimeoutMs !== undefined ? { bodyTimeoutMs: r.bodyTimeoutMs } : {}),
      },
      ...(state !== undefined && usage !== undefined && cache !== undefined ? { shared: { store: state.store, usage, cache: cache.store } } : {}),
      onLog: (text) => r.out(text),
      onLost: (index, why) => {
        io.err(`aigw serve: error: gateway worker ${index} ended unexpectedly (${why}); stopping the other workers, exit 1\n`);
        lose(why);
      },
      answer: async (what) => {
        if (what === "policy") return { status: 200, body: JSON.stringify({ ...reloader.status(), workers: pool.versions() }) };
        const outcome = await reloader.reload("admin");
        return { status: outcome.status === "rejected" ? 422 : 200, body: JSON.stringify({ ...outcome, workers: pool.versions() }) };
      },
      ownMetrics: () => own.render(),
    });
  } catch (err) {
    await usage?.close();
    await state?.close();
    await cache?.close();
    own.close();
    await reloader.close();
    r.out.flush();
    io.err(`aigw serve: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  await reloader.start({ setGraph: (g) => pool.setGraph(g), metrics: own }, r.first, { log: r.log, watch: r.follow });
  const hup = () => void reloader.reload("signal");
  process.on("SIGHUP", hup);
  const listening: Listening = { port: pool.port, host: r.host, engine: pool.engine, get graph() { return reloader.graph; } };
  for (const line of r.startLines(listening)) io.err(line);
  io.err(`aigw serve: workers: ${r.workers} event loops on worker threads sharing the port (state ${state !== undefined ? "memory: one store and one response cache in the main thread" : "opened by each worker"})\n`);
  io.err(`aigw serve: listening on http://${r.host.includes(":") ? `[${r.host}]` : r.host}:${pool.port}\n`);
  r.onListening?.(listening);

  const signal = await Promise.race([r.stop, lost.then(() => undefined)]);
  io.err(`aigw serve: ${typeof signal === "string" ? signal + ": " : ""}shutting down (up to ${r.graceMs / 1000}s for requests in flight)\n`);
  process.off("SIGHUP", hup);
  await reloader.close();
  await pool.drain(r.graceMs);
  // After the drain: the workers flushed their ledgers into the store before it closes.
  await usage?.close();
  await state?.close();
  await cache?.close();
  own.close();
  r.out.flush();
  io.err(failed ? "aigw serve: stopped after losing a worker\n" : "aigw serve: stopped\n");
  return failed ? 1 : 0;
}
