/**
 * What the main thread and a gateway worker say to each other
 * (`aigw serve --workers N`): the worker's start-up data and the messages
 * on its parent port. Everything is structured-clone data.
 */
import type { MessagePort } from "node:worker_threads";
import type { Graph } from "../../../compiler/graph.js";
import type { OtelExport } from "../../observe/index.js";
import type { HttpEngineInfo } from "../http.js";

/** Marks workerData as a gateway worker's, so the entry never runs on anything else. */
export const WORKER_MARK = "aigw-gateway-worker";

export interface WorkerSetup {
  readonly mark: typeof WORKER_MARK;
  readonly index: number;
  readonly graph: Graph;
  readonly host: string;
  /** The same for every worker (never 0: the pool picks a free port first). */
  readonly port: number;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly baseDir: string;
  readonly accessLog: boolean;
  readonly logDecisions: boolean;
  readonly otlp?: OtelExport;
  readonly guardPass: { readonly workers?: number; readonly timeoutMs?: number };
  readonly bodyTimeoutMs?: number;
  /** With `state memory`: the ports to the one state store, usage store and response cache the main thread owns. */
  readonly shared?: { readonly store: MessagePort; readonly usage: MessagePort; readonly cache: MessagePort };
}

/** What only the main thread can answer: the reloader's endpoints and the merged metrics. */
export type Ask = "policy" | "reload" | "metrics";

export type FromWorker =
  | { readonly op: "listening"; readonly port: number; readonly engine: HttpEngineInfo }
  | { readonly op: "failed"; readonly error: string }
  | { readonly op: "log"; readonly text: string }
  | { readonly op: "installed"; readonly seq: number; readonly policy: string; readonly error?: string }
  | { readonly op: "ask"; readonly id: number; readonly what: Ask }
  | { readonly op: "rendered"; readonly id: number; readonly text: string };

export type ToWorker =
  | { readonly op: "install"; readonly seq: number; readonly graph: Graph }
  | { readonly op: "render"; readonly id: number }
  | { readonly op: "answer"; readonly id: number; readonly status: number; readonly body: string }
  | { readonly op: "drain"; readonly graceMs: number };

export function isSetup(data: unknown): data is WorkerSetup {
  return typeof data === "object" && data !== null && (data as { mark?: unknown }).mark === WORKER_MARK;
}
