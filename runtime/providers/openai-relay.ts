/**
 * An OpenAI-compatible stream, relayed as bytes. Its events already are
 * what a chat caller gets, so when nothing needs them as chunks they go
 * out as they came: cut into whole events (sse-frames.ts), read by their
 * keys only (no JSON.parse, no JSON.stringify per event), pushed to the
 * writer as the upstream's data arrives, the connection paused while the
 * writer is full. What the gateway needs is read on the way: usage from the
 * event whose `usage` is an object (the only one parsed), a finish reason
 * (a stream without `[DONE]` is whole if one came), an `error` event (ends
 * the stream with the upstream's error, as the parsing path does).
 *
 * The stream opens as every stream does: once the first chunk has arrived
 * and parsed as a chunk, so a failure before it can still fall back. Any
 * other start (no chunk, an error event, a first event that is not a plain
 * `data:` line) takes the parsing path from the first byte, and so does a
 * stream a wrapper iterates (an output guardrail, `log_bodies`, another
 * inbound API's encoder): `openai.ts`'s translator over the same events.
 */
import type { ChatCompletionChunk } from "../request/openai-wire.js";
import type { AttemptDeadline } from "./deadline.js";
import { UpstreamProtocolError, UpstreamStatusError, type ErrorOrigin } from "./errors.js";
import { transportError } from "./http.js";
import type { BodyReader, DispatchBody } from "./http-stream.js";
import { excerpt, redact } from "./redact.js";
import { SseTruncatedError, type SseEvent } from "./sse.js";
import { eventOf, SseFramer, simpleData, valueAt } from "./sse-frames.js";
import { usageFromWire, type ChatStream, type EventRelay, type EventSink, type Usage } from "./types.js";

/** What http-attempt.ts gives a relay once the reply is a 2xx event stream. */
export interface RelayStart {
  body: DispatchBody;
  origin: ErrorOrigin;
  secrets: readonly string[];
  deadline: AttemptDeadline;
  startedAt: number;
  now: () => number;
  /** The parsing path over these events: the adapter's translator, with the attempt's timeouts and cleanup. */
  parse(events: AsyncIterable<SseEvent>): AsyncGenerator<ChatCompletionChunk, void, undefined>;
  /** The parsing path, opened as every stream opens (the first chunk awaited). */
  open(events: AsyncIterable<SseEvent>): Promise<ChatStream>;
  usage(): Usage | undefined;
  onUsage(usage: Usage): void;
}

/** Opens a stream whose events are OpenAI chunks: relayable as bytes when it starts as one. */
export type OpenRelay = (start: RelayStart) => Promise<ChatStream>;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** An error object sent inside a stream (vLLM, OpenAI) becomes a status error. */
function streamedError(error: unknown, origin: ErrorOrigin, secrets: readonly string[]): UpstreamStatusError {
  const e = isObject(error) ? error : {};
  const code = typeof e.code === "number" && e.code >= 400 && e.code < 600 ? e.code : 500;
  const detail: { message?: string; upstreamType?: string } = {};
  if (typeof e.message === "string") detail.message = excerpt(redact(e.message, secrets));
  if (typeof e.type === "string") detail.upstreamType = e.type;
  return new UpstreamStatusError(origin, code, detail);
}

/** One event's data as a chunk; a typed error for what is not one (not JSON, an error object, no `choices`). */
export function parseOpenAIChunk(data: string, origin: ErrorOrigin, secrets: readonly string[]): ChatCompletionChunk {
  let chunk: unknown;
  try {
    chunk = JSON.parse(data);
  } catch {
    throw new UpstreamProtocolError(origin, "a stream event is not JSON");
  }
  if (isObject(chunk) && chunk.error !== undefined) throw streamedError(chunk.error, origin, secrets);
  if (!isObject(chunk) || !Array.isArray(chunk.choices)) throw new UpstreamProtocolError(origin, "a stream event has no `choices`");
  return chunk as ChatCompletionChunk;
}

const DONE = Buffer.from("[DONE]");
const KEY_ERROR = Buffer.from('"error"');
const KEY_CHOICES = Buffer.from('"choices"');
const KEY_USAGE = Buffer.from('"usage"');
const KEY_FINISH = Buffer.from('"finish_reason"');

/** The event a block holds, as the parsing path reads it. */
function toEvent(block: Buffer): SseEvent | undefined {
  const data = simpleData(block);
  return data !== undefined ? { event: "message", data: data.toString("utf8") } : eventOf(block).event;
}

/** The events of `backlog`, then of the rest of the body; throws `SseTruncatedError` if it stops mid-event. */
async function* events(backlog: readonly Buffer[], framer: SseFramer, body: DispatchBody): AsyncGenerator<SseEvent, void, undefined> {
  for (const block of backlog) {
    const e = toEvent(block);
    if (e !== undefined) yield e;
  }
  for await (const chunk of body) {
    for (const block of framer.push(chunk)) {
      const e = toEvent(block);
      if (e !== undefined) yield e;
    }
  }
  if (truncated(framer)) throw new SseTruncatedError();
}

function truncated(framer: SseFramer): boolean {
  const { rest } = framer.end();
  return rest !== undefined && eventOf(rest).truncated;
}

/** Whether `block` is a first chunk the relay can start from: `undefined` for a comment (keep reading). */
function startsRelay(block: Buffer): boolean | undefined {
  const data = simpleData(block);
  if (data === undefined) return eventOf(block).event === undefined ? undefined : false;
  if (data.equals(DONE)) return false;
  try {
    const chunk: unknown = JSON.parse(data.toString("utf8"));
    return isObject(chunk) && chunk.error === undefined && Array.isArray(chunk.choices);
  } catch {
    return false;
  }
}

export const openaiRelay: OpenRelay = async (s) => {
  const framer = new SseFramer();
  const backlog: Buffer[] = [];
  let start: boolean | undefined;
  try {
    read: for await (const chunk of s.body) {
      for (const block of framer.push(chunk)) {
        backlog.push(block);
        if (start === undefined) start = startsRelay(block);
      }
      if (start !== undefined) break read;
    }
  } catch (err) {
    // A transport failure or an event past the size limit before the first chunk: as the parsing path fails.
    const e = transportError(err, s.origin, s.deadline, "reading the stream");
    s.deadline.dispose();
    s.body.destroy();
    throw e;
  }
  if (start !== true) return s.open(events(backlog, framer, s.body));
  s.deadline.stopTimer();
  return new RelayStream(s, framer, backlog, s.now() - s.startedAt);
};

class RelayStream implements ChatStream {
  #used = false;
  #iterated: AsyncGenerator<ChatCompletionChunk, void, undefined> | undefined;
  /** Set once the relay or the iteration has finished (either way). */
  #over = false;
  readonly bytes: EventRelay;

  constructor(
    private readonly s: RelayStart,
    private readonly framer: SseFramer,
    private backlog: Buffer[],
    readonly firstChunkMs: number,
  ) {
    this.bytes = { pipe: (sink) => this.#pipe(sink) };
  }

  get usage(): Usage | undefined {
    return this.s.usage();
  }

  [Symbol.asyncIterator](): AsyncGenerator<ChatCompletionChunk, void, undefined> {
    this.#use();
    return (this.#iterated = this.s.parse(events(this.backlog, this.framer, this.s.body)));
  }

  async cancel(): Promise<void> {
    if (this.#over) return;
    this.#over = true;
    // The deadline first: a relay waiting on the upstream hears the abort and settles.
    this.s.deadline.cancel();
    this.s.body.destroy();
    await this.#iterated?.return(undefined).catch(() => undefined);
  }

  #use(): void {
    if (this.#used) throw new Error("a chat stream can be read only once");
    this.#used = true;
  }

  #pipe(sink: EventSink): Promise<void> {
    this.#use();
    const { s, framer } = this;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      let paused = false;
      let ended = false;
      let attached = false;
      let sawDone = false;
      let sawFinish = false;

      const finish = (err?: unknown): void => {
        if (settled) return;
        settled = true;
        this.#over = true;
        const e = err === undefined ? undefined : transportError(err, s.origin, s.deadline, "reading the stream");
        s.deadline.dispose();
        s.body.destroy();
        if (e === undefined) resolve();
        else reject(e);
      };

      /** Hands one block on; true when it was a data event. */
      const handle = (block: Buffer): boolean => {
        if (sawDone) return false; // read on to the end, so the connection is reused
        let payload = simpleData(block);
        let bytes = block;
        if (payload === undefined) {
          const event = eventOf(block).event;
          if (event === undefined) return false; // a comment (keep-alive) is not relayed, as the parsing path drops it
          // Written again as one line, as the parsing path writes every chunk.
          const chunk = parseOpenAIChunk(event.data, s.origin, s.secrets);
          const line = JSON.stringify(chunk);
          payload = Buffer.from(line);
          bytes = Buffer.from(`data: ${line}\n\n`);
        }
        if (payload.equals(DONE)) {
          sawDone = true;
          return true;
        }
        sink.event(bytes, payload, this.#inspect(payload, () => (sawFinish = true)));
        return true;
      };

      const waitForRoom = (): void => {
        paused = true;
        // A slow client's time is not the upstream's silence.
        s.deadline.stopTimer();
        void sink.drained().then(() => {
          paused = false;
          if (settled) return;
          if (ended) return done();
          s.deadline.restartTimer();
          if (attached) s.body.resume();
          else attach();
        });
      };

      const done = (): void => {
        if (truncated(framer)) return finish(new SseTruncatedError());
        // Some compatible servers omit [DONE]; a finish reason is proof enough of a whole reply.
        if (!sawDone && !sawFinish) return finish(new UpstreamProtocolError(s.origin, "the event stream ended before [DONE]"));
        finish();
      };

      const reader: BodyReader = {
        data: (chunk) => {
          if (settled) return false;
          let data = false;
          try {
            for (const block of framer.push(chunk)) if (handle(block)) data = true;
          } catch (err) {
            sink.flush(); // what came before the bad event still goes out
            finish(err);
            return false;
          }
          // The timeout bounds each wait for data; keep-alive comments do not reset it.
          if (data) s.deadline.restartTimer();
          if (sink.flush()) return true;
          waitForRoom();
          return false;
        },
        end: () => {
          ended = true;
          if (!paused) done();
        },
        error: (err) => finish(err),
      };

      const attach = (): void => {
        attached = true;
        s.body.push(reader);
      };

      s.deadline.restartTimer();
      const backlog = this.backlog;
      this.backlog = [];
      try {
        for (const block of backlog) handle(block);
      } catch (err) {
        sink.flush();
        finish(err);
        return;
      }
      if (sink.flush()) attach();
      else waitForRoom();
    });
  }

  /** Reads what the gateway needs from one chunk's payload by its keys; returns whether it is the usage-only event. */
  #inspect(payload: Buffer, finished: () => void): boolean {
    const { s } = this;
    // The rare events are parsed whole: one with an `error` key, one without `choices`, the usage event.
    if (payload[0] !== 123 || valueAt(payload, KEY_ERROR) !== -1 || valueAt(payload, KEY_CHOICES) === -1) {
      parseOpenAIChunk(payload.toString("utf8"), s.origin, s.secrets);
    }
    for (let at = valueAt(payload, KEY_FINISH); at !== -1; at = valueAt(payload, KEY_FINISH, at)) {
      if (payload[at] !== 110) {
        finished(); // not `null`
        break;
      }
    }
    const u = valueAt(payload, KEY_USAGE);
    if (u === -1 || payload[u] !== 123) return false;
    const chunk = parseOpenAIChunk(payload.toString("utf8"), s.origin, s.secrets);
    const usage = usageFromWire(chunk.usage);
    if (usage) s.onUsage(usage);
    return chunk.choices.length === 0;
  }
}
