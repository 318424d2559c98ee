/**
 * bench/sse-frames: reading the mock's chat stream frame by frame on the
 * client side, for the stream cells of issue 20: splitting received bytes
 * into server-sent events whatever the chunking a relay chose, naming each
 * event by its place in the mock's stream, checking that a stream received
 * every frame once and in order, and the gap statistics between frames.
 * Pure: the load generator (bench/load/frames.ts) feeds it bytes and times.
 *
 * The mock's chat stream (bench/mock-upstream.ts) is 52 events: frame 0
 * carries the role, frames 1–49 the tokens ` token1` … ` token49`, frame 50
 * the usage (empty `choices`), frame 51 `data: [DONE]`. A relay may re-encode
 * the JSON, so a frame is named by what it carries, not by its bytes.
 */
import { StringDecoder } from "node:string_decoder";
import { STREAM_CHUNKS } from "./mock-wires.js";
import { percentiles, type Percentiles } from "./stats.js";

/** The frame number of the usage event and of `[DONE]`; the stream's length is {@link FRAMES}. */
export const USAGE_FRAME = STREAM_CHUNKS;
export const DONE_FRAME = STREAM_CHUNKS + 1;
export const FRAMES = STREAM_CHUNKS + 2;

/** The first frame that carries text (frame 0 carries only the role). */
export const FIRST_TOKEN_FRAME = 1;

/**
 * Splits a byte stream into SSE events (separated by a blank line, `\n\n`
 * or `\r\n\r\n`), keeping a partial event (or character) until its end
 * arrives. Each complete event is returned once, without its separator.
 */
export class SseSplitter {
  private rest = "";
  // A relay may cut a multi-byte character between chunks: decode across them.
  private readonly decoder = new StringDecoder("utf8");

  /** Adds `chunk`; returns the events it completed, in order. */
  push(chunk: Buffer | string): string[] {
    const text = this.rest + (typeof chunk === "string" ? chunk : this.decoder.write(chunk));
    const out: string[] = [];
    let from = 0;
    for (;;) {
      const lf = text.indexOf("\n\n", from);
      const crlf = text.indexOf("\r\n\r\n", from);
      if (lf < 0 && crlf < 0) break;
      const useCrlf = crlf >= 0 && (lf < 0 || crlf < lf);
      const end = useCrlf ? crlf : lf;
      const event = text.slice(from, end);
      if (event.trim() !== "") out.push(event);
      from = end + (useCrlf ? 4 : 2);
    }
    this.rest = text.slice(from);
    return out;
  }

  /** Bytes of an event begun and not yet ended (a stream that stopped mid-event). */
  pending(): number {
    return this.rest.length;
  }
}

const TOKEN = /token(\d+)/;

/**
 * Which of the mock's frames `event` is, or undefined for an event that is
 * none of them (a comment, a keep-alive, something a relay added): those
 * are not frames and are neither counted nor missed.
 */
export function frameOf(event: string): number | undefined {
  const data = event
    .split(/\r?\n/)
    .filter((l) => l.startsWith("data:"))
    .map((l) => l.slice(5).trimStart())
    .join("\n");
  if (data === "") return undefined;
  if (data === "[DONE]") return DONE_FRAME;
  const token = TOKEN.exec(data);
  if (token) {
    const n = Number(token[1]);
    return n >= FIRST_TOKEN_FRAME && n < STREAM_CHUNKS ? n : undefined;
  }
  if (/"usage"\s*:\s*\{/.test(data) && /"choices"\s*:\s*\[\s*\]/.test(data)) return USAGE_FRAME;
  if (/"role"\s*:\s*"assistant"/.test(data)) return 0;
  return undefined;
}

/** What one stream received, against the frames it should have. */
export interface FrameCheck {
  /** Every required frame once, in order, `[DONE]` last. */
  ok: boolean;
  received: number;
  /** Required frames never received. */
  missing: number;
  /** Frames received more than once. */
  duplicated: number;
  /** Frames received after a later one. */
  outOfOrder: number;
}

/**
 * Checks the frame numbers one stream received, in arrival order. Every
 * frame from 0 to `[DONE]` is required except the usage frame when
 * `usageOptional` (a gateway may keep usage for itself when the caller did
 * not ask for it, which drops no content).
 */
export function checkFrames(seen: readonly number[], usageOptional = true): FrameCheck {
  const count = new Uint16Array(FRAMES);
  let outOfOrder = 0;
  let last = -1;
  for (const f of seen) {
    if (f < 0 || f >= FRAMES) continue;
    count[f]!++;
    if (f < last) outOfOrder++;
    last = Math.max(last, f);
  }
  let missing = 0;
  let duplicated = 0;
  for (let f = 0; f < FRAMES; f++) {
    const n = count[f]!;
    if (n === 0 && !(usageOptional && f === USAGE_FRAME)) missing++;
    if (n > 1) duplicated += n - 1;
  }
  const endsDone = seen.length > 0 && seen[seen.length - 1] === DONE_FRAME;
  return { ok: missing === 0 && duplicated === 0 && outOfOrder === 0 && endsDone, received: seen.length, missing, duplicated, outOfOrder };
}

/**
 * The gaps between consecutive token frames from `from` on, ms: `times[f]`
 * is when frame `f` arrived (NaN if it did not). The gaps are taken where
 * the mock paces its writes (bench/mock-upstream.ts: from frame 2), so the
 * direct path's gaps are the mock's own.
 */
export function frameGaps(times: ArrayLike<number>, from = FIRST_TOKEN_FRAME + 1, to = STREAM_CHUNKS - 1): number[] {
  const out: number[] = [];
  for (let f = Math.max(1, from); f <= to && f < times.length; f++) {
    const a = times[f - 1]!;
    const b = times[f]!;
    if (Number.isFinite(a) && Number.isFinite(b)) out.push(b - a);
  }
  return out;
}

/** Gap percentiles of a run, and the share of gaps under a tenth of the pace (frames a relay delivered together). */
export interface GapStats {
  gapMs: Percentiles;
  /** Share of gaps shorter than a tenth of the pace: frames held back and released together. */
  bunched: number;
}

/** Statistics of `gaps` (ms) for a stream paced at `paceMs`. */
export function gapStats(gaps: readonly number[], paceMs: number): GapStats {
  const bunched = gaps.length === 0 ? NaN : gaps.filter((g) => g < paceMs / 10).length / gaps.length;
  return { gapMs: percentiles(gaps), bunched };
}
