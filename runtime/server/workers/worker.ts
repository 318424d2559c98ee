/**
 * A gateway worker thread (`aigw serve --workers N`): one uWS event loop
 * serving the policy the main thread compiled, on the port every worker
 * shares (uSockets listens with SO_REUSEPORT on Linux, so the kernel spreads
 * new connections over the workers).
 *
 * What a worker owns: its HTTP server, upstream pools, health tracker,
 * semantic cache index (memory), guard pass workers and metrics. What it
 * shares: with `state memory`, the state store, usage store and response
 * cache live in the main thread and are reached over a port
 * (remote-stores.ts); with SQLite or Redis it opens its own connections, as
 * separate processes do. Access lines leave once per
 * event-loop turn as whole lines, and the main thread writes them.
 */
import { parentPort, workerData, type MessagePort } from "node:worker_threads";
import { DEFAULTS } from "../../../compiler/settings.js";
import { openManagedStore } from "../../budget/lifecycle.js";
import { openManagedCache, openVectorIndexes, type CacheStore } from "../../cache/index.js";
import { batchedWrite, GatewayMetrics, jsonLogger, otlpExporter, type Logger } from "../../observe/index.js";
import { sweepEvery, type Store } from "../../state/index.js";
import { openManagedLedger, UsageLedger, USAGE_SWEEP_MS, type ManagedLedger } from "../../usage/index.js";
import { requireAdmin, type Handler } from "../admin/guard.js";
import { startGateway, type Gateway } from "../app.js";
import type { HeaderList } from "../http.js";
import { isSetup, type Ask, type FromWorker, type ToWorker, type WorkerSetup } from "./protocol.js";
import { remoteCacheStore, remoteStore, remoteUsageStore } from "./remote-stores.js";

const JSON_HEADERS: HeaderList = [
  ["content-type", "application/json"],
  ["cache-control", "no-store"],
];

async function run(parent: MessagePort, setup: WorkerSetup): Promise<void> {
  const post = (m: FromWorker): void => parent.postMessage(m);
  const out = batchedWrite((text) => post({ op: "log", text }));
  const log = jsonLogger(out, { access: setup.accessLog });
  const asks = new Asks(post);
  const opened = openStores(setup, log, () => gateway?.graph.gateway.usageRetentionMs ?? DEFAULTS.gateway.usageRetentionMs);
  let gateway: Gateway | undefined;
  let draining = false;
  let warned = false;
  const spans =
    setup.otlp === undefined
      ? undefined
      : otlpExporter({
          url: setup.otlp.url,
          headers: setup.otlp.headers,
          resource: setup.otlp.resource,
          onError: (err) => (warned ? undefined : ((warned = true), log.warn("otlp trace export failed (later failures are not logged)", { error: String(err) }))),
        });
  // No process probe here: the process gauges are read once, by the main thread.
  const metrics = new GatewayMetrics(Date.now, null);
  const env = setup.env;
  const mainRoute = (what: Ask): Handler => async (req, res) => {
    requireAdmin(req, gateway!.graph, env);
    const a = await asks.ask(what);
    res.send(a.status, JSON_HEADERS, a.body);
  };
  parent.on("message", (m: ToWorker) => {
    switch (m.op) {
      case "install":
        try {
          gateway!.setGraph(m.graph);
          post({ op: "installed", seq: m.seq, policy: gateway!.graph.policy });
        } catch (err) {
          post({ op: "installed", seq: m.seq, policy: gateway!.graph.policy, error: err instanceof Error ? err.message : String(err) });
        }
        return;
      case "render":
        void metrics.render().then((text) => post({ op: "rendered", id: m.id, text }));
        return;
      case "answer":
        asks.settle(m.id, m.status, m.body);
        return;
      case "drain":
        draining = true;
        // Asked to drain before it listened (another worker failed to start): it stops once it has started.
        if (gateway !== undefined) void drain(m.graceMs);
        return;
    }
  });

  async function drain(graceMs: number): Promise<void> {
    await gateway?.close(graceMs);
    await closeStores();
    await spans?.close();
    out.flush();
    // Nothing is left to hold the thread: it ends once the port lets go.
    parent.close();
  }

  async function closeStores(): Promise<void> {
    await opened.usage.close();
    await opened.state.close();
    await opened.cache.close();
    await opened.vectors.close();
  }

  try {
    gateway = await startGateway({
      graph: setup.graph,
      host: setup.host,
      port: setup.port,
      world: { env },
      baseDir: setup.baseDir,
      log,
      routes: { "/admin/policy": { GET: mainRoute("policy") }, "/admin/reload": { POST: mainRoute("reload") } },
      store: opened.state.store,
      cacheStore: opened.cache.store,
      vectorIndexes: opened.vectors,
      usage: opened.usage.store,
      observe: { metrics, logDecisions: setup.logDecisions, ...(spans ? { spans } : {}), scrape: () => asks.ask("metrics").then((a) => a.body) },
      guardPass: setup.guardPass,
      ...(setup.bodyTimeoutMs !== undefined ? { http: { bodyTimeoutMs: setup.bodyTimeoutMs } } : {}),
    });
  } catch (err) {
    await closeStores();
    out.flush();
    post({ op: "failed", error: err instanceof Error ? err.message : String(err) });
    parent.close();
    return;
  }
  post({ op: "listening", port: gateway.port, engine: gateway.engine });
  if (draining) await drain(0);
}

/** The worker's stores: shared through the main thread with `state memory`, its own connections otherwise. */
function openStores(setup: WorkerSetup, log: Logger, retentionMs: () => number) {
  const g = setup.graph.gateway;
  const onError = (what: string) => (err: unknown) => log.warn(what, { error: String(err) });
  const opts = { env: setup.env, baseDir: setup.baseDir };
  let state: { store: Store; close(): Promise<void> };
  let usage: ManagedLedger;
  let cache: { store: CacheStore; close(): Promise<void> };
  if (setup.shared !== undefined) {
    const c = remoteCacheStore(setup.shared.cache);
    cache = { store: c, close: () => c.close() };
    // The owner sweeps the state store; the ledger's sweep goes to the owner's usage store.
    const store = remoteStore(setup.shared.store, "memory");
    state = { store, close: () => store.close() };
    const ledger = new UsageLedger({ store: remoteUsageStore(setup.shared.usage), clock: Date.now, retentionMs, onError: onError("usage ledger write failed (kept for the next flush)") });
    usage = sweepEvery(ledger, USAGE_SWEEP_MS, onError("usage ledger sweep failed"));
  } else {
    state = openManagedStore(g.state, { ...opts, onError: onError("state sweep failed") });
    usage = openManagedLedger(g.state, { ...opts, retentionMs, onError: onError("usage ledger write failed (kept for the next flush)") });
    cache = openManagedCache(g, { ...opts, onError: onError("cache sweep failed") });
  }
  const vectors = openVectorIndexes(g.state, { env: setup.env, clock: Date.now });
  return { state, usage, cache, vectors };
}

/** Questions to the main thread, answered by id. */
class Asks {
  #next = 1;
  readonly #pending = new Map<number, (a: { status: number; body: string }) => void>();
  constructor(private readonly post: (m: FromWorker) => void) {}

  ask(what: Ask): Promise<{ status: number; body: string }> {
    const id = this.#next++;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.post({ op: "ask", id, what });
    });
  }

  settle(id: number, status: number, body: string): void {
    const resolve = this.#pending.get(id);
    this.#pending.delete(id);
    resolve?.({ status, body });
  }
}

if (parentPort !== null && isSetup(workerData)) void run(parentPort, workerData);
