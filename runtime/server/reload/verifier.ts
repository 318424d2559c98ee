/**
 * Where the compile of a reload runs. Compiling and testing a 1,000-route
 * policy takes 60–140 ms of CPU once V8 has optimised the compiler (about
 * 1 s the first time in a thread); on the event loop that would stall every
 * request in flight for as long. `workerVerifier` runs it on a worker
 * thread (one, kept through a burst of reloads so it stays optimised, and
 * stopped when idle to give back its memory), leaving the
 * request thread a ~4 ms JSON parse of the result and `setGraph`'s schema
 * check and preparation (~10 ms). The price is ~10 ms of hand-off per
 * reload (bench/reload.ts measures both). `inlineVerifier` runs it
 * in-process, between requests: for tests run from TypeScript sources,
 * where the worker's compiled entry does not exist.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { PolicyInput } from "./source.js";
import type { VerifyReport } from "./verify-run.js";

export type { VerifyReport } from "./verify-run.js";

/** Marks the threads `defaultVerifier` starts, so importing verify-worker.ts anywhere else does nothing. */
export const WORKER_MARK = "aigw-verify-worker";

/** Compiles and tests policy snapshots. */
export interface Verifier {
  /** `worker` or `inline`, for the start-up log and the bench. */
  readonly kind: "worker" | "inline";
  verify(input: PolicyInput, env: Readonly<Record<string, string>>): Promise<VerifyReport>;
  close(): Promise<void>;
}

/** A message to the worker. */
export interface VerifyRequest {
  id: number;
  input: PolicyInput;
  env: Readonly<Record<string, string>>;
}

/** The worker's answer: the report as JSON, or the error that escaped the compiler. */
export type VerifyResponse = { id: number; json: string; error?: undefined } | { id: number; error: string; json?: undefined };

/** What `workerVerifier` needs of a worker thread (a fake in tests). */
export interface WorkerLike {
  postMessage(message: VerifyRequest): void;
  on(event: "message", listener: (message: VerifyResponse) => void): unknown;
  on(event: "error", listener: (err: Error) => void): unknown;
  on(event: "exit", listener: (code: number) => void): unknown;
  terminate(): Promise<number>;
  ref(): void;
  unref(): void;
}

/** Verifies on the event loop (after letting pending I/O run). */
export function inlineVerifier(): Verifier {
  return {
    kind: "inline",
    async verify(input, env) {
      await new Promise<void>((r) => setImmediate(r));
      // Loaded on first use: a process that compiles on a worker never loads the compiler itself.
      const { runVerify } = await import("./verify-run.js");
      return runVerify(input, env);
    },
    close: () => Promise.resolve(),
  };
}

/** How long one compile may take on the worker before it is stopped: far beyond any real policy (10,000 routes compile in ~1 s). */
export const DEFAULT_VERIFY_TIMEOUT_MS = 60_000;

/**
 * How long an idle worker is kept. A warm worker holds ~60 MB (its own V8
 * heap and the compiler's code); reloads come in bursts (a save, a commit,
 * a deploy), so it is kept for a burst and let go after it. The first
 * compile of a new worker is slower (V8 has not optimised the compiler yet).
 */
export const DEFAULT_WORKER_IDLE_MS = 30_000;

/**
 * Verifies on a worker thread made by `spawn`, started on first use and
 * restarted after it dies; a job in flight when it dies is rejected. A job
 * not answered within `timeoutMs` is rejected and the worker terminated (a
 * compiler bug that loops would otherwise block every later reload); the
 * next job starts a fresh one. Once no job is pending, the worker is
 * stopped after `idleMs` (see {@link DEFAULT_WORKER_IDLE_MS}).
 */
export function workerVerifier(spawn: () => WorkerLike, options: { timeoutMs?: number; idleMs?: number } = {}): Verifier {
  const timeoutMs = options.timeoutMs ?? DEFAULT_VERIFY_TIMEOUT_MS;
  const idleMs = options.idleMs ?? DEFAULT_WORKER_IDLE_MS;
  let worker: WorkerLike | undefined;
  let nextId = 1;
  const pending = new Map<number, { resolve: (r: VerifyReport) => void; reject: (e: Error) => void }>();
  let idleTimer: ReturnType<typeof setTimeout> | undefined;

  const stopIdle = (): void => {
    if (idleTimer !== undefined) clearTimeout(idleTimer);
    idleTimer = undefined;
  };
  // Called when the last pending job is answered; a job arriving before the timer fires cancels it (`verify`).
  const idleAfterJob = (w: WorkerLike): void => {
    stopIdle();
    if (!Number.isFinite(idleMs)) return;
    idleTimer = setTimeout(() => {
      idleTimer = undefined;
      if (worker !== w) return;
      worker = undefined;
      void w.terminate();
    }, idleMs);
    idleTimer.unref();
  };

  const failAll = (err: Error): void => {
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  const start = (): WorkerLike => {
    const w = spawn();
    w.unref();
    w.on("message", (msg) => {
      const job = pending.get(msg.id);
      if (!job) return;
      pending.delete(msg.id);
      if (pending.size === 0) {
        w.unref();
        idleAfterJob(w);
      }
      if (msg.error !== undefined) job.reject(new Error(`the compile worker failed: ${msg.error}`));
      else {
        try {
          job.resolve(JSON.parse(msg.json) as VerifyReport);
        } catch (err) {
          job.reject(err instanceof Error ? err : new Error(String(err)));
        }
      }
    });
    w.on("error", (err) => {
      if (worker === w) worker = undefined;
      failAll(new Error(`the compile worker crashed: ${err.message}`));
    });
    w.on("exit", (code) => {
      if (worker === w) worker = undefined;
      failAll(new Error(`the compile worker exited (code ${code})`));
    });
    return w;
  };

  return {
    kind: "worker",
    verify(input, env) {
      stopIdle();
      worker ??= start();
      const id = nextId++;
      const w = worker;
      // Referenced only while a job runs: an idle worker never keeps the process alive.
      w.ref();
      return new Promise<VerifyReport>((resolve, reject) => {
        const timer = setTimeout(() => {
          if (!pending.has(id)) return;
          if (worker === w) worker = undefined;
          // Every job on this worker is lost with it: the stuck one is named, the others are told why.
          pending.delete(id);
          failAll(new Error("the compile worker was restarted: another compile took too long"));
          reject(new Error(`the compile took longer than ${timeoutMs} ms; the worker was stopped`));
          void w.terminate();
        }, timeoutMs);
        timer.unref();
        pending.set(id, {
          resolve: (r) => {
            clearTimeout(timer);
            resolve(r);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        });
        w.postMessage({ id, input, env });
      });
    },
    async close() {
      stopIdle();
      const w = worker;
      worker = undefined;
      failAll(new Error("the compile worker was stopped"));
      if (w) await w.terminate();
    },
  };
}

/** The compiled worker entry beside this module, when running from JavaScript (dist/). */
const WORKER_URL = new URL("./verify-worker.js", import.meta.url);

/** A worker verifier when the compiled worker entry exists (`idleMs`: see {@link DEFAULT_WORKER_IDLE_MS}), else the in-process one. */
export function defaultVerifier(options: { idleMs?: number } = {}): Verifier {
  if (WORKER_URL.protocol === "file:" && existsSync(fileURLToPath(WORKER_URL))) return workerVerifier(() => new Worker(WORKER_URL, { workerData: WORKER_MARK }), options);
  return inlineVerifier();
}
