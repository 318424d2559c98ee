/**
 * The uWebSockets.js edge: the only file that uses `uWebSockets.js`
 * (uws-load.ts loads it).
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
 *   reading (the connection is closed, so the rest is never parsed), and
 *   with a deadline: a body still incomplete when it passes gets 408 and the
 *   connection is closed (one timer sweeps every request, none per request);
 *   so does a body arriving slower than uWS tolerates ({@link UWS_BODY_PACE}),
 *   which uWS would otherwise close without an answer;
 * - a request head larger than `maxHeaderBytes` gets 431 and a close, and
 *   one with two Content-Lengths (uWS would take one) 400 and a close;
 * - a HEAD request is answered without the body (uWS would send it).
 *
 * What uWS does before any of this runs (measured on the native binding,
 * see test/reliability/edge*.test.ts): a head it cannot parse gets no
 * answer; uWS closes the connection at once for some (an unknown method, a
 * bad Content-Length or chunk size, a head over 4 KB arriving in pieces) and
 * at its 10 s idle timeout for the rest (garbage, HTTP/1.0, no Host, more
 * than 48 header lines), as it does for a head that trickles in (a body
 * that trickles in gets our 408 first, see {@link UWS_BODY_PACE}). A
 * request pipelined behind one still being answered asynchronously makes
 * uWS close the connection: it supports pipelining only for responses sent
 * before the next request is parsed. That is v20.30 (Node 20); v20.57
 * (Node 22+) answers some of these itself and closes: 505 for garbage and
 * HTTP/1.0, 400 for a Content-Length beside Transfer-Encoding, 431 for a
 * head over `UWS_HTTP_MAX_HEADERS_SIZE` (see uws-load.ts); it parses up to
 * 100 header lines and unknown methods, and its idle timeout is about 30 s.
 *
 * uws-load.ts picks the engine: the native binding where one exists for
 * this Node and platform, a pure Node fallback (node:http) elsewhere; the
 * fallback lacks `tryEnd`, `onWritable`, `forEach` and friends, so the few
 * places that differ branch on {@link httpEngine}. The request/response
 * pair itself lives in exchange.ts; the interfaces in http.ts.
 */
import { EDGE_ERROR_HEADERS, Exchange, type BodyPace, type UwsReq, type UwsRes } from "./exchange.js";
import type { HttpEngineInfo, HttpServer, HttpServerOptions } from "./http.js";
import { loadEngine, type UwsModule } from "./uws-load.js";

export * from "./http.js";

const loaded = loadEngine();
const uWS = loaded.module;

/** The engine in use in this process. */
export const httpEngine: HttpEngineInfo = loaded.info;
const NATIVE = httpEngine.kind === "native";

/** Headers copied out of a request, and their size in characters (names plus values). */
interface CopiedHeaders {
  headers: Record<string, string>;
  size: number;
}

/** Copies the headers out (uWS's request object dies with the callback); repeated ones are joined with ", ". */
function readHeaders(req: UwsReq): CopiedHeaders {
  const headers: Record<string, string> = {};
  let size = 0;
  if (NATIVE) {
    req.forEach((k, v) => {
      size += k.length + v.length;
      const prev = headers[k];
      headers[k] = prev === undefined ? v : `${prev}, ${v}`;
    });
  } else {
    const raw = req.request?.headers ?? {};
    for (const k of Object.keys(raw)) {
      const v = raw[k];
      if (v === undefined) continue;
      const value = Array.isArray(v) ? v.join(", ") : v;
      size += k.length + value.length;
      headers[k] = value;
    }
  }
  return { headers, size };
}

/** Default for {@link HttpServerOptions.bodyTimeoutMs}. */
export const DEFAULT_BODY_TIMEOUT_MS = 30_000;
/** Default for {@link HttpServerOptions.maxHeaderBytes}. */
export const DEFAULT_MAX_HEADER_BYTES = 16 * 1024;

/**
 * The native binding closes a connection, without an answer, when less than
 * 16 KiB of a request body arrived in its idle timeout (10 s, checked every
 * 4 s, so 8–12 s; both fixed in the binding: its slowloris guard). A body
 * that slow gets the 408 from us first: it must keep arriving at 16 KiB per
 * 6 s (caught within a sweep, at most 1 s later), whatever `--body-timeout`
 * allows in total.
 */
export const UWS_BODY_PACE: BodyPace = { bytes: 16 * 1024, ms: 6_000 };

/** An error body in the OpenAI shape, for the answers the edge gives on its own. */
function edgeError(message: string, code: string): string {
  return JSON.stringify({ error: { message, type: "invalid_request_error", param: null, code } });
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
  const bodyTimeoutMs = options.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS;
  const maxHeaderBytes = options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  const timeoutBody = edgeError(`request body did not arrive within ${bodyTimeoutMs} ms`, "request_timeout");
  const paceBody = edgeError(`request body arrived too slowly: less than ${UWS_BODY_PACE.bytes} bytes in ${UWS_BODY_PACE.ms} ms`, "request_timeout");
  const framingBody = edgeError("request framing is ambiguous: more than one content-length, or content-length with transfer-encoding", "invalid_request");
  const headersBody = edgeError(`request headers are larger than ${maxHeaderBytes} bytes`, "request_headers_too_large");

  // One sweep for every request's body deadline: a timer per request would cost more than the check.
  // A late body is caught at most a quarter of the timeout (and at most 1 s) after its deadline.
  let sweep: ReturnType<typeof setInterval> | undefined;
  const sweepBodies = () => {
    const now = Date.now();
    for (const ex of live) {
      if (ex.bodyDeadline !== 0 && now >= ex.bodyDeadline) ex.timeOutBody(bodyTimeoutMs, timeoutBody);
      else if (ex.bodyPaceDeadline !== 0 && now >= ex.bodyPaceDeadline) ex.timeOutBody(UWS_BODY_PACE.ms, paceBody);
    }
  };

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
    const { headers, size } = readHeaders(req);
    const exchange = new Exchange(res, method, path, query, headers, () => onDone(exchange), NATIVE);
    ex = exchange;
    live.add(exchange);
    if (draining) exchange.markClose();
    if (size + path.length + query.length > maxHeaderBytes) {
      // the body (if any) is never read: the connection closes after the answer
      exchange.markClose();
      exchange.noBody();
      exchange.send(431, EDGE_ERROR_HEADERS, headersBody);
      return;
    }
    const length = headers["content-length"];
    if (length !== undefined && (length.includes(",") || headers["transfer-encoding"] !== undefined)) {
      // Two lengths (joined by readHeaders), or a length beside chunked framing: a proxy in front may have
      // framed the body differently from uWS, the opening for request smuggling. Refused, never guessed.
      exchange.markClose();
      exchange.noBody();
      exchange.send(400, EDGE_ERROR_HEADERS, framingBody);
      return;
    }
    if (BODY_METHODS.has(method)) exchange.readBody(options.bodyLimit(), Date.now() + bodyTimeoutMs, NATIVE ? UWS_BODY_PACE : undefined);
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
    ex.send(500, EDGE_ERROR_HEADERS, '{"error":{"message":"internal error","type":"server_error","param":null,"code":"internal_error"}}');
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
          sweep ??= setInterval(sweepBodies, Math.max(5, Math.min(1000, bodyTimeoutMs / 4)));
          sweep.unref();
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
      clearInterval(sweep);
      sweep = undefined;
    },
  };
}
