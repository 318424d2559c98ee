/**
 * The only module that imports undici: one keep-alive `Pool` per upstream
 * origin, the POST of one attempt with its timeouts and abort signal, and
 * the mapping of transport failures to the typed errors of `errors.ts`.
 * Adapters build URLs, headers and bodies; this file moves the bytes.
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
} from "./errors.js";
import { excerpt, redact } from "./redact.js";
import { parseRetryAfter } from "./retry-after.js";
import { SseLineTooLongError, SseTruncatedError } from "./sse.js";

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
}

/** Keep-alive pools by origin, created on first use and closed together. */
export class Pools {
  private readonly pools = new Map<string, Pool>();
  private closed = false;

  constructor(private readonly options: PoolOptions = {}) {}

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

/** One POST to an upstream. */
export interface PostOptions {
  url: URL;
  headers: Record<string, string>;
  body: string;
  deadline: AttemptDeadline;
  origin: ErrorOrigin;
  /** Values to scrub from any upstream text that ends up in an error. */
  secrets: readonly string[];
  now: () => number;
}

export type UpstreamResponse = Dispatcher.ResponseData;

/** Largest error body read from an upstream; the rest is discarded. */
const ERROR_BODY_LIMIT = 16 * 1024;

/**
 * Sends the request and returns a 2xx response with its body unread. A
 * non-2xx status throws `UpstreamStatusError` (body read, scrubbed, closed);
 * transport failures throw the matching typed error.
 */
export async function post(pools: Pools, opts: PostOptions): Promise<UpstreamResponse> {
  let res: UpstreamResponse;
  try {
    res = await pools.get(opts.url.origin).request({
      path: opts.url.pathname + opts.url.search,
      method: "POST",
      headers: opts.headers,
      body: opts.body,
      signal: opts.deadline.signal,
      headersTimeout: Math.min(opts.deadline.timeoutMs, MAX_TIMER_MS),
      // Between body chunks: the idle limit of a stream after its first chunk.
      bodyTimeout: Math.min(opts.deadline.timeoutMs, MAX_TIMER_MS),
    });
  } catch (err) {
    throw transportError(err, opts.origin, opts.deadline, "waiting for the reply");
  }
  // Bodies are destroyed on early exits; their errors surface through reads, never as 'error' events with no listener.
  res.body.on("error", noop);
  if (res.statusCode >= 200 && res.statusCode < 300) return res;
  const text = await readLimited(res.body, ERROR_BODY_LIMIT).catch(() => "");
  throw statusError(opts.origin, res.statusCode, res.headers, text, opts.secrets, opts.now());
}

/** Reads a whole 2xx body as JSON; a parse failure is a protocol error. */
export async function readJson(res: UpstreamResponse, opts: PostOptions): Promise<unknown> {
  let text: string;
  try {
    text = await res.body.text();
  } catch (err) {
    throw transportError(err, opts.origin, opts.deadline, "reading the reply");
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new UpstreamProtocolError(opts.origin, `the body is not JSON (${excerpt(redact(text, opts.secrets), 80)})`);
  }
}

/** Builds the status error from an upstream's error reply (OpenAI and Anthropic both use `error.message`). */
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
  try {
    const parsed = JSON.parse(bodyText) as { error?: { message?: unknown; type?: unknown } | string };
    const error = parsed.error;
    if (typeof error === "string") message = error;
    else if (error && typeof error.message === "string") {
      message = error.message;
      if (typeof error.type === "string") upstreamType = error.type;
    }
  } catch {
    // Not JSON: keep the text as it came.
  }
  const detail: { message?: string; retryAfterMs?: number; upstreamType?: string } = {};
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

function noop(): void {}

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

async function readLimited(body: AsyncIterable<Uint8Array> & { destroy(): unknown }, limit: number): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    parts.push(Buffer.from(chunk));
    size += chunk.byteLength;
    if (size >= limit) break; // leaving the loop destroys the body
  }
  return Buffer.concat(parts).toString("utf8").slice(0, limit);
}
