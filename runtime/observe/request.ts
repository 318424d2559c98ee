/**
 * One finished chat request as the observers see it: the pipeline's
 * record folded once into a view, how writing went, and the durations and
 * cost worked out once, so the metrics, the access log and the spans cannot
 * disagree about a request.
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
import type { Graph, SourceRef } from "../../compiler/graph.js";
import type { AttemptRecord, Caller, Explanation, Facts, GuardHit, PreparedGraph, SkippedTarget, UnfitTarget } from "../engine/index.js";
import type { EmbeddingUse, RequestRecord, TryTiming, Written } from "../pipeline/index.js";
import type { ChatCompletion, Usage } from "../providers/index.js";
import type { CanonicalRequest, ShapeChange } from "../request/index.js";
import { priceDollars } from "../budget/price.js";

/** What the record says happened, in one object (see pipeline/record.ts for the events). */
export interface RequestView {
  readonly requestId: string;
  route?: string;
  target?: string;
  attempts: readonly AttemptRecord[];
  /** Targets the route's health policy skipped (moved to the end of the plan). */
  skipped?: readonly SkippedTarget[];
  /** Targets that cannot take the request (left out of the plan). */
  unfit?: readonly UnfitTarget[];
  /** What the route's shaping changed in the request sent. */
  shaped?: readonly ShapeChange[];
  /** The status of the reply (200 for a stream, even if it is cut later). */
  status: number;
  errorCode?: string;
  redacted: readonly GuardHit[];
  flagged: readonly GuardHit[];
  team?: string;
  /** Reported usage of a non-streaming completion (a stream's is known once it was written). */
  usage?: Usage;
  /** The error when the reply is a 500 (logged, never sent). */
  internal?: unknown;
  model?: string;
  stream?: boolean;
  /** The canonical request (a reference): span attributes read its parameters. */
  request?: CanonicalRequest;
  /** The answering provider's completion of a non-streaming reply, as received (its id, model and finish reasons). */
  completion?: ChatCompletion;
  caller?: Caller;
  /** Where the matched route is written. */
  span?: SourceRef;
  /** Each try's timing, in the order of `attempts`. */
  tries: readonly TryTiming[];
  blocked?: GuardHit;
  /** The budget or limit that refused the request (429). */
  rejected?: { readonly kind: "budget" | "limit"; readonly name: string };
  decision?: Explanation;
  /** Monotonic readings around the decide and input-guardrail steps, when they were timed. */
  steps?: { decide: readonly [number, number]; guard?: readonly [number, number] };
  /** The route's cache, when it was consulted (an ineligible request leaves it out). */
  cache?: { name: string; result: "hit" | "miss" | "bypass"; entry?: string; usage?: Usage; similarity?: number; embedding?: EmbeddingUse };
  /** With `log_bodies true`. */
  bodies?: { request: CanonicalRequest; guardrails: readonly string[]; facts: Facts; completion?: ChatCompletion };
}

/** Folds a request's events into its view. */
export function viewOf(record: RequestRecord): RequestView {
  const v: RequestView = { requestId: record.requestId, attempts: NONE, status: 200, redacted: NONE, flagged: NONE, tries: NONE };
  let tries: TryTiming[] | undefined;
  for (const e of record.events) {
    switch (e.kind) {
      case "caller":
        v.caller = e.caller;
        if (e.caller.team !== undefined) v.team = e.caller.team;
        break;
      case "request":
        v.model = e.model;
        v.stream = e.stream;
        v.request = e.request;
        break;
      case "routed":
        v.route = e.route;
        v.span = e.span;
        if (e.startMs !== undefined && e.endMs !== undefined) v.steps = { decide: [e.startMs, e.endMs] };
        break;
      case "unrouted":
        v.steps = { decide: [e.startMs, e.endMs] };
        break;
      case "explained":
        v.decision = e.decision;
        break;
      case "skipped":
        v.skipped = e.skipped;
        break;
      case "unfit":
        v.unfit = e.unfit;
        break;
      case "shaped":
        v.shaped = e.changes;
        break;
      case "guarded":
        if (e.redacted.length > 0) v.redacted = v.redacted.length === 0 ? e.redacted : [...v.redacted, ...e.redacted];
        if (e.flagged.length > 0) v.flagged = v.flagged.length === 0 ? e.flagged : [...v.flagged, ...e.flagged];
        if (e.blocked !== undefined) v.blocked = e.blocked;
        if (e.endMs !== undefined && v.steps !== undefined) v.steps = { decide: v.steps.decide, guard: [v.steps.decide[1], e.endMs] };
        break;
      case "bodies":
        v.bodies = { request: e.request, guardrails: e.guardrails, facts: e.facts };
        break;
      case "completion":
        if (v.bodies !== undefined) v.bodies.completion = e.completion;
        break;
      case "try":
        (tries ??= []).push(e.timing);
        break;
      case "cache":
        if (e.result === "ineligible") break;
        v.cache = {
          name: e.cache,
          result: e.result,
          ...(e.entry !== undefined ? { entry: e.entry } : {}),
          ...(e.usage !== undefined ? { usage: e.usage } : {}),
          ...(e.similarity !== undefined ? { similarity: e.similarity } : {}),
          ...(e.embedding !== undefined ? { embedding: e.embedding } : {}),
        };
        if (e.target !== undefined) v.target = e.target;
        break;
      case "attempts":
        v.attempts = e.attempts;
        if (e.target !== undefined) v.target = e.target;
        if (e.usage !== undefined) v.usage = e.usage;
        if (e.completion !== undefined) v.completion = e.completion;
        break;
      case "failed":
        v.status = e.status;
        if (e.code !== undefined) v.errorCode = e.code;
        if (e.by !== undefined) v.rejected = e.by;
        if (e.internal !== undefined) v.internal = e.internal;
        break;
      case "edge":
        v.status = e.status;
        v.errorCode = e.code;
        break;
    }
  }
  if (tries !== undefined) v.tries = tries;
  return v;
}

const NONE: readonly never[] = Object.freeze([]);

export interface FinishedRequest {
  /** The graph the request ran on. */
  readonly graph: Graph;
  readonly prepared: PreparedGraph;
  readonly method: string;
  readonly path: string;
  readonly view: RequestView;
  readonly written: Written;
  /** The status the client saw; 499 when it left before a 200 was complete. */
  readonly status: number;
  readonly totalMs: number;
  readonly ttfbMs: number;
  readonly upstreamMs: number;
  readonly overheadMs: number;
  /** The provider's reported usage (a stream's once it was read). */
  readonly usage: Usage | undefined;
  /** Dollars, from the answering model's prices; undefined when unpriced or without usage, and for a cache hit (nothing was sent). */
  readonly cost: number | undefined;
  /** A cache hit: the dollars its entry cost when it was answered, saved this time. */
  readonly saved: number | undefined;
}

/**
 * Works out a finished request from monotonic times: `startMs` when it
 * arrived, `replyMs` when the pipeline's reply was ready, `endMs` when
 * writing it finished.
 */
export function finishRequest(
  prepared: PreparedGraph,
  method: string,
  path: string,
  view: RequestView,
  written: Written,
  times: { readonly startMs: number; readonly replyMs: number; readonly endMs: number },
): FinishedRequest {
  const { startMs, replyMs, endMs } = times;
  const totalMs = endMs - startMs;
  let upstreamMs = 0;
  const tries = view.tries;
  if (tries.length > 0) {
    const first = tries[0]!;
    const last = tries[tries.length - 1]!;
    upstreamMs = last.startMs + last.ms - first.startMs;
    if (view.stream === true && view.target !== undefined) upstreamMs += endMs - replyMs;
  }
  const graph = prepared.graph;
  // A hit's usage is its entry's, the tokens a provider did not process this time: saved, not spent.
  const hit = view.cache?.result === "hit";
  const usage = hit ? undefined : (written.usage ?? view.usage);
  return {
    graph,
    prepared,
    method,
    path,
    view,
    written,
    status: written.aborted && view.status === 200 ? 499 : view.status,
    totalMs,
    ttfbMs: replyMs - startMs,
    upstreamMs,
    overheadMs: Math.max(0, totalMs - upstreamMs),
    usage,
    cost: priceDollars(graph, view.target, usage),
    saved: hit ? priceDollars(graph, view.target, view.cache?.usage) : undefined,
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
    case "AIGW_UPSTREAM_AUTH":
      return "auth";
    default:
      return code;
  }
}
