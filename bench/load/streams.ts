/**
 * bench/load/streams: opens `count` streamed requests at once, each on its
 * own connection, reports when every one has received its first byte
 * (they are all open then, held by the mock's hold port), and later when
 * all have ended. The memory bench samples the gateway's RSS in between.
 */
import { Pool } from "undici";
import { prepare, send, type RequestSpec } from "./request.js";

export interface StreamsSpec extends RequestSpec {
  count: number;
  /** Give up waiting for every stream to open after this long, ms. */
  openTimeoutMs: number;
}

/** Streams that started (first byte received) and those that failed before. */
export interface StreamsOpen {
  open: number;
  failed: number;
  /** Time from the first send to the last first byte, ms. */
  ms: number;
}

export interface StreamsDone {
  completed: number;
  failed: number;
  errors: string[];
}

/**
 * Opens the streams; `onOpen` is called once all have their first byte (or
 * the timeout passed); the returned promise resolves when all have ended.
 */
export async function holdStreams(spec: StreamsSpec, onOpen: (o: StreamsOpen) => void): Promise<StreamsDone> {
  const req = prepare(spec);
  const pool = new Pool(spec.url, { connections: spec.count, pipelining: 1 });
  let open = 0;
  let failed = 0;
  let completed = 0;
  const errors = new Set<string>();
  let reported = false;
  const start = performance.now();
  const report = (): void => {
    if (reported) return;
    reported = true;
    onOpen({ open, failed, ms: performance.now() - start });
  };
  // A stream counts as open at its first body byte: undici exposes it as the first data chunk.
  const firstBytes = setInterval(() => {
    if (open + failed >= spec.count) report();
  }, 20);
  const timeout = setTimeout(report, spec.openTimeoutMs);
  const all = Array.from({ length: spec.count }, () => {
    let counted = false;
    const countOpen = (): void => {
      if (!counted) open++;
      counted = true;
    };
    return send(pool, req, countOpen).then((o) => {
      if (o.ok) completed++;
      else {
        if (!counted) failed++;
        if (errors.size < 5 && o.error) errors.add(o.error);
      }
    });
  });
  await Promise.all(all);
  clearInterval(firstBytes);
  clearTimeout(timeout);
  report();
  await pool.destroy();
  return { completed, failed: spec.count - completed, errors: [...errors] };
}
