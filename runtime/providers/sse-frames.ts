/**
 * Cuts an event stream into its events as bytes, for relaying them as they
 * came: each frame is one event's exact bytes (its lines, comments and
 * blank-line terminator), with the event's name and data read out for
 * whoever must look inside. Nothing is decoded: the framing bytes (LF, CR,
 * `:`) are ASCII, so cutting between them never splits a UTF-8 sequence,
 * and a sequence split across TCP chunks is whole again in the frame. The
 * line rules are sse.ts's (CR, LF and CRLF, a CRLF split across chunks, a
 * leading BOM, the same limits). A frame with no data (a comment, a
 * keep-alive, a stray blank line) is kept as it came; an event with data
 * that also holds lines the format ignores (comments, `retry`, unknown
 * fields, lines without a colon) is written with only its `data`, `event`
 * and `id` lines, so the caller reads what the gateway read. Pure.
 */
import { MAX_SSE_LINE, SseLineTooLongError, SseTruncatedError } from "./sse.js";

/** One event as it came. */
export interface SseFrame {
  /** The event's bytes, terminator included. */
  readonly bytes: Buffer;
  /** Its `event:` name ("" when it named none). */
  readonly name: string;
  /** Its data lines joined by LF; undefined when it had none (nothing is dispatched). */
  readonly data: Buffer | undefined;
}

const LF = 10;
const CR = 13;
const COLON = 58;
const SPACE = 32;
const NEWLINE = Buffer.from("\n");

export class SseFrames {
  constructor(private readonly maxLine = MAX_SSE_LINE) {}

  /** Bytes of the current event from earlier chunks. */
  #event: Buffer[] = [];
  #eventLength = 0;
  /** The unfinished line's bytes from earlier chunks. */
  #line: Buffer[] = [];
  #lineLength = 0;
  #skipLf = false;
  #first = true;
  #name = "";
  #data: Buffer[] = [];
  #dataLength = 0;
  /** The current event has a line the format ignores (a comment, `retry`, an unknown field, no colon). */
  #dirty = false;

  /** The frames `chunk` completed, in order. */
  push(chunk: Buffer): SseFrame[] {
    const frames: SseFrame[] = [];
    let pos = 0;
    let eventStart = 0;
    if (this.#skipLf && chunk.length > 0) {
      // The previous chunk ended in CR: an LF right after it is the same line ending.
      if (chunk[0] === LF) pos = 1;
      this.#skipLf = false;
    }
    const n = chunk.length;
    let lf = chunk.indexOf(LF, pos);
    let cr = chunk.indexOf(CR, pos);
    while (pos < n) {
      if (lf !== -1 && lf < pos) lf = chunk.indexOf(LF, pos);
      if (cr !== -1 && cr < pos) cr = chunk.indexOf(CR, pos);
      if (lf === -1 && cr === -1) break;
      const end = cr === -1 || (lf !== -1 && lf < cr) ? lf : cr;
      let next = end + 1;
      if (end === cr) {
        if (next < n) {
          if (chunk[next] === LF) next++;
        } else this.#skipLf = true;
      }
      const blank = this.#line.length === 0 && end === pos;
      if (!blank) this.#lineAt(chunk, pos, end);
      this.#line = [];
      this.#lineLength = 0;
      pos = next;
      if (blank) {
        frames.push(this.#frame(chunk, eventStart, pos));
        eventStart = pos;
      }
    }
    if (pos < n) {
      this.#line.push(chunk.subarray(pos));
      this.#lineLength += n - pos;
      if (this.#lineLength > this.maxLine) throw new SseLineTooLongError(this.maxLine);
    }
    if (eventStart < n) {
      this.#event.push(chunk.subarray(eventStart));
      this.#eventLength += n - eventStart;
      // Comment lines add no data: bound the event's bytes too.
      if (this.#eventLength > 2 * this.maxLine) throw new SseLineTooLongError(this.maxLine, "event");
    }
    return frames;
  }

  /**
   * The stream ended: the bytes left over that make no event (comments,
   * blank lines), or `SseTruncatedError` when an event (or a line) was cut.
   */
  end(): Buffer | undefined {
    const truncated = this.#lineLength > 0 || this.#data.length > 0 || this.#name !== "";
    if (truncated) throw new SseTruncatedError();
    const rest = this.#eventLength > 0 ? Buffer.concat(this.#event, this.#eventLength) : undefined;
    this.#event = [];
    this.#eventLength = 0;
    return rest;
  }

  /** Reads the line `buf[start, end)` (with the earlier pieces of it, if any). */
  #lineAt(buf: Buffer, start: number, end: number): void {
    if (this.#line.length > 0) {
      this.#line.push(buf.subarray(start, end));
      buf = Buffer.concat(this.#line, this.#lineLength + end - start);
      start = 0;
      end = buf.length;
    }
    if (this.#first) {
      this.#first = false;
      if (buf[start] === 0xef && buf[start + 1] === 0xbb && buf[start + 2] === 0xbf) start += 3;
    }
    // The common line first, byte by byte: no search, no slice but the value's.
    if (end - start >= 5 && buf[start] === 0x64 && buf[start + 1] === 0x61 && buf[start + 2] === 0x74 && buf[start + 3] === 0x61 && buf[start + 4] === COLON) {
      this.#dataValue(buf, start + 5, end);
      return;
    }
    if (buf[start] === COLON) {
      this.#dirty = true; // a comment (keep-alive)
      return;
    }
    let colon = buf.indexOf(COLON, start);
    if (colon === -1 || colon > end) colon = end;
    const name = buf.toString("latin1", start, colon);
    if (name === "data") this.#dataValue(buf, Math.min(colon + 1, end), end);
    else if (name === "event") {
      const from = colon < end && buf[colon + 1] === SPACE ? colon + 2 : colon + 1;
      this.#name = from < end ? buf.toString("utf8", from, end) : "";
    } else if (name !== "id") this.#dirty = true;
  }

  #dataValue(buf: Buffer, start: number, end: number): void {
    if (start < end && buf[start] === SPACE) start++;
    const value = buf.subarray(start, end);
    if (this.#data.length > 0) this.#data.push(NEWLINE);
    this.#data.push(value);
    this.#dataLength += value.length;
    if (this.#dataLength > this.maxLine) throw new SseLineTooLongError(this.maxLine, "event");
  }

  #frame(chunk: Buffer, start: number, end: number): SseFrame {
    let bytes = chunk.subarray(start, end);
    if (this.#eventLength > 0) {
      this.#event.push(bytes);
      bytes = Buffer.concat(this.#event, this.#eventLength + end - start);
      this.#event = [];
      this.#eventLength = 0;
    }
    const d = this.#data;
    const data = d.length === 0 ? undefined : d.length === 1 ? d[0]! : Buffer.concat(d);
    // An event with data goes out with only the lines a client reads; a keep-alive, as it came.
    const frame = { bytes: this.#dirty && data !== undefined ? readLines(bytes) : bytes, name: this.#name, data };
    this.#name = "";
    this.#data = [];
    this.#dataLength = 0;
    this.#dirty = false;
    return frame;
  }
}

/** An event's `data`, `event` and `id` lines, each ended by LF, then the blank line. */
function readLines(bytes: Buffer): Buffer {
  const out: Buffer[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    let end = pos;
    while (end < bytes.length && bytes[end] !== LF && bytes[end] !== CR) end++;
    const line = bytes.subarray(pos, end);
    if (isRead(line)) out.push(line, NEWLINE);
    pos = end + (bytes[end] === CR && bytes[end + 1] === LF ? 2 : 1);
  }
  out.push(NEWLINE);
  return Buffer.concat(out);
}

function isRead(line: Buffer): boolean {
  const start = line[0] === 0xef && line[1] === 0xbb && line[2] === 0xbf ? 3 : 0;
  const colon = line.indexOf(COLON, start);
  const name = line.toString("latin1", start, colon === -1 ? line.length : colon);
  return name === "data" || name === "event" || name === "id";
}
