/**
 * The uWebSockets.js edge: the only file that imports `uWebSockets.js`.
 *
 * It wraps uWS in a small interface with no uWS types leaking out, and keeps
 * the rules that bite in one place:
 * - `onAborted` is registered before anything else, and nothing touches the
 *   native response after it fired or after the response ended;
 * - every write is corked (writes from promises run outside the request
 *   callback, where uWS is not corked for us);
 * - whole bodies go out with `tryEnd`/`onWritable`, streams report
 *   backpressure and offer `writable()` to wait for the socket to drain;
 * - request bodies are read with a size limit that answers 413 and stops
 *   reading (the connection is closed, so the rest is never parsed).
 *
 * The npm package behind the import name ships a native binding for some
 * Node/platform pairs and a pure Node fallback (node:http) elsewhere; the
 * fallback lacks `tryEnd`, `onWritable`, `forEach` and friends, so the few
 * places that differ branch on {@link httpEngine}.
 */
import * as uWSNamespace from "uWebSockets.js";
import type { IncomingMessage, ServerResponse } from "node:http";
import { STATUS_CODES } from "node:http";

/** Which HTTP engine the uWebSockets.js import resolved to. */
export interface HttpEngineInfo {
  kind: "native" | "fallback";
  /** A one-line description for the start-up log. */
  detail: string;
}

type UwsModule = typeof uWSNamespace;

/**
 * The package is CommonJS; depending on the loader (Node's ESM, vitest) its
 * exports arrive as the namespace itself or under `default`. Take whichever
 * carries the API.
 */
function resolveModule(ns: unknown): UwsModule {
  const top = ns as Record<string, unknown>;
  if (typeof top.App === "function" && typeof top.us_socket_local_port === "function") return ns as UwsModule;
  return top.default as UwsModule;
}
const uWS = resolveModule(uWSNamespace);

/** The native binding exports `getParts` and the shared-state helpers; the fallback exports only `App` and two socket helpers. */
function detectEngine(mod: UwsModule): HttpEngineInfo {
  const native = typeof (mod as unknown as Record<string, unknown>).getParts === "function";
  return native
    ? { kind: "native", detail: `uWebSockets.js native binding (${process.platform}-${process.arch}, abi ${process.versions.modules})` }
    : { kind: "fallback", detail: "uWebSockets.js node:http fallback (no native binding for this platform; slower)" };
}

/** The engine in use in this process. */
export const httpEngine: HttpEngineInfo = detectEngine(uWS);
const NATIVE = httpEngine.kind === "native";

/** Headers to send: a flat list of name/value pairs keeps the hot path allocation-light. */
export type HeaderList = ReadonlyArray<readonly [string, string]>;

/** Thrown (as a rejection of {@link HttpRequest.body}) when the request body is larger than allowed. */
export class BodyTooLargeError extends Error {
  readonly code = "AIGW_BODY_TOO_LARGE";
  constructor(readonly limit: number) {
    super(`request body is larger than ${limit} bytes`);
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
  /** The whole body; rejects with {@link BodyTooLargeError} or {@link ClientAbortedError}. */
  body(): Promise<Buffer>;
}

/** A response that is safe to use from any async context. */
export interface HttpResponse {
  /** The client went away; every further call is a no-op. */
  readonly aborted: boolean;
  /** A response was completed (or the connection aborted). */
  readonly finished: boolean;
  /** Headers were sent (a streamed response started). */
  readonly started: boolean;
  /** Called once if the client disconnects before the response ended. */
  onAbort(listener: () => void): void;
  /** Sends a whole response. */
  send(status: number, headers: HeaderList, body: string | Uint8Array): void;
  /** Starts a streamed (chunked) response. */
  start(status: number, headers: HeaderList): void;
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

// ------------------------------------------------------------------ internals

interface UwsRes {
  onAborted(h: () => void): unknown;
  onData(h: (chunk: ArrayBuffer, isLast: boolean) => void): unknown;
  onWritable(h: (offset: number) => boolean): unknown;
  cork(cb: () => void): unknown;
  writeStatus(s: string): unknown;
  writeHeader(k: string, v: string): unknown;
  write(chunk: string | Uint8Array): boolean;
  end(body?: string | Uint8Array, closeConnection?: boolean): unknown;
  tryEnd(chunk: string | Uint8Array, total: number): [boolean, boolean];
  getWriteOffset(): number;
  close(): unknown;
  /** Present on the fallback only. */
  response?: ServerResponse;
}
interface UwsReq {
  getHeader(k: string): string;
  getUrl(): string;
  getMethod(): string;
  getQuery(): string;
  forEach(cb: (k: string, v: string) => void): void;
  /** Present on the fallback only. */
  request?: IncomingMessage;
}

/** Bodies up to this size (characters or bytes) are ended in one call; larger ones stream out with tryEnd/onWritable. */
const SMALL_BODY = 64 * 1024;

const statusLines = new Map<number, string>();
function statusLine(status: number): string {
  let line = statusLines.get(status);
  if (line === undefined) {
    line = `${status} ${STATUS_CODES[status] ?? "Unknown"}`;
    statusLines.set(status, line);
  }
  return line;
}

function readHeaders(req: UwsReq): Record<string, string> {
  const headers: Record<string, string> = {};
  if (NATIVE) {
    req.forEach((k, v) => {
      const prev = headers[k];
      headers[k] = prev === undefined ? v : `${prev}, ${v}`;
    });
  } else {
    const raw = req.request?.headers ?? {};
    for (const k of Object.keys(raw)) {
      const v = raw[k];
      if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(", ") : v;
    }
  }
  return headers;
}

/** One request/response pair; implements both sides of the interface over a uWS response. */
class Exchange implements HttpRequest, HttpResponse {
  aborted = false;
  finished = false;
  started = false;
  private abortListeners: (() => void)[] = [];
  private drainWaiters: (() => void)[] = [];
  private bodyPromise: Promise<Buffer> | undefined;
  private bodyResolve: ((b: Buffer) => void) | undefined;
  private bodyReject: ((e: Error) => void) | undefined;
  private bodyResult: Buffer | Error | undefined;
  private closeAfter = false;

  constructor(
    private readonly res: UwsRes,
    readonly method: string,
    readonly path: string,
    readonly query: string,
    readonly headers: Record<string, string>,
    private readonly onDone: () => void,
  ) {}

  // ---------------------------------------------------------------- request body

  /** Registers onData synchronously in the request callback (uWS drops data that arrives with no handler). */
  readBody(limit: number): void {
    const declared = this.headers["content-length"];
    if (declared !== undefined && Number(declared) > limit) {
      this.bodyResult = new BodyTooLargeError(limit);
      this.closeAfter = true;
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    this.res.onData((chunk, isLast) => {
      if (this.bodyResult !== undefined) return;
      size += chunk.byteLength;
      if (size > limit) {
        this.closeAfter = true;
        this.settleBody(new BodyTooLargeError(limit));
        return;
      }
      // uWS neuters the ArrayBuffer when the callback returns: copy it
      chunks.push(Buffer.from(new Uint8Array(chunk)));
      if (isLast) this.settleBody(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
  }

  noBody(): void {
    this.bodyResult = Buffer.alloc(0);
  }

  private settleBody(result: Buffer | Error): void {
    this.bodyResult = result;
    if (result instanceof Error) this.bodyReject?.(result);
    else this.bodyResolve?.(result);
  }

  body(): Promise<Buffer> {
    if (this.bodyPromise) return this.bodyPromise;
    const done = this.bodyResult;
    if (done !== undefined) {
      this.bodyPromise = done instanceof Error ? Promise.reject(done) : Promise.resolve(done);
    } else {
      this.bodyPromise = new Promise<Buffer>((resolve, reject) => {
        this.bodyResolve = resolve;
        this.bodyReject = reject;
      });
    }
    return this.bodyPromise;
  }

  // ---------------------------------------------------------------- abort

  handleAbort(): void {
    // the fallback reports 'close' after a normal end too
    if (this.finished) return;
    this.aborted = true;
    this.finished = true;
    if (this.bodyResult === undefined) this.settleBody(new ClientAbortedError());
    this.wakeDrainWaiters();
    for (const l of this.abortListeners) {
      try {
        l();
      } catch {
        // a listener's failure must not stop the others
      }
    }
    this.abortListeners = [];
    this.onDone();
  }

  onAbort(listener: () => void): void {
    if (this.aborted) listener();
    else if (!this.finished) this.abortListeners.push(listener);
  }

  private complete(): void {
    this.finished = true;
    this.abortListeners = [];
    this.wakeDrainWaiters();
    this.onDone();
  }

  // ---------------------------------------------------------------- response

  private writeHead(status: number, headers: HeaderList): void {
    const res = this.res;
    res.writeStatus(statusLine(status));
    for (let i = 0; i < headers.length; i++) {
      const h = headers[i]!;
      res.writeHeader(h[0], h[1]);
    }
  }

  send(status: number, headers: HeaderList, body: string | Uint8Array): void {
    if (this.finished || this.started) return;
    this.started = true;
    const res = this.res;
    const close = this.closeAfter;
    if (!NATIVE) {
      this.writeHead(status, headers);
      res.end(body, close);
      this.complete();
      return;
    }
    res.cork(() => {
      this.writeHead(status, headers);
      if (close || body.length <= SMALL_BODY) {
        // small bodies fit the socket buffer: one copy into uWS, no bookkeeping
        res.end(body, close);
        this.complete();
        return;
      }
      const buf = typeof body === "string" ? Buffer.from(body) : body;
      const total = buf.byteLength;
      const base = res.getWriteOffset();
      const [, done] = res.tryEnd(buf, total);
      if (done) {
        this.complete();
        return;
      }
      // the client is slow: hand uWS the rest as the socket drains
      res.onWritable((offset) => {
        if (this.finished) return true;
        const [ok, fin] = res.tryEnd(buf.subarray(offset - base), total);
        if (fin) this.complete();
        return ok;
      });
    });
  }

  start(status: number, headers: HeaderList): void {
    if (this.finished || this.started) return;
    this.started = true;
    const res = this.res;
    res.cork(() => this.writeHead(status, headers));
    if (NATIVE) {
      res.onWritable(() => {
        this.wakeDrainWaiters();
        return true;
      });
    } else {
      res.response?.on("drain", () => this.wakeDrainWaiters());
    }
  }

  write(chunk: string | Uint8Array): boolean {
    if (this.finished) return true;
    let ok = true;
    this.res.cork(() => {
      ok = this.res.write(chunk);
    });
    return ok;
  }

  writable(): Promise<void> {
    if (this.finished) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private wakeDrainWaiters(): void {
    const waiters = this.drainWaiters;
    if (waiters.length === 0) return;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }

  end(chunk?: string | Uint8Array): void {
    if (this.finished) return;
    const close = this.closeAfter;
    this.res.cork(() => {
      if (chunk !== undefined && chunk.length > 0) this.res.write(chunk);
      this.res.end(undefined, close);
    });
    this.complete();
  }

  /** Ends the connection from our side (used at shutdown). */
  markClose(): void {
    this.closeAfter = true;
  }
}

const BODY_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** Creates the HTTP server; nothing listens until {@link HttpServer.listen}. */
export function createHttpServer(options: HttpServerOptions): HttpServer {
  const app = uWS.App();
  const live = new Set<Exchange>();
  let listenSocket: unknown = null;
  let draining = false;
  let idleWaiter: (() => void) | null = null;
  const report = options.onError ?? (() => {});

  const onDone = (ex: Exchange) => {
    live.delete(ex);
    if (live.size === 0 && idleWaiter) idleWaiter();
  };

  app.any("/*", (rawRes, rawReq) => {
    const res = rawRes as unknown as UwsRes;
    const req = rawReq as unknown as UwsReq;
    // first, before anything can await: uWS requires an abort handler on every response not ended synchronously
    let ex: Exchange | null = null;
    res.onAborted(() => ex?.handleAbort());

    const url = req.getUrl();
    const q = url.indexOf("?");
    const path = q < 0 ? url : url.slice(0, q);
    const query = NATIVE ? req.getQuery() ?? "" : q < 0 ? "" : url.slice(q + 1);
    const method = req.getMethod().toUpperCase();
    const exchange = new Exchange(res, method, path, query, readHeaders(req), () => onDone(exchange));
    ex = exchange;
    live.add(exchange);
    if (draining) exchange.markClose();
    if (BODY_METHODS.has(method)) exchange.readBody(options.bodyLimit());
    else exchange.noBody();

    try {
      const out = options.handler(exchange, exchange);
      if (out && typeof (out as Promise<void>).then === "function") {
        (out as Promise<void>).then(undefined, (err: unknown) => failed(exchange, err));
      }
    } catch (err) {
      failed(exchange, err);
    }
  });

  const failed = (ex: Exchange, err: unknown) => {
    report(err);
    if (ex.finished) return;
    if (ex.started) {
      ex.end();
      return;
    }
    ex.send(500, [["content-type", "application/json"]], '{"error":{"message":"internal error","type":"server_error","param":null,"code":"internal_error"}}');
  };

  return {
    engine: httpEngine,
    get inFlight() {
      return live.size;
    },
    listen(host, port) {
      return new Promise<number>((resolve, reject) => {
        app.listen(host, port, (socket) => {
          if (!socket) {
            reject(new Error(`cannot listen on ${host}:${port}`));
            return;
          }
          listenSocket = socket;
          resolve(uWS.us_socket_local_port(socket as unknown as Parameters<UwsModule["us_socket_local_port"]>[0]));
        });
      });
    },
    async close(graceMs) {
      draining = true;
      if (listenSocket) {
        uWS.us_listen_socket_close(listenSocket as Parameters<UwsModule["us_listen_socket_close"]>[0]);
        listenSocket = null;
      }
      for (const ex of live) ex.markClose();
      if (live.size > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, graceMs);
          idleWaiter = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        idleWaiter = null;
      }
      // closes idle keep-alive connections and aborts whatever outlived the grace period
      const closeAll = (app as unknown as { close?: () => void }).close;
      if (NATIVE && typeof closeAll === "function") closeAll.call(app);
    },
  };
}
