/**
 * The guard pass off the event loop: the interface the pipeline and the
 * observer use (pass.ts is the work, pool.ts the threads, worker.ts their
 * entry). A text shorter than the threshold is worked on inline, where a
 * worker hop would cost more than it saves; a longer one goes to a worker.
 * The pool exists only when a loaded policy has something for it to do.
 */
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { ExprNode, Graph } from "../../compiler/graph.js";
import { readsFact } from "../engine/expr.js";
import type { PassResult, PassTask } from "./pass.js";
import { GuardPool, type WorkerLike } from "./pool.js";
import { WORKER_MARK } from "./worker.js";

export { analyseText, runPass, snapshotFacts, textPatterns, readsText, type FactsSnapshot, type GuardVerdict, type PassResult, type PassTask } from "./pass.js";
export { GuardPool, OffloadError, type WorkerLike } from "./pool.js";

/**
 * Texts of at least this many UTF-16 units (summed over a request's texts)
 * go to a worker. Below it the whole pass takes under ~2 ms inline on the
 * slowest detector input, less than the worker hop and its copies
 * (bench: the features scenario).
 */
export const DEFAULT_OFFLOAD_CHARS = 32 * 1024;
/** How long one guard pass may run on a worker before the request fails with a 503. */
export const DEFAULT_OFFLOAD_TIMEOUT_MS = 30_000;

/** The guard pass runner one gateway's runtimes share. */
export interface GuardOffload {
  /** Texts from this many UTF-16 units go to a worker. */
  readonly threshold: number;
  run(graph: Graph, task: PassTask): Promise<PassResult>;
  /** A graph was loaded: the workers prepare it now. */
  prepare(graph: Graph): void;
  close(): Promise<void>;
}

export interface OffloadOptions {
  /** Worker threads; default: one per CPU beyond the first, 1 to 4. */
  workers?: number;
  timeoutMs?: number;
  thresholdChars?: number;
  /** Starts a worker (tests); default: the compiled worker.js beside this module. */
  spawn?: () => WorkerLike;
}

const WORKER_URL = new URL("./worker.js", import.meta.url);

/** The default worker count: the CPUs the event loop does not use, at least 1, at most 4. */
export function defaultWorkers(): number {
  return Math.min(4, Math.max(1, availableParallelism() - 1));
}

/**
 * A pool-backed offload, or undefined when there is no compiled worker to
 * start (tests run from the TypeScript sources): the pass then runs inline.
 */
export function startOffload(options: OffloadOptions = {}): GuardOffload | undefined {
  let spawn = options.spawn;
  if (spawn === undefined) {
    if (WORKER_URL.protocol !== "file:" || !existsSync(fileURLToPath(WORKER_URL))) return undefined;
    spawn = () => new Worker(WORKER_URL, { workerData: WORKER_MARK });
  }
  const pool = new GuardPool({ size: options.workers ?? defaultWorkers(), timeoutMs: options.timeoutMs ?? DEFAULT_OFFLOAD_TIMEOUT_MS, spawn });
  return {
    threshold: options.thresholdChars ?? DEFAULT_OFFLOAD_CHARS,
    run: (graph, task) => pool.run(graph, task),
    prepare: (graph) => pool.prepare(graph),
    close: () => pool.close(),
  };
}

/**
 * Whether a graph has work for the guard pass: guardrails, a condition on
 * `text` or `input_tokens`, or bodies to redact for the log. A graph
 * without any never starts the pool.
 */
export function needsOffload(graph: Graph): boolean {
  if (Object.keys(graph.guardrails).length > 0 || graph.gateway.logBodies) return true;
  const reads = (e: ExprNode): boolean => readsFact(e, "text") || readsFact(e, "input_tokens");
  return graph.routes.some((r) => (r.when !== undefined && reads(r.when)) || (r.target.kind === "split" && r.target.by?.name === "text"));
}
