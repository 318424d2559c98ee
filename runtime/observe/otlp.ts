/**
 * An OTLP/HTTP JSON trace exporter: spans are queued per request and posted
 * in batches to `<endpoint>/v1/traces` (an OpenTelemetry Collector, Jaeger,
 * Tempo …) with the runtime's own `fetch`, so no OpenTelemetry SDK is
 * needed. Off unless an endpoint is configured; when off nothing is built.
 *
 * Export never slows or fails a request: a full queue drops spans (counted),
 * a failed post is dropped and reported through `onError`.
 */
import { randomBytes } from "node:crypto";
import type { FinishedRequest } from "./request.js";
import { requestSpans, type OtlpSpan, type SpanContext, type SpanSink } from "./spans.js";

export interface OtlpOptions {
  /** `http://host:4318` (then `/v1/traces` is appended) or the full traces URL; ignored when `url` is given. */
  endpoint?: string;
  /** The traces URL, used exactly as given (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`). */
  url?: string;
  /** Extra request headers (an API key for a hosted collector): sent, never logged. */
  headers?: Readonly<Record<string, string>>;
  /** `service.name` of the resource. Default `aigw`; `resource["service.name"]` wins. */
  serviceName?: string;
  /** Further resource attributes (`OTEL_RESOURCE_ATTRIBUTES`, otel-env.ts). */
  resource?: Readonly<Record<string, string>>;
  /** Longest wait before queued spans are posted. Default 1 s. */
  flushMs?: number;
  /** Spans per post. Default 512. */
  maxBatch?: number;
  /** Spans kept while posts are slow; more are dropped. Default 8192. */
  maxQueue?: number;
  /** Default: the global `fetch`. */
  fetch?: (url: string, init: { method: string; headers: Record<string, string>; body: string }) => Promise<{ ok: boolean; status: number }>;
  /** Random bytes for trace and span ids. Default: node:crypto. */
  randomHex?: (bytes: number) => string;
  /** Unix ms of a monotonic reading. Default: `performance.timeOrigin + t`. */
  unixMs?: (monotonicMs: number) => number;
  /** A post failed (the spans in it are dropped). */
  onError?: (err: unknown) => void;
}

/** A span sink that exports over OTLP/HTTP JSON. */
export interface OtlpExporter extends SpanSink {
  /** Posts what is queued now. */
  flush(): Promise<void>;
  /** Spans dropped because the queue was full or a post failed. */
  readonly dropped: number;
}

/** The traces URL for an endpoint: `/v1/traces` appended unless already there. */
export function tracesUrl(endpoint: string): string {
  const base = endpoint.replace(/\/+$/, "");
  return base.endsWith("/v1/traces") ? base : `${base}/v1/traces`;
}

/** Starts an exporter; `close()` it at shutdown. */
export function otlpExporter(options: OtlpOptions): OtlpExporter {
  const url = options.url ?? (options.endpoint !== undefined ? tracesUrl(options.endpoint) : undefined);
  if (url === undefined) throw new Error("otlpExporter: an endpoint or url is required");
  const post = options.fetch ?? ((u, init) => fetch(u, init));
  const flushMs = options.flushMs ?? 1000;
  const maxBatch = options.maxBatch ?? 512;
  const maxQueue = options.maxQueue ?? 8192;
  const headers = { "content-type": "application/json", ...options.headers };
  const attributes = { "service.name": options.serviceName ?? "aigw", ...options.resource };
  const resource = { attributes: Object.entries(attributes).map(([key, v]) => ({ key, value: { stringValue: v } })) };
  const ctx: SpanContext = {
    randomHex: options.randomHex ?? ((n) => randomBytes(n).toString("hex")),
    unixMs: options.unixMs ?? ((t) => performance.timeOrigin + t),
  };
  let queue: OtlpSpan[] = [];
  let dropped = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inflight: Promise<void> = Promise.resolve();
  let closed = false;

  const send = async (spans: OtlpSpan[]): Promise<void> => {
    const body = JSON.stringify({ resourceSpans: [{ resource, scopeSpans: [{ scope: { name: "aigw" }, spans }] }] });
    try {
      const res = await post(url, { method: "POST", headers, body });
      if (!res.ok) throw new Error(`otlp export to ${url} answered ${res.status}`);
    } catch (err) {
      dropped += spans.length;
      options.onError?.(err);
    }
  };

  const flush = (): Promise<void> => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    while (queue.length > 0) {
      const batch = queue.length <= maxBatch ? queue : queue.slice(0, maxBatch);
      queue = queue.length <= maxBatch ? [] : queue.slice(maxBatch);
      inflight = inflight.then(() => send(batch));
    }
    return inflight;
  };

  return {
    get dropped() {
      return dropped;
    },
    request(f: FinishedRequest, startMs: number, traceparent: string | undefined): void {
      if (closed) return;
      const spans = requestSpans(f, startMs, traceparent, ctx);
      if (queue.length + spans.length > maxQueue) {
        dropped += spans.length;
        return;
      }
      for (const s of spans) queue.push(s);
      if (queue.length >= maxBatch) void flush();
      else if (timer === undefined) {
        timer = setTimeout(() => void flush(), flushMs);
        timer.unref?.();
      }
    },
    flush,
    async close(): Promise<void> {
      closed = true;
      await flush();
    },
  };
}
