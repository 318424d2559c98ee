/**
 * What the server calls once per finished chat request: works the request
 * out once (durations, usage, cost) and hands it to the metrics, the access
 * log and the trace exporter, each only when it is on. With all three off
 * it costs nothing but the call.
 */
import type { Graph } from "../../compiler/graph.js";
import type { ChatTrace } from "../pipeline/chat.js";
import type { Reply, Written } from "../pipeline/respond.js";
import type { Logger } from "../server/log.js";
import { accessEntry } from "./access-log.js";
import { captureStreamText } from "./bodies.js";
import type { GatewayMetrics } from "./metrics.js";
import { finishRequest } from "./request.js";
import type { SpanSink } from "./spans.js";

/** What the observers read of the HTTP request (the server's request object has it). */
export interface ObservedRequest {
  readonly method: string;
  readonly path: string;
  /** Lower-case names; only `traceparent` is read. */
  readonly headers: Readonly<Record<string, string>>;
}

export interface ObserverOptions {
  log: Logger;
  metrics?: GatewayMetrics | undefined;
  /** OpenTelemetry spans (otlp.ts); absent: no spans are built. */
  spans?: SpanSink | undefined;
}

/** Observes finished chat requests; one per gateway. */
export class Observer {
  private readonly log: Logger;
  private readonly metrics: GatewayMetrics | undefined;
  private readonly spans: SpanSink | undefined;

  constructor(options: ObserverOptions) {
    this.log = options.log;
    this.metrics = options.metrics;
    this.spans = options.spans;
  }

  /**
   * Call before writing a reply: with `log_bodies true`, a stream is wrapped
   * so its text can be logged; returns the text getter to pass to `chat`.
   */
  beforeWrite(graph: Graph, reply: Reply | null): (() => string) | undefined {
    if (reply === null || reply.kind !== "stream" || !graph.gateway.logBodies || this.log.access === undefined) return undefined;
    const captured = captureStreamText(reply.stream);
    reply.stream = captured.stream;
    return captured.text;
  }

  /**
   * One finished request: `startMs`, `replyMs` (the pipeline's reply was
   * ready) and `endMs` (written) are monotonic clock readings.
   */
  chat(graph: Graph, req: ObservedRequest, trace: ChatTrace, written: Written, startMs: number, replyMs: number, endMs: number, bodyText?: () => string): void {
    const access = this.log.access;
    if (this.metrics === undefined && access === undefined && this.spans === undefined) return;
    const f = finishRequest(graph, req.method, req.path, trace, written, startMs, replyMs, endMs);
    this.metrics?.observe(f);
    if (access !== undefined) access.call(this.log, accessEntry(f, bodyText?.()));
    this.spans?.request(f, startMs, req.headers["traceparent"]);
  }
}
