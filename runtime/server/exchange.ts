/**
 * One request/response pair over a uWS response object: the request body
 * read with a limit, abort tracking, and every write corked and guarded so
 * nothing touches the native response after it ended or was aborted. The
 * uWS objects are seen through the structural interfaces below (the subset
 * used here), so only uws-load.ts loads uWebSockets.js.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { STATUS_CODES } from "node:http";
import { BodyTimeoutError, BodyTooLargeError, ClientAbortedError, type HeaderList, type HttpRequest, type HttpResponse } from "./http.js";

/** The part of a uWS `HttpResponse` used here (native and fallback). */
export interface UwsRes {
  onAborted(h: () => void): unknown;
  onData(h: (chunk: ArrayBuffer, isLast: boolean) => void): unknown;
  onWritable(h: (offset: number) => boolean): unknown;
  cork(cb: () => void): unknown;
  writeStatus(s: string): unknown;
  writeHeader(k: string, v: string): unknown;
  write(chunk: string | Uint8Array): boolean;
  end(body?: string | Uint8Array, closeConnection?: boolean): unknown;
  /** Native only; called with no arguments (this binding sends nothing when given a length or a close flag). */
  endWithoutBody(): unknown;
  tryEnd(chunk: string | Uint8Array, total: number): [boolean, boolean];
  getWriteOffset(): number;
  close(): unknown;
  /** Present on the fallback only. */
  response?: ServerResponse;
}
/** The part of a uWS `HttpRequest` used here. */
export interface UwsReq {
  getHeader(k: string): string;
  getUrl(): string;
  getMethod(): string;
  getQuery(): string;
  forEach(cb: (k: string, v: string) => void): void;
  /** Present on the fallback only. */
  request?: IncomingMessage;
}

/** The slowest a body may arrive: the next `bytes` within `ms` (see uws.ts, `UWS_BODY_PACE`). */
export interface BodyPace {
  bytes: number;
  ms: number;
}

/** Headers of the errors the edge answers itself (408, 431, 500). */
export const EDGE_ERROR_HEADERS: HeaderList = [["content-type", "application/json"]];

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

/** One request/response pair; implements both sides of the interface over a uWS response. */
export class Exchange implements HttpRequest, HttpResponse {
  aborted = false;
  finished = false;
  started = false;
  edgeStatus: number | undefined = undefined;
  /** When the body must have arrived (`Date.now()` ms); 0 while no body is awaited. Checked by the server's sweep. */
  bodyDeadline = 0;
  /** When the next {@link BodyPace.bytes} of the body must have arrived (`Date.now()` ms); 0 when not paced. Checked by the sweep. */
  bodyPaceDeadline = 0;
  private abortListeners: (() => void)[] = [];
  private drainWaiters: (() => void)[] = [];
  private bodyPromise: Promise<Buffer> | undefined;
  private bodyResolve: ((b: Buffer) => void) | undefined;
  private bodyReject: ((e: Error) => void) | undefined;
  private bodyResult: Buffer | Error | undefined;
  private closeAfter = false;
  /** The head went out with {@link start}: the body is chunked, and the head can no longer change. */
  private streaming = false;

  constructor(
    private readonly res: UwsRes,
    readonly method: string,
    readonly path: string,
    readonly query: string,
    readonly headers: Record<string, string>,
    private readonly onDone: () => void,
    /** The native binding (tryEnd/onWritable) rather than the node:http fallback. */
    private readonly native: boolean,
  ) {}

  // ---------------------------------------------------------------- request body

  /**
   * Registers onData synchronously in the request callback (uWS drops data
   * that arrives with no handler); the body must be complete by `deadline`
   * and, with `pace`, keep arriving at that pace (see {@link timeOutBody}).
   */
  readBody(limit: number, deadline: number, pace?: BodyPace): void {
    const declared = this.headers["content-length"];
    if (declared !== undefined && Number(declared) > limit) {
      this.bodyResult = new BodyTooLargeError(limit);
      this.closeAfter = true;
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    this.bodyDeadline = deadline;
    let paced = 0;
    if (pace) this.bodyPaceDeadline = Date.now() + pace.ms;
    this.res.onData((chunk, isLast) => {
      if (this.bodyResult !== undefined) return;
      size += chunk.byteLength;
      if (pace && size - paced >= pace.bytes) {
        paced = size;
        this.bodyPaceDeadline = Date.now() + pace.ms;
      }
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
    this.bodyDeadline = 0;
    this.bodyPaceDeadline = 0;
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

  /**
   * The body is late: answers 408 with `body` (an OpenAI-style error) and
   * closes the connection (unless a response already started: then the
   * body no longer matters). To the handler this is a client that went away:
   * `aborted` is set, abort listeners run and the body rejects with
   * {@link BodyTimeoutError}, so the pipeline stops without answering again.
   */
  timeOutBody(timeoutMs: number, body: string): void {
    if (this.bodyResult !== undefined || this.finished || this.started) return;
    const listeners = this.abortListeners;
    this.closeAfter = true;
    this.edgeStatus = 408;
    this.send(408, EDGE_ERROR_HEADERS, body);
    this.aborted = true;
    this.settleBody(new BodyTimeoutError(timeoutMs));
    for (const l of listeners) {
      try {
        l();
      } catch {
        // a listener's failure must not stop the others
      }
    }
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
    if (!this.native) {
      this.writeHead(status, headers);
      res.end(body, close);
      this.complete();
      return;
    }
    res.cork(() => {
      this.writeHead(status, headers);
      if (this.method === "HEAD" && !close) {
        // uWS would send the body after a HEAD response, and the client would read it as the start of the next one
        res.writeHeader("content-length", String(typeof body === "string" ? Buffer.byteLength(body) : body.byteLength));
        res.endWithoutBody();
        this.complete();
        return;
      }
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

  start(status: number, headers: HeaderList, first?: string | Uint8Array): void {
    if (this.finished || this.started) return;
    this.started = true;
    this.streaming = true;
    // a handler that answers without the body no longer waits for it
    this.bodyDeadline = 0;
    this.bodyPaceDeadline = 0;
    const res = this.res;
    const close = this.closeAfter;
    res.cork(() => {
      this.writeHead(status, headers);
      // Already draining: say so in the head, the only place a chunked response can (see `end`).
      if (close) res.writeHeader("connection", "close");
      // uWS's write sends the head (chunked) with the first bytes: one send for both.
      if (this.native && first !== undefined && first.length > 0) res.write(first);
    });
    // The fallback writes uncorked (see `write`).
    if (!this.native && first !== undefined && first.length > 0) res.write(first);
    if (this.native) {
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
    // On Node 22 and later a node:http write that returns false while the response is corked never gets its
    // 'drain' (the fallback's cork() corks the ServerResponse), and the stream would wait forever: no cork there.
    if (!this.native) return this.res.write(chunk);
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

  /**
   * Ends the response. A streamed (chunked) one is always ended without
   * uWS's close flag: uWS writes its `Connection: close` header line even
   * after the head went out, i.e. inside the body after the last chunk,
   * which strict HTTP clients reject (`HPE_STRICT`). Its connection is
   * closed instead by the server once the drain is over (`app.close()`),
   * and a stream that started during the drain said `connection: close`
   * in its head.
   */
  end(chunk?: string | Uint8Array): void {
    if (this.finished) return;
    const close = this.closeAfter && !this.streaming;
    this.res.cork(() => {
      if (chunk !== undefined && chunk.length > 0) this.res.write(chunk);
      this.res.end(undefined, close);
    });
    this.complete();
  }

  /** Ends the connection from our side after the response (at shutdown, and with the edge's own errors). */
  markClose(): void {
    this.closeAfter = true;
  }
}
