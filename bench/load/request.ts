/**
 * bench/load/request: the one request the in-repo load generators send,
 * through undici's lowest public layer (`Pool.dispatch`), so the generator
 * itself stays cheap, timing the first body byte and the end with
 * `performance.now()` (µs precision). A streamed reply counts as a success
 * only when it ends with `data: [DONE]`.
 */
import type { Dispatcher, Pool } from "undici";

/** What to send, and where: the same for every contender except the URL and the extra headers a peer needs. */
export interface RequestSpec {
  /** Origin, `http://127.0.0.1:PORT`. */
  url: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  /** The reply is a server-sent-event stream. */
  stream: boolean;
}

/** One request's outcome; times in ms from `performance.now()`. */
export interface Outcome {
  ok: boolean;
  status: number;
  /** First body byte received (0 if none). */
  firstByteAt: number;
  endAt: number;
  error?: string;
}

const DONE = Buffer.from("data: [DONE]\n\n");

/** Whether the last two chunks end with `data: [DONE]` (a relay may split an event across chunks). */
function endsWithDone(prev: Buffer | undefined, tail: Buffer | undefined): boolean {
  if (tail === undefined) return false;
  const last = prev === undefined || tail.length >= DONE.length ? tail : Buffer.concat([prev, tail]);
  return last.length >= DONE.length && last.subarray(last.length - DONE.length).equals(DONE);
}

/** A request prepared once (flat header list, body buffer) and sent many times. */
export interface Prepared {
  readonly path: string;
  readonly headers: string[];
  readonly body: Buffer;
  readonly stream: boolean;
}

/** Prepares `spec` for {@link send}. */
export function prepare(spec: RequestSpec): Prepared {
  const headers: string[] = [];
  for (const [k, v] of Object.entries(spec.headers)) headers.push(k, v);
  return { path: spec.path, headers, body: Buffer.from(spec.body), stream: spec.stream };
}

/** Sends one request on `pool`; never rejects (a failure is an outcome). `onFirstByte` is called when the first body byte arrives. */
export function send(pool: Pool, req: Prepared, onFirstByte?: () => void): Promise<Outcome> {
  return new Promise((resolve) => {
    let status = 0;
    let firstByteAt = 0;
    let prev: Buffer | undefined;
    let tail: Buffer | undefined;
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart: () => undefined,
      onResponseStart(_c, statusCode) {
        status = statusCode;
      },
      onResponseData(_c, chunk) {
        if (firstByteAt === 0) {
          firstByteAt = performance.now();
          onFirstByte?.();
        }
        prev = tail;
        tail = chunk;
      },
      onResponseEnd() {
        const endAt = performance.now();
        const complete = !req.stream || endsWithDone(prev, tail);
        const ok = status === 200 && complete;
        resolve({ ok, status, firstByteAt: firstByteAt || endAt, endAt, ...(ok ? {} : { error: status === 200 ? "stream did not end with [DONE]" : `status ${status}` }) });
      },
      onResponseError(_c, err) {
        const endAt = performance.now();
        resolve({ ok: false, status, firstByteAt: firstByteAt || endAt, endAt, error: err.message });
      },
    };
    pool.dispatch({ path: req.path, method: "POST", headers: req.headers, body: req.body }, handler);
  });
}
