/**
 * One finished chat request as the observers see it: the pipeline's trace,
 * how writing went, and the durations and cost worked out once, so the
 * metrics and the access log cannot disagree about a request.
 *
 * Durations (fractional milliseconds, from a monotonic clock):
 * - total: from the request's start to the last byte written;
 * - time to first byte: until the pipeline's reply was ready to write (the
 *   status line and headers go out at once; for a stream, its first chunk
 *   has already arrived);
 * - upstream: from the start of the first try to the end of the last one
 *   (backoff waits between tries included: the gateway is idle then), plus,
 *   for a stream, the relay after the first chunk;
 * - overhead: total − upstream, the time spent in aigw itself.
 */
import type { Graph } from "../../compiler/graph.js";
import type { ChatTrace } from "../pipeline/chat.js";
import type { Written } from "../pipeline/respond.js";
import type { Usage } from "../providers/index.js";
import { costOf } from "./cost.js";

export interface FinishedRequest {
  /** The graph the request ran on. */
  readonly graph: Graph;
  readonly method: string;
  readonly path: string;
  readonly trace: ChatTrace;
  readonly written: Written;
  /** The status the client saw; 499 when it left before a 200 was complete. */
  readonly status: number;
  readonly totalMs: number;
  readonly ttfbMs: number;
  readonly upstreamMs: number;
  readonly overheadMs: number;
  /** The provider's reported usage (a stream's once it was read). */
  readonly usage: Usage | undefined;
  /** Dollars, from the answering model's prices; undefined when unpriced or without usage. */
  readonly cost: number | undefined;
}

/**
 * Works out a finished request from monotonic times: `startMs` when it
 * arrived, `replyMs` when the pipeline's reply was ready, `endMs` when
 * writing it finished.
 */
export function finishRequest(
  graph: Graph,
  method: string,
  path: string,
  trace: ChatTrace,
  written: Written,
  startMs: number,
  replyMs: number,
  endMs: number,
): FinishedRequest {
  const totalMs = endMs - startMs;
  let upstreamMs = 0;
  const tries = trace.tries;
  if (tries !== undefined && tries.length > 0) {
    const first = tries[0]!;
    const last = tries[tries.length - 1]!;
    upstreamMs = last.startMs + last.ms - first.startMs;
    if (trace.stream === true && trace.target !== undefined) upstreamMs += endMs - replyMs;
  }
  const usage = written.usage ?? trace.usage;
  return {
    graph,
    method,
    path,
    trace,
    written,
    status: written.aborted && trace.status === 200 ? 499 : trace.status,
    totalMs,
    ttfbMs: replyMs - startMs,
    upstreamMs,
    overheadMs: Math.max(0, totalMs - upstreamMs),
    usage,
    cost: costOf(graph, trace.target, usage),
  };
}

/** The short class of an upstream error code, for logs and labels: `AIGW_UPSTREAM_TIMEOUT` → `timeout`. */
export function errorClass(code: string): string {
  switch (code) {
    case "AIGW_UPSTREAM_STATUS":
      return "status";
    case "AIGW_UPSTREAM_TIMEOUT":
      return "timeout";
    case "AIGW_UPSTREAM_CONNECTION":
      return "connection";
    case "AIGW_UPSTREAM_PROTOCOL":
      return "protocol";
    case "AIGW_UPSTREAM_ABORTED":
      return "aborted";
    case "AIGW_PROVIDER_REQUEST":
      return "request";
    default:
      return code;
  }
}
