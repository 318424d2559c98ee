/**
 * The HTTP edge as the rest of aigw sees it: a request copied out of the
 * engine, a response that is safe to use from any async context, and a
 * server that listens and closes gracefully. No uWebSockets.js types appear
 * here; uws.ts implements these over uWS (native or its node:http fallback).
 */

/** Which HTTP engine the uWebSockets.js import resolved to. */
export interface HttpEngineInfo {
  kind: "native" | "fallback";
  /** `glibc-compat`: the native binding runs from a copy patched for glibc older than 2.38 (uws-glibc-compat.ts). */
  build?: "glibc-compat";
  /** A one-line description for the start-up log. */
  detail: string;
}

/** Headers to send: a flat list of name/value pairs keeps the hot path allocation-light. */
export type HeaderList = ReadonlyArray<readonly [string, string]>;

/** Thrown (as a rejection of {@link HttpRequest.body}) when the request body is larger than allowed. */
export class BodyTooLargeError extends Error {
  readonly code = "AIGW_BODY_TOO_LARGE";
  constructor(readonly limit: number) {
    super(`request body is larger than ${limit} bytes`);
  }
}

/**
 * Thrown (as a rejection of {@link HttpRequest.body}) when the body did not
 * arrive in full within the server's body timeout; the edge has already
 * answered 408 and is closing the connection.
 */
export class BodyTimeoutError extends Error {
  readonly code = "AIGW_BODY_TIMEOUT";
  constructor(readonly timeoutMs: number) {
    super(`request body did not arrive within ${timeoutMs} ms`);
  }
}

/** Thrown when the client went away before the body was read. */
export class ClientAbortedError extends Error {
  readonly code = "AIGW_CLIENT_ABORTED";
  constructor() {
    super("client closed the connection");
  }
}

/** An incoming request, copied out of uWS (whose request object dies with the callback). */
export interface HttpRequest {
  /** Upper-case method (`GET`, `POST`). */
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  /** Raw query string without `?`, or "". */
  readonly query: string;
  /** Header names lower-cased; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  /** The whole body; rejects with {@link BodyTooLargeError}, {@link BodyTimeoutError} or {@link ClientAbortedError}. */
  body(): Promise<Buffer>;
}

/** A response that is safe to use from any async context. */
export interface HttpResponse {
  /** The client went away, or the edge gave up on it (see {@link edgeStatus}); every further call is a no-op. */
  readonly aborted: boolean;
  /** The status the edge answered with on its own, when it did: 408 for a body that did not arrive in time. */
  readonly edgeStatus: number | undefined;
  /** A response was completed (or the connection aborted). */
  readonly finished: boolean;
  /** Headers were sent (a streamed response started). */
  readonly started: boolean;
  /** Called once if the client disconnects before the response ended. */
  onAbort(listener: () => void): void;
  /** Sends a whole response. */
  send(status: number, headers: HeaderList, body: string | Uint8Array): void;
  /** Starts a streamed (chunked) response. */
  /** Sends the head of a streamed response; `first`, the body's first bytes, goes out with it (one write). */
  start(status: number, headers: HeaderList, first?: string | Uint8Array): void;
  /** Writes a chunk of a started response; false means the client is slow: await {@link writable} before writing more. */
  write(chunk: string | Uint8Array): boolean;
  /** Resolves when the socket drained (or the client went away). */
  writable(): Promise<void>;
  /** Ends a started response. */
  end(chunk?: string | Uint8Array): void;
}

/** Handles one request; may return a promise (a rejection becomes a 500 if nothing was sent yet). */
export type RequestHandler = (req: HttpRequest, res: HttpResponse) => void | Promise<void>;

export interface HttpServerOptions {
  handler: RequestHandler;
  /** Largest body accepted for this request, read when the request arrives. */
  bodyLimit: () => number;
  /**
   * How long a request body may take to arrive in full, counted from the
   * request head; past it the edge answers 408 and closes the connection.
   * uWS closes a connection whose body trickles in at under 16 KB/s after
   * about 10 s, but one that keeps just above that rate would hold its
   * request open for as long as its body lasts. Default 30 s.
   */
  bodyTimeoutMs?: number;
  /**
   * The largest request head (URL plus header names and values) answered;
   * a larger one gets 431 and the connection is closed. uWS v20.30 itself
   * accepts a head up to its read buffer (~512 KB) when it arrives in one
   * read and closes the connection when one over 4 KB arrives in several;
   * v20.57 answers its own HTML 431 past `UWS_HTTP_MAX_HEADERS_SIZE`
   * (uws-load.ts sets 32 KiB). Default 16 KiB.
   */
  maxHeaderBytes?: number;
  /** Where an unexpected handler failure is reported. */
  onError?: (err: unknown) => void;
}

export interface HttpServer {
  readonly engine: HttpEngineInfo;
  /** Listens; resolves with the bound port (useful with port 0). */
  listen(host: string, port: number): Promise<number>;
  /** Requests started and not yet finished. */
  readonly inFlight: number;
  /**
   * Stops accepting, waits up to `graceMs` for in-flight requests, then closes
   * every remaining connection (aborting what is left).
   */
  close(graceMs: number): Promise<void>;
}
