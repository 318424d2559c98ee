/**
 * The main thread's side of `aigw serve --workers N`: starts the gateway
 * workers (worker.ts) on one port, installs every policy in all of them,
 * answers what only it can (the reloader's endpoints, the merged metrics),
 * writes their access lines, and drains them at shutdown.
 *
 * Every worker listens on the same port, which uSockets opens with
 * SO_REUSEPORT, so the kernel spreads new connections over the workers.
 * uSockets sets SO_REUSEPORT only on a port it is given, so port 0 is
 * first resolved here to a free port (bound and released at once). A worker that ends without
 * being asked to is reported through `onLost`: the caller shuts the rest
 * down and exits non-zero, so a half-gateway never serves on silently.
 */
import { existsSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { MessageChannel, Worker, type TransferListItem } from "node:worker_threads";
import type { Graph } from "../../../compiler/graph.js";
import { validateGraph } from "../../../compiler/validate.js";
import { packageRoot } from "../../package-root.js";
import type { Store } from "../../state/index.js";
import type { UsageStore } from "../../usage/index.js";
import type { CacheStore } from "../../cache/index.js";
import { InvalidGraphError } from "../app.js";
import type { HttpEngineInfo } from "../http.js";
import { mergeExpositions, sumOf } from "./merge-metrics.js";
import { WORKER_MARK, type Ask, type FromWorker, type ToWorker, type WorkerSetup } from "./protocol.js";
import { serveCacheStore, serveStore, serveUsageStore } from "./remote-stores.js";

/** How long a worker may take to answer a scrape or install a policy before the main thread goes on without it. */
const ANSWER_MS = 5_000;
/** How long past the drain's grace a worker may take to end before it is stopped. */
const EXIT_SLACK_MS = 5_000;

export interface PoolOptions {
  readonly size: number;
  /** Each worker's start-up data, less what the pool fills in. */
  readonly setup: Omit<WorkerSetup, "mark" | "index" | "port" | "shared">;
  readonly port: number;
  /** With `state memory`: the stores the main thread owns and serves to every worker. */
  readonly shared?: { readonly store: Store; readonly usage: UsageStore; readonly cache: CacheStore };
  /** The worker script; default: the compiled worker.js (beside this module, or in dist/ when run from the sources). */
  readonly entry?: URL;
  /** Whole access-log lines from a worker, to write as they are. */
  onLog(text: string): void;
  /** A worker ended without being asked to. */
  onLost(index: number, why: string): void;
  /** The reloader's endpoints, answered by the main thread. */
  answer(what: Exclude<Ask, "metrics">): Promise<{ status: number; body: string }>;
  /** The main thread's own exposition (process gauges, reload counters), merged with the workers'. */
  ownMetrics(): Promise<string>;
}

interface Member {
  readonly index: number;
  readonly worker: Worker;
  /** The policy version it last reported installed. */
  policy: string;
  ended: boolean;
  readonly exited: Promise<void>;
}

export class WorkerPool {
  readonly #o: PoolOptions;
  readonly #members: Member[] = [];
  readonly #waiting = new Map<number, (m: FromWorker) => void>();
  #next = 1;
  #draining = false;
  #port = 0;
  #engine: HttpEngineInfo | undefined;

  private constructor(options: PoolOptions) {
    this.#o = options;
  }

  /** Starts `size` workers; resolves once all listen, rejects (after stopping those started) if one cannot. */
  static async start(options: PoolOptions): Promise<WorkerPool> {
    const pool = new WorkerPool(options);
    try {
      const port = options.port === 0 ? await freePort(options.setup.host) : options.port;
      pool.#port = port;
      await Promise.all(Array.from({ length: options.size }, (_, i) => pool.#spawn(i, port)));
    } catch (err) {
      await pool.drain(0);
      throw err;
    }
    return pool;
  }

  get port(): number {
    return this.#port;
  }

  get engine(): HttpEngineInfo {
    return this.#engine!;
  }

  /** Each worker's policy version, by index. */
  versions(): { worker: number; policy: string }[] {
    return this.#members.map((m) => ({ worker: m.index, policy: m.policy }));
  }

  /**
   * Installs `graph` in every worker; resolves once each has it (each swap
   * is one assignment in its worker). A graph the runtime's schema refuses
   * throws here, before any worker sees it.
   */
  async setGraph(graph: Graph): Promise<void> {
    const valid = validateGraph(graph);
    if (!valid.ok) throw new InvalidGraphError(valid.errors);
    const failures: string[] = [];
    await Promise.all(
      this.#live().map(async (m) => {
        const reply = await this.#request(m, (seq) => ({ op: "install", seq, graph }));
        if (reply === undefined) failures.push(`worker ${m.index} did not answer`);
        else if (reply.op === "installed" && reply.error !== undefined) failures.push(`worker ${m.index}: ${reply.error}`);
      }),
    );
    if (failures.length > 0) throw new Error(`not every worker installed the policy: ${failures.join("; ")}`);
  }

  /** Every worker's metrics and the main thread's, merged, with the per-worker series. */
  async metrics(): Promise<string> {
    const live = this.#live();
    const [own, ...texts] = await Promise.all([
      this.#o.ownMetrics(),
      ...live.map(async (m) => {
        const r = await this.#request(m, (id) => ({ op: "render", id }));
        return r?.op === "rendered" ? r.text : "";
      }),
    ]);
    const lines = [
      "# HELP aigw_workers Gateway worker threads serving (aigw serve --workers).",
      "# TYPE aigw_workers gauge",
      `aigw_workers ${live.length}`,
      "# HELP aigw_worker_requests_total Chat requests answered, by the worker thread that answered them.",
      "# TYPE aigw_worker_requests_total counter",
      ...live.map((m, i) => `aigw_worker_requests_total{worker="${m.index}"} ${sumOf(texts[i]!, "aigw_requests_total")}`),
      "# HELP aigw_worker_policy_info The policy version each worker serves (always 1).",
      "# TYPE aigw_worker_policy_info gauge",
      ...live.map((m) => `aigw_worker_policy_info{worker="${m.index}",version="${m.policy}"} 1`),
    ];
    return mergeExpositions([own!, ...texts]) + lines.join("\n") + "\n";
  }

  /** Stops every worker: each stops accepting, finishes what is in flight within `graceMs`, flushes and closes its stores. */
  async drain(graceMs: number): Promise<void> {
    this.#draining = true;
    const live = this.#live();
    for (const m of live) m.worker.postMessage({ op: "drain", graceMs } satisfies ToWorker);
    await Promise.all(
      live.map(async (m) => {
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), graceMs + EXIT_SLACK_MS)));
        if ((await Promise.race([m.exited, late])) === "late") await m.worker.terminate();
        clearTimeout(timer);
      }),
    );
  }

  #live(): Member[] {
    return this.#members.filter((m) => !m.ended);
  }

  /** Sends what `make` builds with a fresh id and resolves with the worker's reply to it, or undefined after {@link ANSWER_MS} or if it ended. */
  #request(m: Member, make: (id: number) => ToWorker): Promise<FromWorker | undefined> {
    const id = this.#next++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(undefined), ANSWER_MS);
      const finish = (r: FromWorker | undefined): void => {
        clearTimeout(timer);
        this.#waiting.delete(id);
        resolve(r);
      };
      this.#waiting.set(id, finish);
      void m.exited.then(() => finish(undefined));
      m.worker.postMessage(make(id));
    });
  }

  /** Starts worker `index` on `port`; resolves with the port it listens on. */
  #spawn(index: number, port: number): Promise<number> {
    const o = this.#o;
    const transfer: TransferListItem[] = [];
    let shared: WorkerSetup["shared"];
    if (o.shared !== undefined) {
      const store = new MessageChannel();
      const usage = new MessageChannel();
      const cache = new MessageChannel();
      serveStore(store.port1, o.shared.store);
      serveUsageStore(usage.port1, o.shared.usage);
      serveCacheStore(cache.port1, o.shared.cache);
      // The owner's ends must not keep the main thread alive on their own.
      for (const c of [store, usage, cache]) c.port1.unref();
      shared = { store: store.port2, usage: usage.port2, cache: cache.port2 };
      transfer.push(store.port2, usage.port2, cache.port2);
    }
    const setup: WorkerSetup = { ...o.setup, mark: WORKER_MARK, index, port, ...(shared ? { shared } : {}) };
    const worker = new Worker(o.entry ?? workerEntry(), { workerData: setup, transferList: transfer });
    let lastError: string | undefined;
    let resolveExit!: () => void;
    const member: Member = { index, worker, policy: o.setup.graph.policy, ended: false, exited: new Promise<void>((r) => (resolveExit = r)) };
    this.#members.push(member);
    return new Promise<number>((resolve, reject) => {
      let listening = false;
      worker.on("message", (m: FromWorker) => {
        switch (m.op) {
          case "listening":
            listening = true;
            this.#engine ??= m.engine;
            resolve(m.port);
            return;
          case "failed":
            lastError = m.error;
            return;
          case "log":
            o.onLog(m.text);
            return;
          case "installed":
            member.policy = m.policy;
            this.#waiting.get(m.seq)?.(m);
            return;
          case "rendered":
            this.#waiting.get(m.id)?.(m);
            return;
          case "ask":
            void this.#answer(m.what).then((a) => {
              if (!member.ended) worker.postMessage({ op: "answer", id: m.id, status: a.status, body: a.body } satisfies ToWorker);
            });
            return;
        }
      });
      worker.on("error", (err) => (lastError = err instanceof Error ? err.message : String(err)));
      worker.on("exit", (code) => {
        member.ended = true;
        resolveExit();
        const why = lastError ?? `exited with code ${code}`;
        if (!listening) reject(new Error(`gateway worker ${index} did not start: ${why}`));
        else if (!this.#draining) o.onLost(index, why);
      });
    });
  }

  async #answer(what: Ask): Promise<{ status: number; body: string }> {
    try {
      if (what === "metrics") return { status: 200, body: await this.metrics() };
      return await this.#o.answer(what);
    } catch (err) {
      return { status: 500, body: JSON.stringify({ error: { message: err instanceof Error ? err.message : String(err), type: "internal_error" } }) };
    }
  }
}

/** A port nothing listens on now, on `host`. */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, host, () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** The compiled worker entry: beside this module in dist/, or dist/'s copy when running from the TypeScript sources. */
function workerEntry(): URL {
  const here = new URL("./worker.js", import.meta.url);
  if (here.protocol === "file:" && existsSync(fileURLToPath(here))) return here;
  const root = packageRoot();
  const built = root === undefined ? undefined : join(root.dir, "dist", "runtime", "server", "workers", "worker.js");
  if (built === undefined || !existsSync(built)) throw new Error("aigw serve --workers needs the compiled worker (run `npx tsc -p tsconfig.json`)");
  return pathToFileURL(built);
}
