/**
 * What the server calls once per finished chat request: folds the
 * pipeline's record into one view, works the request out once (durations,
 * usage, cost) and hands it to the metrics, the access log and the trace
 * exporter, and to the sinks (the usage ledger, the recent requests), each
 * only when it is on. With all of them off it costs nothing but the call.
 */
import type { PreparedGraph } from "../engine/index.js";
import type { Reply, RequestRecord, Written } from "../pipeline/index.js";
import type { Logger } from "./log.js";
import { accessEntry } from "./access-log.js";
import { bodiesToLog, captureStreamText, type LoggedBodies } from "./bodies.js";
import { snapshotFacts, type GuardOffload } from "../offload/index.js";
import type { GatewayMetrics } from "./metrics.js";
import { finishRequest, viewOf, type FinishedRequest, type RequestView } from "./request.js";
import type { SpanSink } from "./spans.js";

/** What the observers read of the HTTP request (the server's request object has it). */
export interface ObservedRequest {
  readonly method: string;
  readonly path: string;
  /** Lower-case names; only `traceparent` is read. */
  readonly headers: Readonly<Record<string, string>>;
}

/** Monotonic clock readings of one request: it arrived, the pipeline's reply was ready, writing it finished. */
export interface RequestTimes {
  readonly startMs: number;
  readonly replyMs: number;
  readonly endMs: number;
}

/** Something else that reads each finished request: the usage ledger (runtime/usage), the recent requests (recent.ts). */
export interface RequestSink {
  record(f: FinishedRequest): void;
}

export interface ObserverOptions {
  log: Logger;
  metrics?: GatewayMetrics | undefined;
  /** OpenTelemetry spans (otlp.ts); absent: no spans are built. */
  spans?: SpanSink | undefined;
  /** The guard pass workers, if started: large bodies are redacted for the log there. */
  offload?: () => GuardOffload | undefined;
  sinks?: readonly RequestSink[];
}

/** Observes finished chat requests; one per gateway. */
export class Observer {
  private readonly log: Logger;
  private readonly metrics: GatewayMetrics | undefined;
  private readonly spans: SpanSink | undefined;
  private readonly offload: () => GuardOffload | undefined;
  private readonly sinks: readonly RequestSink[];

  constructor(options: ObserverOptions) {
    this.log = options.log;
    this.metrics = options.metrics;
    this.spans = options.spans;
    this.offload = options.offload ?? (() => undefined);
    this.sinks = options.sinks ?? [];
  }

  /**
   * Call before writing a reply: with `log_bodies true`, a stream is wrapped
   * so its text can be logged; returns the text getter to pass to `chat`.
   */
  beforeWrite(prepared: PreparedGraph, reply: Reply | null): (() => string) | undefined {
    if (reply === null || reply.kind !== "stream" || !prepared.graph.gateway.logBodies || this.log.access === undefined) return undefined;
    const captured = captureStreamText(reply.stream);
    reply.stream = captured.stream;
    return captured.text;
  }

  /** The view of a finished request's record (the server reads it for the error log, then passes it to {@link chat}). */
  view(record: RequestRecord): RequestView {
    return viewOf(record);
  }

  /** One finished request. */
  chat(prepared: PreparedGraph, req: ObservedRequest, view: RequestView, written: Written, times: RequestTimes, bodyText?: () => string): void {
    const access = this.log.access;
    if (this.metrics === undefined && access === undefined && this.spans === undefined && this.sinks.length === 0) return;
    const f = finishRequest(prepared, req.method, req.path, view, written, times);
    this.metrics?.observe(f);
    for (const s of this.sinks) s.record(f);
    if (access !== undefined) {
      const text = bodyText?.();
      const offload = this.offload();
      const bodies = f.view.bodies;
      if (offload !== undefined && bodies !== undefined && bodies.facts.text.length + (text ?? "").length >= offload.threshold) {
        // Large bodies are redacted on a worker; the entry is written when they are back.
        void logBodiesOff(offload, prepared, bodies, text).then((logged) => access.call(this.log, accessEntry(f, undefined, logged)));
      } else access.call(this.log, accessEntry(f, text));
    }
    this.spans?.request(f, times.startMs, req.headers["traceparent"]);
  }
}

/** The body log's redaction on a worker; if the worker fails, the bodies are withheld, never logged unredacted. */
async function logBodiesOff(offload: GuardOffload, prepared: PreparedGraph, bodies: NonNullable<RequestView["bodies"]>, streamText: string | undefined): Promise<LoggedBodies> {
  const { log, text } = bodiesToLog(bodies, streamText);
  try {
    const r = await offload.run(prepared.graph, { kind: "log", request: log.request, guardrails: log.guardrails, facts: snapshotFacts(log.facts, false), text });
    if (r.kind === "log") return r;
  } catch {
    // Falls through: withheld.
  }
  const withheld = "[withheld: the guardrail pass over this body failed]";
  return text === undefined ? { request: withheld } : { request: withheld, response: withheld };
}
