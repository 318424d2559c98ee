/**
 * The only module that imports undici: one keep-alive `Pool` per upstream
 * origin, the POST of one attempt (a whole JSON reply, or a response whose
 * event stream is read later) with its timeouts and abort, and the mapping
 * of transport failures to the typed errors of `errors.ts`. Adapters build
 * endpoints, headers and bodies; this file moves the bytes.
 */

import { Pool } from "undici";
import type { Dispatcher } from "undici";
import { MAX_TIMER_MS, type AttemptDeadline } from "./deadline.js";
import {
  UpstreamAbortedError,
  UpstreamConnectionError,
  UpstreamError,
  UpstreamProtocolError,
  UpstreamStatusError,
  UpstreamTimeoutError,
  type ErrorOrigin,
  type StatusDetail,
} from "./errors.js";
import { excerpt, redact, redactedPrefix } from "./redact.js";
import { refusalOf } from "./refusal.js";
import { parseRetryAfter } from "./retry-after.js";
import { SseLineTooLongError, SseTruncatedError } from "./sse.js";
import { StreamBody } from "./stream-body.js";

/** Connection settings shared by every pool. */
export interface PoolOptions {
  /** Most connections per origin; `null` (the default) means no limit. */
  connections?: number | null;
  /** How long an idle keep-alive connection is kept when the upstream sends no hint. */
  keepAliveTimeoutMs?: number;
  /** TCP (and TLS) connect timeout. */
  connectTimeoutMs?: number;
  /** Largest upstream body, streams included; a bigger one fails as a protocol error. Default 256 MiB. */
  maxResponseBytes?: number;
  /**
   * Largest non-streaming (JSON) reply: it is held in memory whole, so a
   * bigger one fails the attempt as a protocol error (a 502 from that
   * upstream) as soon as its `content-length` or its bytes pass the limit.
   * Default {@link DEFAULT_MAX_REPLY_BYTES}.
   */
  maxReplyBytes?: number;
}

/** The default cap on a non-streaming reply: far above any real completion, far below what would strain the process. */
export const DEFAULT_MAX_REPLY_BYTES = 32 * 1024 * 1024;

/** Keep-alive pools by origin, created on first use and closed together. */
export class Pools {
  private readonly pools = new Map<string, Pool>();
  private closed = false;

  /** The cap on a non-streaming reply ({@link PoolOptions.maxReplyBytes}). */
  readonly maxReplyBytes: number;

  constructor(private readonly options: PoolOptions = {}) {
    this.maxReplyBytes = options.maxReplyBytes ?? DEFAULT_MAX_REPLY_BYTES;
  }

  /** The pool for `origin` (`http://host:port`), created if needed. */
  get(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (pool === undefined) {
      if (this.closed) throw new Error("the provider pools are closed");
      pool = new Pool(origin, {
        connections: this.options.connections ?? null,
        keepAliveTimeout: this.options.keepAliveTimeoutMs ?? 4_000,
        connect: { timeout: this.options.connectTimeoutMs ?? 10_000 },
        maxResponseSize: this.options.maxResponseBytes ?? 256 * 1024 * 1024,
      });
      this.pools.set(origin, pool);
    }
    return pool;
  }

  /** Waits for requests in flight, then closes every connection. */
  async close(): Promise<void> {
    this.closed = true;
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((pool) => pool.close()));
  }
}

/** Where an adapter posts: the pool's origin and the request path (with the query), split once per provider. */
export interface Endpoint {
  /** `scheme://host:port`, the key of the keep-alive pool. */
  readonly origin: string;
  /** Path and query, e.g. `/v1/chat/completions?api-version=…`. */
  readonly path: string;
  readonly url: URL;
}

/** Splits `url` into what a request needs; adapters cache the result per provider. */
export function endpointOf(url: URL): Endpoint {
  return { origin: url.origin, path: url.pathname + url.search, url };
}

/** One POST to an upstream. */
export interface PostOptions {
  endpoint: Endpoint;
  /** Flat name/value list (`[name, value, name, value …]`), undici's cheapest form; may be shared across requests. */
  headers: readonly string[];
  body: string;
  deadline: AttemptDeadline;
  origin: ErrorOrigin;
  /** Values to scrub from any upstream text that ends up in an error. */
  secrets: readonly string[];
  now: () => number;
}

/** A whole 2xx JSON reply: the parsed value and the bytes it was parsed from (a leading BOM removed). */
export interface JsonReply {
  json: unknown;
  bytes: Buffer;
}

/** Largest error body read from an upstream; the rest is discarded. */
const ERROR_BODY_LIMIT = 16 * 1024;

/**
 * How much later than the attempt's own timeout undici's timers are set.
 * Those timers tick about every half second and may fire up to a tick
 * early, so they are only backstops: the attempt's deadline (deadline.ts),
 * exact to 10 ms and never early, is what times out the reply and each wait
 * for a stream chunk (http-attempt.ts).
 */
const UNDICI_TIMER_SLACK_MS = 1_000;

function dispatchOptions(opts: PostOptions): Dispatcher.DispatchOptions {
  const backstop = Math.min(opts.deadline.timeoutMs + UNDICI_TIMER_SLACK_MS, MAX_TIMER_MS);
  return {
    path: opts.endpoint.path,
    method: "POST",
    headers: opts.headers as string[],
    body: opts.body,
    headersTimeout: backstop,
    // Between body bytes, and not while the consumer holds the stream back.
    bodyTimeout: backstop,
  };
}

/**
 * Sends the request and reads the whole reply as JSON. A non-2xx status
 * throws `UpstreamStatusError` (body read up to a limit, scrubbed); a body
 * that is not JSON throws `UpstreamProtocolError`; transport failures throw
 * the matching typed error. Uses undici's `dispatch` directly: no response
 * stream, no promise per step, no AbortSignal; the attempt's deadline gets
 * the request's abort function instead.
 */
export function postJson(pools: Pools, opts: PostOptions): Promise<JsonReply> {
  return new Promise((resolve, reject) => {
    const handler = new JsonReplyHandler(opts, pools.maxReplyBytes, resolve, reject);
    if (handler.settled) return;
    pools.get(opts.endpoint.origin).dispatch(dispatchOptions(opts), handler);
  });
}

/** Collects one reply for {@link postJson}; settles exactly once, whatever undici calls afterwards. */
class JsonReplyHandler implements Dispatcher.DispatchHandler {
  settled = false;
  #status = 0;
  #headers: Record<string, string | string[] | undefined> | undefined;
  #chunks: Buffer[] = [];
  #size = 0;
  #controller: Dispatcher.DispatchController | undefined;

  constructor(
    private readonly opts: PostOptions,
    private readonly maxBytes: number,
    private readonly resolve: (reply: JsonReply) => void,
    private readonly reject: (err: Error) => void,
  ) {
    // Before dispatching: an attempt that ends while the request still waits
    // for a connection fails now, and the request is aborted once it starts.
    opts.deadline.onAbort((reason) => {
      this.#fail(reason);
      this.#controller?.abort(reason);
    });
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    if (this.settled) {
      controller.abort(new Error("the attempt already ended"));
      return;
    }
    this.#controller = controller;
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    if (statusCode < 200) return; // informational
    this.#status = statusCode;
    this.#headers = headers;
    if (statusCode < 300 && Number(headers["content-length"]) > this.maxBytes) {
      // Announced too large: fail now rather than read bytes that would be thrown away.
      this.#tooLarge(controller);
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) return;
    this.#chunks.push(chunk);
    this.#size += chunk.byteLength;
    if (this.#status >= 300 && this.#size >= ERROR_BODY_LIMIT) {
      // Enough of an error body: answer with it and drop the connection rather than read the rest.
      this.#statusFailure();
      controller.abort(new Error("error body limit reached"));
    } else if (this.#size > this.maxBytes) {
      // A reply is held whole until parsed: past the cap, stop reading and free what was read.
      this.#tooLarge(controller);
    }
  }

  onResponseEnd(): void {
    if (this.settled) return;
    if (this.#status >= 300) {
      this.#statusFailure();
      return;
    }
    const { opts } = this;
    let bytes = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks, this.#size);
    if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
    const text = bytes.toString("utf8");
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      this.#settle(new UpstreamProtocolError(opts.origin, `the body is not JSON (${contentTypeOf(this.#headers)}: ${excerpt(redact(text, opts.secrets), 80)})`));
      return;
    }
    this.settled = true;
    this.resolve({ json, bytes });
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.#fail(err);
  }

  #tooLarge(controller: Dispatcher.DispatchController): void {
    this.#settle(new UpstreamProtocolError(this.opts.origin, `the reply is larger than ${sizeText(this.maxBytes)}`));
    controller.abort(new Error("reply size limit reached"));
  }

  #statusFailure(): void {
    const { opts } = this;
    // Redacted before the cut (a key straddling it would leave its head); the body may itself be cut short.
    const read = Buffer.concat(this.#chunks, this.#size).toString("utf8");
    const text = redactedPrefix(read, ERROR_BODY_LIMIT, opts.secrets, this.#size >= ERROR_BODY_LIMIT);
    this.#settle(statusError(opts.origin, this.#status, this.#headers ?? {}, text, opts.secrets, opts.now()));
  }

  #fail(err: unknown): void {
    if (this.settled) return;
    this.#settle(transportError(err, this.opts.origin, this.opts.deadline, this.#status === 0 ? "waiting for the reply" : "reading the reply"));
  }

  #settle(err: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.#chunks = [];
    this.reject(err);
  }
}

/** A 2xx streamed reply: its head, and its body still to be read. */
export interface StreamReply {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: StreamBody;
}

/**
 * Sends a streaming request and resolves with a 2xx reply whose body is
 * read as it arrives ({@link StreamBody}), through undici's `dispatch` as
 * {@link postJson} is: no Readable, no AbortSignal. A non-2xx status
 * rejects with `UpstreamStatusError` (body read up to a limit, scrubbed);
 * transport failures reject with the matching typed error. The attempt's
 * deadline aborts the request, before or after the head.
 */
export function postStream(pools: Pools, opts: PostOptions): Promise<StreamReply> {
  return new Promise((resolve, reject) => {
    const handler = new StreamReplyHandler(opts, resolve, reject);
    if (handler.settled) return;
    pools.get(opts.endpoint.origin).dispatch(dispatchOptions(opts), handler);
  });
}

/** Opens one stream for {@link postStream}: settles once, at the head (or with the error body); then feeds the body. */
class StreamReplyHandler implements Dispatcher.DispatchHandler {
  settled = false;
  #status = 0;
  #headers: Record<string, string | string[] | undefined> = {};
  #chunks: Buffer[] = [];
  #size = 0;
  #controller: Dispatcher.DispatchController | undefined;
  #body: StreamBody | undefined;

  constructor(
    private readonly opts: PostOptions,
    private readonly resolve: (reply: StreamReply) => void,
    private readonly reject: (err: Error) => void,
  ) {
    opts.deadline.onAbort((reason) => {
      if (this.#body !== undefined) this.#body.fail(reason);
      else this.#fail(reason);
      this.#controller?.abort(reason);
    });
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    if (this.settled) {
      controller.abort(new Error("the attempt already ended"));
      return;
    }
    this.#controller = controller;
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    if (statusCode < 200 || this.settled) return; // informational
    this.#status = statusCode;
    this.#headers = headers;
    if (statusCode >= 300) return;
    this.#body = new StreamBody(controller);
    this.settled = true;
    this.resolve({ statusCode, headers, body: this.#body });
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#body !== undefined) {
      this.#body.push(chunk);
      return;
    }
    if (this.settled) return;
    this.#chunks.push(chunk);
    this.#size += chunk.byteLength;
    if (this.#size >= ERROR_BODY_LIMIT) {
      // Enough of an error body: answer with it and drop the connection rather than read the rest.
      this.#statusFailure();
      controller.abort(new Error("error body limit reached"));
    }
  }

  onResponseEnd(): void {
    if (this.#body !== undefined) this.#body.end();
    else this.#statusFailure();
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    if (this.#body !== undefined) this.#body.fail(err);
    else this.#fail(err);
  }

  #statusFailure(): void {
    if (this.settled) return;
    const { opts } = this;
    // Redacted before the cut (a key straddling it would leave its head); the body may itself be cut short.
    const read = Buffer.concat(this.#chunks, this.#size).toString("utf8");
    const text = redactedPrefix(read, ERROR_BODY_LIMIT, opts.secrets, this.#size >= ERROR_BODY_LIMIT);
    this.#settle(statusError(opts.origin, this.#status, this.#headers, text, opts.secrets, opts.now()));
  }

  #fail(err: unknown): void {
    if (this.settled) return;
    this.#settle(transportError(err, this.opts.origin, this.opts.deadline, "waiting for the reply"));
  }

  #settle(err: Error): void {
    this.settled = true;
    this.#chunks = [];
    this.reject(err);
  }
}

/**
 * Builds the status error from an upstream's error reply. OpenAI, Azure,
 * Anthropic and Google put it in `error.message`, naming the kind in
 * `error.type` (Azure: `error.code`, e.g. `content_filter`; Google:
 * `error.status`; Vertex wraps a stream's error body in a list); AWS puts
 * `message` at the top and names the exception in the `x-amzn-errortype`
 * header.
 */
export function statusError(
  origin: ErrorOrigin,
  status: number,
  headers: Record<string, string | string[] | undefined>,
  bodyText: string,
  secrets: readonly string[],
  nowMs: number,
): UpstreamStatusError {
  let message = bodyText;
  let upstreamType: string | undefined;
  let code: string | undefined;
  let innerCode: string | undefined;
  try {
    const json = JSON.parse(bodyText) as unknown;
    const parsed = (Array.isArray(json) ? json[0] : json) as
      | {
          error?: { message?: unknown; type?: unknown; status?: unknown; code?: unknown; innererror?: { code?: unknown } | null } | string;
          error_description?: unknown;
          message?: unknown;
        }
      | null;
    const error = parsed?.error;
    // OAuth's token endpoints say `{ error, error_description }`.
    if (typeof error === "string") message = typeof parsed?.error_description === "string" ? `${error}: ${parsed.error_description}` : error;
    else if (error && typeof error.message === "string") {
      message = error.message;
      if (typeof error.type === "string") upstreamType = error.type;
      else if (typeof error.status === "string") upstreamType = error.status;
      else if (typeof error.code === "string") upstreamType = error.code;
      if (typeof error.code === "string") code = error.code;
      if (typeof error.innererror?.code === "string") innerCode = error.innererror.code;
    } else if (typeof parsed?.message === "string") message = parsed.message;
  } catch {
    // Not JSON: keep the text as it came.
  }
  const amzn = headers["x-amzn-errortype"];
  // `ThrottlingException:http://internal.amazon.com/coral/…`: the name is before the colon.
  if (upstreamType === undefined && typeof amzn === "string" && amzn !== "") upstreamType = amzn.split(":")[0];
  const detail: StatusDetail = {};
  const refusal = refusalOf({ status, code, innerCode, message });
  if (refusal !== undefined) detail.refusal = refusal;
  const clean = excerpt(redact(message, secrets));
  if (clean) detail.message = clean;
  const retryAfterMs = parseRetryAfter(headers, nowMs);
  if (retryAfterMs !== undefined) detail.retryAfterMs = retryAfterMs;
  if (upstreamType !== undefined) detail.upstreamType = upstreamType;
  return new UpstreamStatusError(origin, status, detail);
}

// undici and system error codes that mean the connection did not work.
const CONNECTION_CODES = new Set([
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_DESTROYED",
  "UND_ERR_CONNECT_TIMEOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ETIMEDOUT",
]);

/**
 * Maps anything thrown while talking to an upstream to a typed error.
 * What aborted the attempt decides first: the caller, or the timeout.
 * Errors that are not transport failures (bugs) are rethrown unchanged.
 */
export function transportError(err: unknown, origin: ErrorOrigin, deadline: AttemptDeadline, phase: string): Error {
  if (err instanceof UpstreamError) return err;
  const cause = deadline.cause;
  if (cause === "timeout") return new UpstreamTimeoutError(origin, deadline.timeoutMs, phase);
  if (cause === "caller" || cause === "cancel") return new UpstreamAbortedError(origin);
  if (err instanceof SseTruncatedError) return new UpstreamProtocolError(origin, "the event stream was cut mid-event");
  if (err instanceof SseLineTooLongError) return new UpstreamProtocolError(origin, err.message);
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return err instanceof Error ? err : new Error(String(err));
  if (code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT") {
    return new UpstreamTimeoutError(origin, deadline.timeoutMs, phase);
  }
  if (CONNECTION_CODES.has(code)) {
    return new UpstreamConnectionError(origin, `${describe(code)} ${phase}`, code);
  }
  if (code.startsWith("UND_ERR")) return new UpstreamProtocolError(origin, `${code} ${phase}`);
  return err as Error;
}

/** The reply's content type for a message, e.g. `` `text/html` ``. */
function contentTypeOf(headers: Record<string, string | string[] | undefined> | undefined): string {
  const value = headers?.["content-type"];
  const type = (Array.isArray(value) ? value[0] : value)?.split(";")[0]?.trim();
  return type ? `\`${excerpt(type, 60)}\`` : "no content type";
}

/** `32 MiB`, `512 KiB`, `100 bytes`. */
function sizeText(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

function describe(code: string): string {
  switch (code) {
    case "ECONNREFUSED":
      return "connection refused";
    case "UND_ERR_CONNECT_TIMEOUT":
      return "connect timed out";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "host not found";
    case "UND_ERR_SOCKET":
    case "ECONNRESET":
    case "EPIPE":
      return "connection closed";
    default:
      return code;
  }
}
