/**
 * Relaying an upstream's event stream to a caller of the same API as the
 * bytes it came in, for the streams no step needs to change
 * (`ChatStream.wire`): the body is cut into events (sse-frames.ts), each
 * API's rules (wire-rules.ts) look only at the events that carry what the
 * gateway needs — the usage, the end, an error — and every upstream read
 * goes out as one batch of whole events, byte for byte. No chunk objects,
 * no JSON written, one promise per read.
 *
 * The deadline is the same as on the chunk path (http-attempt.ts): it
 * bounds each wait for an event with data, so keep-alives cannot hold a
 * stalled stream open, and it is stopped while the caller is being written
 * to.
 */
import type { AttemptDeadline } from "./deadline.js";
import { UpstreamProtocolError, type ErrorOrigin } from "./errors.js";
import { transportError } from "./http.js";
import { SseFrames, type SseFrame } from "./sse-frames.js";
import type { StreamBody } from "./stream-body.js";
import type { InboundApi } from "../request/model.js";
import { excerpt } from "./redact.js";
import { usageFromWire, type Usage, type WireBytes } from "./types.js";

/** What a relay does with one event. */
export const Verdict = {
  /** Relayed; the upstream made progress. */
  Relay: 0,
  /** Relayed, but a keep-alive (a ping): the silence timeout keeps running. */
  Keep: 1,
  /** Not relayed (read for the gateway only). */
  Drop: 2,
} as const;
export type Verdict = (typeof Verdict)[keyof typeof Verdict];

/** What one API's relay reads of its events. */
export interface WireRules {
  readonly api: InboundApi;
  /** Reads an event with data; throws the upstream's error event, or a malformed event, as a typed error. */
  event(name: string, data: Buffer): Verdict;
  /** The upstream's last event came: anything after it is read and dropped. */
  readonly done: boolean;
  /** The body ended: throws when the stream stopped too early; returns what to append (OpenAI's `[DONE]` when the upstream sent none). */
  end(): string;
  readonly usage: Usage | undefined;
}

/** Where a relay reads from (after the bytes already read, given apart). */
export interface WireSource {
  readonly body: StreamBody;
  readonly deadline: AttemptDeadline;
  readonly origin: ErrorOrigin;
}

/** The stream's bytes for `rules`' API; `frames()` may be called once. */
export class WirePass implements WireBytes {
  dataBytes = 0;
  #iterated = false;
  readonly #frames = new SseFrames();
  /** The last batch held an event with data: the next wait for one starts the timeout again. */
  #live = true;
  /** What was read before the relay started; let go once relayed. */
  #head: readonly Buffer[];

  /** @param head bytes already read from the body (while the first chunk was awaited): relayed first */
  constructor(
    private readonly rules: WireRules,
    private readonly src: WireSource,
    head: readonly Buffer[],
  ) {
    this.#head = head;
  }

  get api(): InboundApi {
    return this.rules.api;
  }

  get usage(): Usage | undefined {
    return this.rules.usage;
  }

  frames(): AsyncIterable<Uint8Array> {
    if (this.#iterated) throw new Error("a stream's bytes can be read only once");
    this.#iterated = true;
    return this.#relay();
  }

  /** Aborts the upstream request; a relay waiting for it ends with the typed abort error. */
  cancel(): void {
    this.src.deadline.cancel();
    this.src.body.destroy();
  }

  async *#relay(): AsyncGenerator<Uint8Array, void, undefined> {
    const { body, deadline } = this.src;
    const head = this.#head;
    this.#head = [];
    try {
      if (head.length > 0) {
        const out = this.#batch(head);
        if (out.bytes !== undefined) yield out.bytes;
        if (out.error !== undefined) throw out.error;
      }
      for (;;) {
        if (this.#live) deadline.restartTimer();
        const next = await body.next();
        if (next.done === true) break;
        // Reads that queued while the caller was being written to go out together: one write for all of them.
        const queued = body.takeQueued();
        const out = this.#batch(queued === undefined ? [next.value] : [next.value, ...queued]);
        // The caller's time to take a batch is not the upstream's (as on the chunk path).
        if (this.#live) deadline.stopTimer();
        if (out.bytes !== undefined) yield out.bytes;
        if (out.error !== undefined) throw out.error;
      }
      deadline.stopTimer();
      const rest = this.#frames.end();
      const tail = this.rules.end();
      const last = rest !== undefined && !this.rules.done ? (tail === "" ? rest : Buffer.concat([rest, Buffer.from(tail)])) : tail === "" ? undefined : Buffer.from(tail);
      if (last !== undefined) yield last;
    } catch (err) {
      throw transportError(err, this.src.origin, deadline, "reading the stream");
    } finally {
      deadline.dispose();
      // A no-op after a clean end; otherwise frees the connection at once.
      body.destroy();
    }
  }

  /** The events `chunks` completed, as one buffer; a failure comes after the events before it. */
  #batch(chunks: readonly Buffer[]): { bytes: Buffer | undefined; error: unknown } {
    const rules = this.rules;
    const parts: Buffer[] = [];
    let run: Buffer | undefined;
    let runLength = 0;
    let error: unknown;
    let live = false;
    let frames: SseFrame[];
    try {
      frames = chunks.length === 1 ? this.#frames.push(chunks[0]!) : chunks.flatMap((c) => this.#frames.push(c));
    } catch (err) {
      // Too long a line: what the earlier reads completed is lost with the stream (it ends with the error).
      return { bytes: undefined, error: err };
    }
    for (const f of frames) {
      if (rules.done) continue; // read to the end so the connection is reused, relay nothing more
      let verdict: Verdict = Verdict.Keep;
      if (f.data !== undefined) {
        try {
          verdict = rules.event(f.name, f.data);
        } catch (err) {
          error = err;
          break;
        }
      }
      if (verdict === Verdict.Drop) continue;
      if (verdict === Verdict.Relay) {
        live = true;
        this.dataBytes += f.data!.length;
      }
      // Consecutive events of one read are one slice of it: joined without a copy.
      const b = f.bytes;
      if (run !== undefined && run.buffer === b.buffer && run.byteOffset + runLength === b.byteOffset) {
        runLength += b.length;
        continue;
      }
      if (run !== undefined) parts.push(runLength === run.length ? run : Buffer.from(run.buffer, run.byteOffset, runLength));
      run = b;
      runLength = b.length;
    }
    if (run !== undefined) parts.push(runLength === run.length ? run : Buffer.from(run.buffer, run.byteOffset, runLength));
    this.#live = live;
    const bytes = parts.length === 0 ? undefined : parts.length === 1 ? parts[0] : Buffer.concat(parts);
    return { bytes, error };
  }
}

const OPEN = 123;
const CLOSE = 125;

/** A stream translator the relay reads usage and the end from (Anthropic's, Responses'). */
interface Translator {
  readonly done: boolean;
  readonly usage: unknown;
}

/**
 * Rules for an API whose events are JSON objects with a `type` and whose
 * usage and end a translator reads (Anthropic Messages, OpenAI Responses):
 * the subclass says which events are relayed unread and hands the rest to
 * the translator; done, usage and a stream cut short come from it.
 */
export abstract class TranslatedRules<T extends Translator> implements WireRules {
  abstract readonly api: InboundApi;

  constructor(
    protected readonly translator: T,
    protected readonly origin: ErrorOrigin,
    /** The event a whole stream ends with, for the error when it never came. */
    private readonly lastEvent: string,
  ) {}

  get done(): boolean {
    return this.translator.done;
  }

  get usage(): Usage | undefined {
    return usageFromWire(this.translator.usage);
  }

  abstract event(name: string, data: Buffer): Verdict;

  end(): string {
    if (!this.translator.done) throw new UpstreamProtocolError(this.origin, `the event stream ended before ${this.lastEvent}`);
    return "";
  }

  /** Throws the upstream's protocol error unless `data` looks like one JSON object (every event, read or relayed unread). */
  protected object(name: string, data: Buffer): void {
    if (!looksLikeObject(data)) throw this.notJson(name);
  }

  /** An event's data that must be read: a JSON object with a string `type`, else the upstream's protocol error. */
  protected typed(name: string, data: Buffer): { type: string } & Record<string, unknown> {
    this.object(name, data);
    let event: unknown;
    try {
      event = JSON.parse(data.toString("utf8"));
    } catch {
      throw this.notJson(name);
    }
    if (typeof event !== "object" || event === null || typeof (event as { type?: unknown }).type !== "string") throw new UpstreamProtocolError(this.origin, "a stream event has no `type`");
    return event as { type: string } & Record<string, unknown>;
  }

  private notJson(name: string): UpstreamProtocolError {
    return new UpstreamProtocolError(this.origin, `the \`${excerpt(name || "message", 40)}\` event is not JSON`);
  }
}

/** Whether `data` looks like one JSON object (`{` … `}`, whitespace around): the check an event that is relayed unread gets. */
export function looksLikeObject(data: Buffer): boolean {
  let i = 0;
  let j = data.length - 1;
  while (i <= j && isSpace(data[i]!)) i++;
  while (j >= i && isSpace(data[j]!)) j--;
  return i < j && data[i] === OPEN && data[j] === CLOSE;
}

/**
 * Whether `data` may hold the member `key` with a value other than `null`:
 * `"key"` then a colon, whatever the spacing. Never false when the member
 * is there (a JSON object's keys are written as themselves, quotes
 * unescaped, unless an upstream escapes plain letters); may be true when it
 * is not (a string value that is `"key"`): the caller then parses.
 */
export function mayHave(data: Buffer, quotedKey: Buffer): boolean {
  let at = data.indexOf(quotedKey);
  while (at !== -1) {
    let i = at + quotedKey.length;
    while (i < data.length && isSpace(data[i]!)) i++;
    if (data[i] === 58) {
      i++;
      while (i < data.length && isSpace(data[i]!)) i++;
      if (data[i] !== 110) return true; // not `null`
    }
    at = data.indexOf(quotedKey, at + 1);
  }
  return false;
}

/** {@link mayHave} over a latin1 view of the data (`quotedKey` with its quotes). */
export function mayHaveIn(text: string, quotedKey: string): boolean {
  let at = text.indexOf(quotedKey);
  while (at !== -1) {
    let i = at + quotedKey.length;
    while (i < text.length && isSpace(text.charCodeAt(i))) i++;
    if (text.charCodeAt(i) === 58) {
      i++;
      while (i < text.length && isSpace(text.charCodeAt(i))) i++;
      if (text.charCodeAt(i) !== 110) return true; // not `null`
    }
    at = text.indexOf(quotedKey, at + 1);
  }
  return false;
}

/** `"key"` as bytes, for {@link mayHave}. */
export function quoted(key: string): Buffer {
  return Buffer.from(`"${key}"`);
}

function isSpace(b: number): boolean {
  return b === 32 || b === 10 || b === 13 || b === 9;
}
