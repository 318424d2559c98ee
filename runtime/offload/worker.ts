/**
 * A guard pass worker's entry (pool.ts starts it): keeps the prepared forms
 * of the graphs it is sent, by key, the last GRAPHS_KEPT of them (the pool
 * mirrors that order, so it knows which graphs a worker holds), and runs
 * the tasks posted to it with the pure guard pass (pass.ts), one at a time.
 * The thread lowers its own scheduling priority: when CPUs are short, the
 * event loop (answering every other request) goes first, and a hostile
 * request's pass waits.
 */
import { getPriority, setPriority } from "node:os";
import { parentPort, workerData } from "node:worker_threads";
import { loadTokenizer, prepare, type PreparedGraph } from "../engine/index.js";
import { runPass } from "./pass.js";
import { GRAPHS_KEPT, type FromWorker, type ToWorker } from "./pool.js";

/** Marks the threads the pool starts, so importing this module anywhere else does nothing. */
export const WORKER_MARK = "aigw-guard-worker";

/** What the worker needs of its port. */
export interface PortLike {
  on(event: "message", listener: (m: ToWorker) => void): unknown;
  postMessage(m: FromWorker): void;
}

/** Answers every task arriving on `port`. */
export function serveGuardPass(port: PortLike): void {
  lowerPriority();
  const graphs = new Map<string, PreparedGraph>();
  port.on("message", (m) => {
    if (m.type === "graph") {
      const prepared = prepare(m.graph);
      graphs.set(m.key, prepared);
      if (graphs.size > GRAPHS_KEPT) graphs.delete(graphs.keys().next().value!);
      // The ranks take a while to load: start now, not on the first large request.
      if (prepared.conditionsReadTokens) void loadTokenizer();
      return;
    }
    const prepared = graphs.get(m.key);
    if (prepared === undefined) {
      port.postMessage({ type: "failed", id: m.id, message: `graph ${m.key} was not sent to this worker` });
      return;
    }
    runPass(prepared, m.task, loadTokenizer).then(
      (result) => port.postMessage({ type: "done", id: m.id, result }),
      (err: unknown) => port.postMessage({ type: "failed", id: m.id, message: err instanceof Error ? err.message : String(err) }),
    );
  });
  port.postMessage({ type: "ready" });
}

/** How much nicer than the event loop a worker runs. */
const NICER = 10;

/** Lowers this thread's priority (on Linux a thread has its own nice value; 0 names the calling thread). */
function lowerPriority(): void {
  try {
    setPriority(0, Math.min(19, getPriority(0) + NICER));
  } catch {
    // Not allowed or not supported: the pass runs at the normal priority.
  }
}

if (parentPort && workerData === WORKER_MARK) serveGuardPass(parentPort);
