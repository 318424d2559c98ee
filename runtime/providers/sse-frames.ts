/**
 * Server-sent events as bytes: cuts a stream into whole events without
 * decoding them (sse.ts parses them into text), so an event can be relayed
 * as it came. A line ends in LF, CR or CRLF, and an event at the first
 * blank line, wherever the chunks split them (inside a UTF-8 sequence,
 * between a CR and its LF): the events come out the same. Pure.
 *
 * The inspection helpers read an event's JSON payload by its keys, without
 * parsing it. In valid JSON an unescaped `"usage"` is a whole string token
 * (a quote inside a string is escaped), and it is a key exactly when a `:`
 * follows; so finding `"usage":` finds the key, never text that mentions it.
 */
import { MAX_SSE_LINE, SseLineTooLongError, SseParser, type SseEvent } from "./sse.js";

const LF = 10;
const CR = 13;

/** Incremental framer: `push` chunks, then `end`. */
export class SseFramer {
  /** The unfinished event, as the pieces it arrived in. */
  #parts: Buffer[] = [];
  #size = 0;
  /** The line being read already has bytes (from earlier chunks). */
  #lineHas = false;
  /** The last chunk ended in a CR: an LF first in the next is the same line ending. */
  #skipLf = false;

  /** @param max longest event in bytes before `push` throws `SseLineTooLongError` */
  constructor(private readonly max = MAX_SSE_LINE) {}

  /** The events `chunk` completed, each with its blank line, in order. */
  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let i = 0;
    let from = 0;
    if (this.#skipLf && chunk.length > 0) {
      this.#skipLf = false;
      if (chunk[0] === LF) {
        i = 1;
        // An event that just ended owns it; dropping it changes no event.
        if (this.#size === 0) from = 1;
      }
    }
    let lineFrom = i;
    let lineHas = this.#lineHas;
    let lf = chunk.indexOf(LF, i);
    let cr = chunk.indexOf(CR, i);
    for (;;) {
      if (lf !== -1 && lf < i) lf = chunk.indexOf(LF, i);
      if (cr !== -1 && cr < i) cr = chunk.indexOf(CR, i);
      if (lf === -1 && cr === -1) break;
      const p = cr === -1 || (lf !== -1 && lf < cr) ? lf : cr;
      let end = p + 1;
      if (p === cr) {
        if (end < chunk.length) {
          if (chunk[end] === LF) end++;
        } else this.#skipLf = true;
      }
      const blank = !lineHas && p === lineFrom;
      i = lineFrom = end;
      lineHas = false;
      if (blank) {
        out.push(this.#take(chunk, from, end));
        from = end;
      }
    }
    this.#lineHas = lineHas || lineFrom < chunk.length;
    if (from < chunk.length) {
      const rest = chunk.subarray(from);
      this.#parts.push(rest);
      this.#size += rest.length;
      if (this.#size > this.max) throw new SseLineTooLongError(this.max, "event");
    }
    return out;
  }

  /** Ends the stream: `rest`, the bytes of an event without its blank line (the upstream stopped mid-event, or sent a last comment). */
  end(): { rest: Buffer | undefined } {
    const rest = this.#size === 0 ? undefined : Buffer.concat(this.#parts, this.#size);
    this.#parts = [];
    this.#size = 0;
    return { rest };
  }

  #take(chunk: Buffer, from: number, end: number): Buffer {
    if (this.#size === 0) return chunk.subarray(from, end);
    this.#parts.push(chunk.subarray(from, end));
    const whole = Buffer.concat(this.#parts, this.#size + end - from);
    this.#parts = [];
    this.#size = 0;
    return whole;
  }
}

const DATA = Buffer.from("data:");

/**
 * The data of an event that is one `data:` line and its blank line, as
 * OpenAI-compatible servers write them; `undefined` for any other shape
 * (several lines, other fields, a comment), which {@link eventOf} reads the
 * long way.
 */
export function simpleData(block: Buffer): Buffer | undefined {
  if (block.length < 7 || DATA.compare(block, 0, 5) !== 0) return undefined;
  const start = block[5] === 32 ? 6 : 5;
  const lf = block.indexOf(LF, start);
  if (lf === -1) return undefined;
  const lineEnd = block[lf - 1] === CR ? lf - 1 : lf;
  const cr = block.indexOf(CR, start);
  if (cr !== -1 && cr < lineEnd) return undefined;
  // Only the blank line may follow: `\n` after an LF line, `\r\n` after a CRLF one.
  const tail = block.length - lf - 1;
  if (lineEnd === lf ? tail !== 1 || block[lf + 1] !== LF : tail !== 2 || block[lf + 1] !== CR || block[lf + 2] !== LF) return undefined;
  return block.subarray(start, lineEnd);
}

/** The event a block holds, parsed as sse.ts does (none for a comment or an event without data); `truncated`: no blank line ended it. */
export function eventOf(block: Buffer): { event: SseEvent | undefined; truncated: boolean } {
  const parser = new SseParser();
  const events = parser.push(block);
  const end = parser.end();
  return { event: events[0] ?? end.events[0], truncated: end.truncated };
}

/** The position of the first byte of `key`'s value (`key` with its quotes), searching from `from`; -1 if the key is not there. */
export function valueAt(payload: Buffer, key: Buffer, from = 0): number {
  for (let at = payload.indexOf(key, from); at !== -1; at = payload.indexOf(key, at + key.length)) {
    let i = skipSpace(payload, at + key.length);
    if (payload[i] !== 58) continue; // not followed by `:`: a string value, not the key
    i = skipSpace(payload, i + 1);
    if (i < payload.length) return i;
  }
  return -1;
}

function skipSpace(b: Buffer, i: number): number {
  while (i < b.length && (b[i] === 32 || b[i] === 9 || b[i] === 10 || b[i] === 13)) i++;
  return i;
}

/** The end (exclusive) of the JSON object or array that starts at `start`; -1 if it does not end in `b`. */
export function valueEnd(b: Buffer, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < b.length; i++) {
    const c = b[i];
    if (inString) {
      if (c === 92) i++; // `\`: the next byte is escaped
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) depth++;
    else if (c === 125 || c === 93) {
      if (--depth === 0) return i + 1;
    }
  }
  return -1;
}

const DELTA = Buffer.from('"delta"');

/**
 * The bytes of every choice's `delta` object in a chunk's payload, as the
 * upstream wrote them: what a stream without a usage report is charged as
 * output tokens (budget/hold.ts). The parsing path measures each delta as
 * `JSON.stringify` writes it; an upstream that adds spaces or escapes
 * non-ASCII text counts a few bytes more here, never fewer.
 */
export function deltaBytes(payload: Buffer): number {
  let n = 0;
  for (let at = valueAt(payload, DELTA); at !== -1; ) {
    if (payload[at] !== 123) break;
    const end = valueEnd(payload, at);
    if (end === -1) break;
    n += end - at;
    at = valueAt(payload, DELTA, end);
  }
  return n;
}
