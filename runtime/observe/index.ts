/**
 * Observability's public entry: the Prometheus metrics (`GET /metrics`),
 * the access-log entry of a request, and OpenTelemetry span export. The
 * server (runtime/server/app.ts) wires them; hot reload reports through
 * `GatewayMetrics.policyReloaded`, the state store through `BudgetReader`.
 */
export { GatewayMetrics, LATENCY_BUCKETS, OVERHEAD_BUCKETS, type BudgetReader, type BudgetReading } from "./metrics.js";
export { Counter, EXPOSITION_CONTENT_TYPE, Gauge, Histogram, Registry, type HistogramSeries, type Metric, type Series } from "./registry.js";
export { Observer, type ObservedRequest, type ObserverOptions, type RequestSink, type RequestTimes } from "./observer.js";
export { accessEntry, keyId, requestEntry } from "./access-log.js";
export { RecentRequests, RECENT_REQUESTS } from "./recent.js";
export { errorClass, finishRequest, viewOf, type FinishedRequest, type RequestView } from "./request.js";
export { batchedWrite, jsonLogger, silentLogger, type AccessEntry, type Logger, type LogFields } from "./log.js";
export { otlpExporter, tracesUrl, type OtlpExporter, type OtlpOptions } from "./otlp.js";
export { otelFromEnv, type OtelEnvResult, type OtelExport } from "./otel-env.js";
export { requestSpans, unixNano, type OtlpSpan, type SpanContext, type SpanSink } from "./spans.js";
export { storeBudgetReader } from "./state-reader.js";
export { exportHttpEngine, type HttpEngineLabel } from "./http-engine.js";
