/**
 * OpenTelemetry spans of a finished chat request, in the OTLP/JSON shape:
 * one server span for the request, with children for the decision, the
 * input guardrails and each try against a target. Built after the request
 * finished, from the timings the pipeline recorded; nothing here runs when
 * no span sink is configured.
 *
 * Each try is a GenAI inference span (OpenTelemetry semantic conventions
 * for generative AI, v1.37+): kind CLIENT, named `chat {upstream model}`,
 * with `gen_ai.operation.name`, `gen_ai.provider.name`, the
 * `gen_ai.request.*` parameters the caller set, `server.address`/`port`,
 * and on the answering try of a non-streaming reply `gen_ai.response.id`,
 * `.model` and `.finish_reasons` and the `gen_ai.usage.*` tokens (a stream's
 * usage is on the request span once it was read). No message text is ever
 * an attribute.
 *
 * A `traceparent` header (W3C Trace Context) from the client makes the
 * request span a child of the caller's span.
 */
import type { Graph } from "../../compiler/graph.js";
import { ANTHROPIC_DEFAULT_BASE_URL } from "../providers/anthropic.js";
import { OPENAI_DEFAULT_BASE_URL } from "../providers/openai.js";
import type { FinishedRequest } from "./request.js";
import { errorClass } from "./request.js";

/** Receives finished requests as spans (otlp.ts exports them). */
export interface SpanSink {
  /** One finished request; `traceparent` is the client's header, if any. */
  request(f: FinishedRequest, startMs: number, traceparent: string | undefined): void;
  /** Sends what is pending and stops. */
  close(): Promise<void>;
}

/** An OTLP/JSON attribute value. */
export type AnyValue = { stringValue: string } | { intValue: string } | { doubleValue: number } | { boolValue: boolean } | { arrayValue: { values: AnyValue[] } };

/** An OTLP/JSON span (ids in hex, times in unix nanoseconds as decimal strings). */
export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** 1 internal, 2 server, 3 client. */
  kind: 1 | 2 | 3;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: { key: string; value: AnyValue }[];
  /** 0 unset, 1 ok, 2 error. */
  status: { code: 0 | 1 | 2; message?: string };
}

/** What building spans needs from the outside: ids and the clock mapping. */
export interface SpanContext {
  /** `n` random bytes as hex. */
  randomHex(bytes: number): string;
  /** Unix time in ms of a monotonic clock reading. */
  unixMs(monotonicMs: number): number;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

/** The spans of one request, the request span first. */
export function requestSpans(f: FinishedRequest, startMs: number, traceparent: string | undefined, ctx: SpanContext): OtlpSpan[] {
  const t = f.view;
  const parent = traceparent === undefined ? null : TRACEPARENT.exec(traceparent.trim());
  const traceId = parent && !/^0+$/.test(parent[1]!) ? parent[1]! : ctx.randomHex(16);
  const rootId = ctx.randomHex(8);
  const nano = (mono: number): string => unixNano(ctx.unixMs(mono));
  const attrs: OtlpSpan["attributes"] = [
    str("http.request.method", f.method),
    str("url.path", f.path),
    int("http.response.status_code", f.status),
    str("aigw.request_id", t.requestId),
    str("aigw.policy", f.graph.policy),
  ];
  if (t.model !== undefined) attrs.push(str("gen_ai.operation.name", "chat"), str("gen_ai.request.model", t.model));
  if (t.route !== undefined) attrs.push(str("aigw.route", t.route));
  if (t.target !== undefined) attrs.push(str("aigw.target", t.target));
  if (t.team !== undefined) attrs.push(str("aigw.team", t.team));
  if (f.usage !== undefined) attrs.push(int("gen_ai.usage.input_tokens", f.usage.promptTokens), int("gen_ai.usage.output_tokens", f.usage.completionTokens));
  if (f.cost !== undefined) attrs.push({ key: "aigw.cost_dollars", value: { doubleValue: f.cost } });
  if (t.errorCode !== undefined) attrs.push(str("error.type", t.errorCode));
  const root: OtlpSpan = {
    traceId,
    spanId: rootId,
    name: `${f.method} ${f.path}`,
    kind: 2,
    startTimeUnixNano: nano(startMs),
    endTimeUnixNano: nano(startMs + f.totalMs),
    attributes: attrs,
    status: f.status >= 500 ? { code: 2, message: t.errorCode ?? String(f.status) } : { code: 0 },
  };
  if (parent) root.parentSpanId = parent[2]!;
  const spans = [root];
  const child = (name: string, kind: 1 | 3, from: number, to: number, attributes: OtlpSpan["attributes"], failed?: string): void => {
    spans.push({
      traceId,
      spanId: ctx.randomHex(8),
      parentSpanId: rootId,
      name,
      kind,
      startTimeUnixNano: nano(from),
      endTimeUnixNano: nano(to),
      attributes,
      status: failed === undefined ? { code: 0 } : { code: 2, message: failed },
    });
  };

  const steps = t.steps;
  if (steps !== undefined) {
    const decided = t.route !== undefined ? [str("aigw.route", t.route)] : [];
    if (t.span !== undefined) decided.push(str("aigw.route.source", `${t.span.file}:${t.span.line}`));
    if (t.rejected !== undefined) decided.push(str("aigw.rejected_by", `${t.rejected.kind} ${t.rejected.name}`));
    child("aigw.decide", 1, steps.decide[0], steps.decide[1], decided);
    if (steps.guard !== undefined) {
      const hits = [...t.redacted.map((h) => `${h.guardrail}:redact`), ...t.flagged.map((h) => `${h.guardrail}:flag`)];
      if (t.blocked !== undefined) hits.push(`${t.blocked.guardrail}:block`);
      child("aigw.guardrails", 1, steps.guard[0], steps.guard[1], hits.length ? [str("aigw.guardrail.actions", hits.join(","))] : [], t.blocked && `blocked by ${t.blocked.guardrail}`);
    }
  }
  const tries = t.tries ?? [];
  const requested = t.request === undefined ? [] : requestParams(t.request);
  for (let i = 0; i < tries.length && i < t.attempts.length; i++) {
    const a = t.attempts[i]!;
    const timing = tries[i]!;
    const upstream = upstreamOf(f.graph, a.model);
    const attributes = [str("gen_ai.operation.name", "chat"), str("gen_ai.provider.name", upstream.provider), str("gen_ai.request.model", upstream.model), ...requested, ...upstream.server];
    attributes.push(str("aigw.target", a.model), int("aigw.retry", a.retry), str("aigw.outcome", a.cause === "ok" ? "ok" : String(a.cause)));
    if (a.cause !== "ok") attributes.push(str("error.type", timing.error !== undefined && typeof a.cause !== "number" ? errorClass(timing.error) : String(a.cause)));
    else if (i === t.attempts.length - 1 && t.completion !== undefined) {
      const c = t.completion;
      if (typeof c.id === "string") attributes.push(str("gen_ai.response.id", c.id));
      if (typeof c.model === "string") attributes.push(str("gen_ai.response.model", c.model));
      const reasons = (Array.isArray(c.choices) ? c.choices : []).map((ch) => ch.finish_reason).filter((r): r is NonNullable<typeof r> => typeof r === "string");
      if (reasons.length > 0) attributes.push(strs("gen_ai.response.finish_reasons", reasons));
      if (f.usage !== undefined) attributes.push(int("gen_ai.usage.input_tokens", f.usage.promptTokens), int("gen_ai.usage.output_tokens", f.usage.completionTokens));
    }
    child(`chat ${upstream.model}`, 3, timing.startMs, timing.startMs + timing.ms, attributes, a.cause === "ok" ? undefined : String(a.cause));
  }
  return spans;
}

/** `gen_ai.provider.name` by provider API; the built-in mock is ours. */
const PROVIDER_NAMES: Readonly<Record<string, string>> = { openai: "openai", anthropic: "anthropic", mock: "aigw.mock" };
const DEFAULT_BASE_URLS: Readonly<Record<string, string>> = { openai: OPENAI_DEFAULT_BASE_URL, anthropic: ANTHROPIC_DEFAULT_BASE_URL };

/** The provider name, upstream model name and `server.*` attributes of a target. */
function upstreamOf(graph: Graph, target: string): { provider: string; model: string; server: OtlpSpan["attributes"] } {
  const model = Object.hasOwn(graph.models, target) ? graph.models[target]! : undefined;
  const provider = model !== undefined && Object.hasOwn(graph.providers, model.provider) ? graph.providers[model.provider]! : undefined;
  const server: OtlpSpan["attributes"] = [];
  const base = provider?.baseUrl ?? (provider !== undefined ? DEFAULT_BASE_URLS[provider.api] : undefined);
  if (base !== undefined && URL.canParse(base)) {
    const u = new URL(base);
    server.push(str("server.address", u.hostname.replace(/^\[|\]$/g, "")), int("server.port", u.port !== "" ? Number(u.port) : u.protocol === "https:" ? 443 : 80));
  }
  return { provider: provider !== undefined ? (PROVIDER_NAMES[provider.api] ?? provider.api) : "", model: model?.upstream ?? target, server };
}

/** The `gen_ai.request.*` parameters the caller set. */
function requestParams(r: NonNullable<FinishedRequest["view"]["request"]>): OtlpSpan["attributes"] {
  const out: OtlpSpan["attributes"] = [];
  const o = r.output;
  if (o.maxTokens !== undefined) out.push(int("gen_ai.request.max_tokens", o.maxTokens));
  if (r.sampling.temperature !== undefined) out.push(dbl("gen_ai.request.temperature", r.sampling.temperature));
  if (r.sampling.topP !== undefined) out.push(dbl("gen_ai.request.top_p", r.sampling.topP));
  if (o.n !== undefined && o.n !== 1) out.push(int("gen_ai.request.choice.count", o.n));
  // Not modeled: OpenAI's chat fields, read from the passthrough of that wire.
  const p = r.passthrough.api === "openai.chat" ? r.passthrough.fields : {};
  if (typeof p["seed"] === "number") out.push(int("gen_ai.request.seed", p["seed"]));
  if (typeof p["frequency_penalty"] === "number") out.push(dbl("gen_ai.request.frequency_penalty", p["frequency_penalty"]));
  if (typeof p["presence_penalty"] === "number") out.push(dbl("gen_ai.request.presence_penalty", p["presence_penalty"]));
  if (o.stop !== undefined && o.stop.length > 0) out.push(strs("gen_ai.request.stop_sequences", [...o.stop]));
  return out;
}

const str = (key: string, v: string) => ({ key, value: { stringValue: v } });
const int = (key: string, v: number) => ({ key, value: { intValue: String(Math.trunc(v)) } });
const dbl = (key: string, v: number) => ({ key, value: { doubleValue: v } });
const strs = (key: string, v: readonly string[]) => ({ key, value: { arrayValue: { values: v.map((s) => ({ stringValue: s })) } } });

/** Unix ms (fractional) as integer nanoseconds in decimal, exact past 2^53. */
export function unixNano(ms: number): string {
  const whole = Math.floor(ms);
  const frac = Math.round((ms - whole) * 1e6);
  return (BigInt(whole) * 1_000_000n + BigInt(frac)).toString();
}
