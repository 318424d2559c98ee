/**
 * A server-sent-events parser (the WHATWG event-stream format) for upstream
 * streaming bodies. Bytes may be split anywhere — inside a UTF-8 sequence,
 * inside a field name, between the CR and LF of a line ending — and the
 * events come out the same. Pure: no I/O; `parseSse` pulls from whatever
 * async iterable it is given, one chunk at a time, so a slow reader slows
 * the upstream instead of growing a buffer.
 */

/** One dispatched event: `event` is `"message"` when the stream named none. */
export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

/** The longest line (and event data) accepted by default; a stream that never ends a line or an event must not grow memory without bound. */
export const MAX_SSE_LINE = 16 * 1024 * 1024;

/** Incremental parser: feed chunks with `push`, then call `end`. */
export class SseParser {
  /** @param maxLine longest line, and longest data of one event (in characters), before `push` throws `SseLineTooLongError` */
  constructor(private readonly maxLine = MAX_SSE_LINE) {}

  private readonly decoder = new TextDecoder("utf-8");
  /**
   * The unfinished line, as the pieces it arrived in: joined only once a
   * line end comes, so a long line costs time in proportion to its length
   * (appending to one string and searching it again on every chunk would
   * cost its length squared).
   */
  private pending: string[] = [];
  private pendingLength = 0;
  private skipLeadingLf = false;
  private started = false;
  private event = "";
  private data: string[] = [];
  /** Characters of `data` so far: an event that never ends is bounded like a line that never ends. */
  private dataLength = 0;
  private id: string | undefined;

  /** Parses one chunk; returns the events it completed, in order. */
  push(chunk: Uint8Array | string): SseEvent[] {
    let text = typeof chunk === "string" ? chunk : this.decoder.decode(chunk, { stream: true });
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.skipLeadingLf && text.length > 0) {
      // The previous chunk ended in CR; an LF right after it is the same line ending.
      if (text.charCodeAt(0) === 10) text = text.slice(1);
      this.skipLeadingLf = false;
    }
    if (text.indexOf("\n") === -1 && text.indexOf("\r") === -1) {
      if (text.length > 0) this.keep(text);
      return [];
    }
    const buf = this.pendingLength > 0 ? this.pending.join("") + text : text;
    this.pending = [];
    this.pendingLength = 0;
    return this.drainLines(buf);
  }

  /**
   * Ends the stream. An event without its closing blank line is discarded,
   * as the format requires; `truncated` says whether there was one (or a
   * partial line), which means the upstream stopped mid-event.
   */
  end(): { events: SseEvent[]; truncated: boolean } {
    const tail = this.decoder.decode();
    const events = tail ? this.push(tail) : [];
    const truncated = this.pendingLength > 0 || this.data.length > 0 || this.event !== "";
    this.pending = [];
    this.pendingLength = 0;
    this.resetEvent();
    return { events, truncated };
  }

  /** Holds a piece of the unfinished line, within the limit. */
  private keep(piece: string): void {
    this.pending.push(piece);
    this.pendingLength += piece.length;
    if (this.pendingLength > this.maxLine) throw new SseLineTooLongError(this.maxLine);
  }

  private drainLines(buf: string): SseEvent[] {
    const events: SseEvent[] = [];
    let start = 0;
    // Each search resumes where the last match was used, so a chunk is scanned once for each terminator.
    let lf = buf.indexOf("\n");
    let cr = buf.indexOf("\r");
    for (;;) {
      if (lf !== -1 && lf < start) lf = buf.indexOf("\n", start);
      if (cr !== -1 && cr < start) cr = buf.indexOf("\r", start);
      if (lf === -1 && cr === -1) break;
      const end = cr === -1 || (lf !== -1 && lf < cr) ? lf : cr;
      const line = buf.slice(start, end);
      if (end === cr) {
        if (end + 1 < buf.length) start = buf.charCodeAt(end + 1) === 10 ? end + 2 : end + 1;
        else {
          start = end + 1;
          this.skipLeadingLf = true;
        }
      } else start = end + 1;
      const event = this.line(line);
      if (event) events.push(event);
    }
    if (start < buf.length) this.keep(start === 0 ? buf : buf.slice(start));
    return events;
  }

  private line(line: string): SseEvent | undefined {
    if (line === "") return this.dispatch();
    if (line.charCodeAt(0) === 58) return undefined; // ":" starts a comment (keep-alive)
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === "data") {
      this.data.push(value);
      this.dataLength += value.length;
      if (this.dataLength > this.maxLine) throw new SseLineTooLongError(this.maxLine, "event");
    }
    else if (field === "event") this.event = value;
    else if (field === "id" && !value.includes("\0")) this.id = value;
    // `retry` and unknown fields are ignored: reconnection is not ours to do.
    return undefined;
  }

  private dispatch(): SseEvent | undefined {
    if (this.data.length === 0) {
      this.event = "";
      return undefined;
    }
    const event: SseEvent = { event: this.event || "message", data: this.data.join("\n") };
    if (this.id !== undefined) event.id = this.id;
    this.resetEvent();
    return event;
  }

  private resetEvent(): void {
    this.event = "";
    this.data = [];
    this.dataLength = 0;
  }
}

/** Thrown by `parseSse` when the stream ends in the middle of an event. */
export class SseTruncatedError extends Error {
  constructor() {
    super("event stream ended in the middle of an event");
    this.name = "SseTruncatedError";
  }
}

/** Thrown by `SseParser.push` when a line, or the data of one event, grows past the parser's limit. */
export class SseLineTooLongError extends Error {
  constructor(limit: number, what: "line" | "event" = "line") {
    super(`event stream ${what} longer than ${limit} characters`);
    this.name = "SseLineTooLongError";
  }
}

/**
 * Yields the events of an event stream as its chunks arrive. Throws
 * `SseTruncatedError` if the stream ends mid-event; errors of `source`
 * propagate unchanged. Leaving the loop early returns `source`'s iterator,
 * which lets the upstream body be destroyed.
 */
export async function* parseSse(source: AsyncIterable<Uint8Array | string>): AsyncGenerator<SseEvent, void, undefined> {
  const parser = new SseParser();
  for await (const chunk of source) {
    const events = parser.push(chunk);
    for (const event of events) yield event;
  }
  const { events, truncated } = parser.end();
  for (const event of events) yield event;
  if (truncated) throw new SseTruncatedError();
}
