/**
 * A small pool of worker threads that run the guard pass (pass.ts) for
 * large texts, so that no request holds the event loop for longer than it
 * takes to copy its text to a worker. One pool per gateway, shared across
 * reloads; a task names the graph it was decided with, and each worker
 * keeps the prepared forms of the last few graphs it was sent, by key (the
 * policy hash and a serial: two graphs are never confused), so a graph
 * crosses to a worker once per reload, not once per request.
 *
 * A worker runs one task at a time; tasks queue in the pool. A task that
 * runs longer than `timeoutMs`, or whose worker dies (an exception, out of
 * memory), is rejected with an {@link OffloadError} (the caller answers a
 * 5xx); the worker is terminated and replaced, and the queue goes on.
 */
import type { Graph } from "../../compiler/graph.js";
import type { PassResult, PassTask } from "./pass.js";

/** How many prepared graphs a worker keeps (a reload burst, requests still in flight on older graphs). */
export const GRAPHS_KEPT = 8;

/** Workers in a row that may die before they are ready before the pool gives up restarting them. */
const MAX_BOOT_FAILURES = 3;

/** A message to a worker. */
export type ToWorker = { type: "graph"; key: string; graph: Graph } | { type: "task"; id: number; key: string; task: PassTask };

/** A message from a worker. */
export type FromWorker = { type: "ready" } | { type: "done"; id: number; result: PassResult } | { type: "failed"; id: number; message: string };

/** What the pool needs of a worker thread (node's `Worker`; a fixture in tests). */
export interface WorkerLike {
  postMessage(message: ToWorker): void;
  on(event: "message", listener: (message: FromWorker) => void): unknown;
  on(event: "error", listener: (err: Error) => void): unknown;
  on(event: "exit", listener: (code: number) => void): unknown;
  terminate(): Promise<number>;
  unref(): void;
}

/** The guard pass could not run: its worker crashed or it took too long. */
export class OffloadError extends Error {
  constructor(
    readonly reason: "crashed" | "timeout" | "closed",
    message: string,
  ) {
    super(message);
    this.name = "OffloadError";
  }
}

export interface PoolOptions {
  /** Worker threads. */
  size: number;
  /** How long one task may run. */
  timeoutMs: number;
  /** Starts one worker. */
  spawn: () => WorkerLike;
}

interface Job {
  graph: Graph;
  key: string;
  task: PassTask;
  resolve: (r: PassResult) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: WorkerLike;
  ready: boolean;
  /** The graph keys the worker holds, oldest first (mirrors the worker's own eviction). */
  graphs: string[];
  job: Job | undefined;
  jobId: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  gone: boolean;
}

let serial = 0;
const keys = new WeakMap<Graph, string>();

/** The key a graph is known by in the workers. */
function keyOf(graph: Graph): string {
  let key = keys.get(graph);
  if (key === undefined) keys.set(graph, (key = `${graph.policy}#${++serial}`));
  return key;
}

export class GuardPool {
  readonly size: number;
  readonly #options: PoolOptions;
  readonly #slots: Slot[] = [];
  readonly #queue: Job[] = [];
  #nextId = 0;
  #closed = false;
  /** Workers in a row that died before they were ready: a broken worker is not restarted forever. */
  #bootFailures = 0;
  /** Tasks failed by a crash or a timeout, since the start. */
  failures = 0;

  constructor(options: PoolOptions) {
    this.#options = options;
    this.size = Math.max(1, Math.floor(options.size));
    for (let i = 0; i < this.size; i++) this.#slots.push(this.#spawn());
  }

  /** Sends a newly loaded graph to every worker now, so its first large request does not wait for the preparation. */
  prepare(graph: Graph): void {
    for (const s of this.#slots) if (!s.gone) this.#ensureGraph(s, keyOf(graph), graph);
  }

  /** Runs a task on the graph it was decided with. */
  run(graph: Graph, task: PassTask): Promise<PassResult> {
    if (this.#closed) return Promise.reject(new OffloadError("closed", "the guard pass workers are stopped"));
    if (this.#bootFailures >= MAX_BOOT_FAILURES) return Promise.reject(new OffloadError("crashed", "the guard pass workers cannot start"));
    return new Promise((resolve, reject) => {
      this.#queue.push({ graph, key: keyOf(graph), task, resolve, reject });
      this.#dispatch();
    });
  }

  /** Stops every worker; queued and running tasks are rejected. */
  async close(): Promise<void> {
    this.#closed = true;
    const err = new OffloadError("closed", "the guard pass workers are stopped");
    for (const job of this.#queue.splice(0)) job.reject(err);
    await Promise.all(
      this.#slots.map((s) => {
        s.gone = true;
        if (s.timer !== undefined) clearTimeout(s.timer);
        s.job?.reject(err);
        s.job = undefined;
        return s.worker.terminate();
      }),
    );
  }

  #spawn(): Slot {
    const worker = this.#options.spawn();
    const slot: Slot = { worker, ready: false, graphs: [], job: undefined, jobId: -1, timer: undefined, gone: false };
    worker.unref();
    worker.on("message", (m) => this.#onMessage(slot, m));
    worker.on("error", (e) => this.#lost(slot, new OffloadError("crashed", `the guard pass worker crashed: ${e.message}`)));
    worker.on("exit", (code) => this.#lost(slot, new OffloadError("crashed", `the guard pass worker exited (code ${code})`)));
    return slot;
  }

  #onMessage(slot: Slot, m: FromWorker): void {
    if (slot.gone) return;
    if (m.type === "ready") {
      slot.ready = true;
      this.#bootFailures = 0;
      this.#dispatch();
      return;
    }
    const job = slot.job;
    if (job === undefined || m.id !== slot.jobId) return;
    clearTimeout(slot.timer);
    slot.job = undefined;
    slot.timer = undefined;
    if (m.type === "done") job.resolve(m.result);
    else job.reject(new Error(`guard pass failed: ${m.message}`));
    this.#dispatch();
  }

  /** A worker died or was stopped: fail its task, replace it. */
  #lost(slot: Slot, err: OffloadError): void {
    if (slot.gone) return;
    slot.gone = true;
    if (slot.timer !== undefined) clearTimeout(slot.timer);
    const job = slot.job;
    slot.job = undefined;
    if (job !== undefined) {
      this.failures++;
      job.reject(err);
    }
    void slot.worker.terminate().catch(() => undefined);
    if (this.#closed) return;
    if (!slot.ready) {
      // A worker that cannot start would be replaced forever: after a few, the queue fails instead.
      if (++this.#bootFailures >= MAX_BOOT_FAILURES) {
        for (const queued of this.#queue.splice(0)) queued.reject(err);
        return;
      }
    }
    const i = this.#slots.indexOf(slot);
    if (i >= 0) this.#slots[i] = this.#spawn();
  }

  #dispatch(): void {
    for (const slot of this.#slots) {
      if (this.#queue.length === 0) return;
      if (!slot.ready || slot.gone || slot.job !== undefined) continue;
      const job = this.#queue.shift()!;
      this.#ensureGraph(slot, job.key, job.graph);
      slot.job = job;
      slot.jobId = this.#nextId++;
      slot.timer = setTimeout(() => this.#lost(slot, new OffloadError("timeout", `the guard pass took longer than ${this.#options.timeoutMs} ms`)), this.#options.timeoutMs);
      slot.worker.postMessage({ type: "task", id: slot.jobId, key: job.key, task: job.task });
    }
  }

  #ensureGraph(slot: Slot, key: string, graph: Graph): void {
    if (slot.graphs.includes(key)) return;
    slot.worker.postMessage({ type: "graph", key, graph });
    slot.graphs.push(key);
    if (slot.graphs.length > GRAPHS_KEPT) slot.graphs.shift();
  }
}
