/**
 * The life of one attempt against an HTTP upstream, shared by the OpenAI
 * and Anthropic adapters: start the deadline, POST, then either read one
 * JSON reply or hand the event stream to the adapter's translator. Every
 * failure leaves here as a typed error, and the deadline and the upstream
 * body are released on every path.
 */

import { openChatStream, relayable } from "./chat-stream.js";
import { AttemptDeadline } from "./deadline.js";
import { UpstreamProtocolError, originOf, type ErrorOrigin } from "./errors.js";
import { postJson, postStream, transportError, type Endpoint, type JsonReply, type Pools, type PostOptions } from "./http.js";
import type { ChatCompletionChunk } from "../request/openai-wire.js";
import { excerpt } from "./redact.js";
import { parseSse, type SseEvent } from "./sse.js";
import type { ChatStream, Completion, ProviderCall, Usage } from "./types.js";
import { WirePass, type WireRules } from "./wire-pass.js";
import type { ProviderNode } from "../../compiler/graph.js";

export { endpointOf, type Endpoint, type JsonReply } from "./http.js";

/** The most bytes kept, before a stream's first chunk, for relaying it as bytes (`ChatStream.wire`); a longer head is read as chunks. */
export const RELAY_HEAD_LIMIT = 1024 * 1024;

/** What the adapters need from the outside world. */
export interface HttpDeps {
  pools: Pools;
  /** Wall clock in milliseconds. */
  now: () => number;
}

/** The request an adapter built for one attempt. */
export interface HttpRequestSpec {
  endpoint: Endpoint;
  /** Flat name/value list; adapters may share one list across attempts. */
  headers: readonly string[];
  body: string;
  /** Values to scrub from upstream text (the key). */
  secrets: readonly string[];
}

/**
 * Turns upstream events into OpenAI chunks. Throws typed errors for bad
 * events, upstream error events and a stream that ends too early; reports
 * usage through `onUsage` as soon as it is known.
 */
export type ChunkTranslator<E = SseEvent> = (
  events: AsyncIterable<E>,
  ctx: TranslateContext,
) => AsyncGenerator<ChatCompletionChunk, void, undefined>;

/** How a stream's body is cut into events: server-sent events, or another framing (AWS's binary event stream). */
export interface StreamFraming<E> {
  /** The content type a streamed reply must have. */
  contentType: string;
  parse(body: AsyncIterable<Uint8Array>): AsyncIterable<E>;
}

export const SSE_FRAMING: StreamFraming<SseEvent> = { contentType: "text/event-stream", parse: parseSse };

/** What a translator is told about its attempt. */
export interface TranslateContext {
  origin: ErrorOrigin;
  /** Values to scrub from upstream text that ends up in an error. */
  secrets: readonly string[];
  onUsage: (usage: Usage) => void;
}

/**
 * What never changes between attempts on one provider with one key: the
 * endpoint, the header lists for JSON and SSE replies, and the secrets to
 * scrub. Built once per provider (and again only if its key changes).
 */
export interface PreparedRequest {
  key: string | undefined;
  endpoint: Endpoint;
  jsonHeaders: readonly string[];
  streamHeaders: readonly string[];
  secrets: readonly string[];
}

/**
 * The request spec of an adapter: `prepare` runs once per provider and key,
 * `body` per call. Keeps every adapter's per-request work to building the body.
 */
export function requestSpecs<C extends Pick<ProviderCall, "provider" | "key"> = ProviderCall>(
  prepare: (provider: ProviderNode, key: string | undefined) => Omit<PreparedRequest, "key" | "secrets">,
  body: (call: C, stream: boolean) => string,
): (call: C, stream: boolean) => HttpRequestSpec {
  const prepared = new WeakMap<ProviderNode, PreparedRequest>();
  return (call, stream) => {
    let p = prepared.get(call.provider);
    if (p === undefined || p.key !== call.key) {
      p = { ...prepare(call.provider, call.key), key: call.key, secrets: call.key === undefined ? [] : [call.key] };
      prepared.set(call.provider, p);
    }
    return { endpoint: p.endpoint, headers: stream ? p.streamHeaders : p.jsonHeaders, body: body(call, stream), secrets: p.secrets };
  };
}

/** `base` with `path` appended to its path; the query (Azure's `api-version`) is kept. */
export function endpointUrl(base: string, path: string): URL {
  const url = new URL(base);
  url.pathname = url.pathname.replace(/\/+$/, "") + path;
  return url;
}

function postOptions(deps: HttpDeps, call: Pick<ProviderCall, "requestId" | "providerName" | "model" | "upstreamHeaders">, spec: HttpRequestSpec, deadline: AttemptDeadline): PostOptions {
  // The gateway's request id goes upstream too, so provider-side logs correlate with ours; the route's headers after the adapter's own.
  const headers = call.upstreamHeaders === undefined ? spec.headers.concat("x-request-id", call.requestId) : spec.headers.concat(call.upstreamHeaders, "x-request-id", call.requestId);
  return { endpoint: spec.endpoint, headers, body: spec.body, deadline, origin: originOf(call), secrets: spec.secrets, now: deps.now };
}

/** One non-streaming attempt; `toCompletion` validates and translates the JSON reply (a completion, or embeddings). */
export async function completeOverHttp<T = Completion>(
  deps: HttpDeps,
  call: Pick<ProviderCall, "signal" | "timeoutMs" | "requestId" | "providerName" | "model" | "upstreamHeaders">,
  spec: HttpRequestSpec,
  toCompletion: (reply: JsonReply, origin: ErrorOrigin) => T,
): Promise<T> {
  const deadline = new AttemptDeadline(call.signal, call.timeoutMs);
  const opts = postOptions(deps, call, spec, deadline);
  try {
    return toCompletion(await postJson(deps.pools, opts), opts.origin);
  } finally {
    deadline.dispose();
  }
}

/**
 * One streaming attempt; resolves when the first translated chunk has
 * arrived. With `relay` (the upstream speaks the caller's API), the stream
 * can also be read as the upstream's own bytes (`ChatStream.wire`,
 * wire-pass.ts): the bytes read before the first chunk are kept for that,
 * and whichever way the consumer reads first is the way it reads.
 */
export async function streamOverHttp<E = SseEvent>(
  deps: HttpDeps,
  call: ProviderCall,
  spec: HttpRequestSpec,
  translate: ChunkTranslator<E>,
  framing: StreamFraming<E> = SSE_FRAMING as unknown as StreamFraming<E>,
  relay?: WireRules,
): Promise<ChatStream> {
  const startedAt = deps.now();
  const deadline = new AttemptDeadline(call.signal, call.timeoutMs);
  const opts = postOptions(deps, call, spec, deadline);
  let res;
  try {
    res = await postStream(deps.pools, opts);
  } catch (err) {
    deadline.dispose();
    throw err;
  }
  const type = String(res.headers["content-type"] ?? "");
  if (!type.includes(framing.contentType)) {
    deadline.dispose();
    // Read and drop a small body so the connection stays reusable; drop a large one with its connection.
    res.body.discard(64 * 1024);
    throw new UpstreamProtocolError(opts.origin, `expected an event stream, got \`${excerpt(type, 60) || "no content type"}\``);
  }
  const body = res.body;
  let usage: Usage | undefined;
  // What the translator read before the first chunk, for a relay that starts from the beginning; past
  // RELAY_HEAD_LIMIT (an upstream that sends keep-alives and no event for long) it is dropped, and so is the relay.
  let head: Buffer[] | undefined = relay === undefined ? undefined : [];
  let headBytes = 0;
  const keep = (r: IteratorResult<Buffer>): IteratorResult<Buffer> => {
    if (r.done === true || head === undefined) return r;
    head.push(r.value);
    headBytes += r.value.length;
    if (headBytes > RELAY_HEAD_LIMIT) head = undefined;
    return r;
  };
  const source: AsyncIterable<Buffer> =
    head === undefined
      ? body
      : {
          [Symbol.asyncIterator]: () => ({
            next: () => (head === undefined ? body.next() : body.next().then(keep)),
            return: () => body.return(),
          }),
        };

  async function* chunks(): AsyncGenerator<ChatCompletionChunk, void, undefined> {
    try {
      for await (const chunk of translate(framing.parse(source), { origin: opts.origin, secrets: spec.secrets, onUsage: (u) => (usage = u) })) {
        // The timeout bounds each wait for a chunk, so keep-alives (comments, pings) cannot keep a stalled
        // stream open; the time the consumer takes between pulls (a slow client) is not the upstream's.
        deadline.stopTimer();
        yield chunk;
        deadline.restartTimer();
      }
    } catch (err) {
      throw transportError(err, opts.origin, deadline, "reading the stream");
    } finally {
      deadline.dispose();
      // A no-op after a clean end; otherwise frees the connection at once.
      body.destroy();
    }
  }

  const stream = await openChatStream({
    chunks: chunks(),
    startedAt,
    now: deps.now,
    onFirstChunk: () => deadline.stopTimer(),
    abort: () => deadline.cancel(),
    usage: () => usage,
    emptyError: () => new UpstreamProtocolError(opts.origin, "the event stream ended before its first chunk"),
  });
  if (relay === undefined || head === undefined) return stream;
  const pass = new WirePass(relay, { body, deadline, origin: opts.origin }, head);
  head = undefined;
  return relayable(stream, pass);
}
