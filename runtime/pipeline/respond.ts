/**
 * Writing a pipeline reply to the client: a whole JSON body, or a
 * server-sent event stream pulled from the upstream one chunk at a time.
 * Pulling only when the client's socket has room is the backpressure: a slow
 * reader slows the upstream read instead of growing a buffer. A failure
 * after the first byte cannot become an HTTP error any more, so the stream
 * ends with an `error` event (and no `[DONE]`). A stream whose upstream
 * speaks the caller's API and that no step changes (`ChatStream.wire`) is
 * written as the upstream's own event bytes instead of chunks.
 *
 * The sink is the server's response object, seen through the small
 * interface below so this layer does not depend on the HTTP edge.
 */
import type { ChatStream, Usage, WireBytes } from "../providers/index.js";
import type { StreamEncoder } from "./apis.js";
import { errorEvent, errorInfo, toErrorReply } from "./errors.js";
import type { HeaderList } from "./headers.js";

/** Where a reply is written: the server's response (uws.ts `HttpResponse` satisfies it). */
export interface ResponseSink {
  readonly aborted: boolean;
  send(status: number, headers: ReadonlyArray<readonly [string, string]>, body: string | Uint8Array): void;
  /** Sends the head; `first`, the body's first bytes, goes out with it. */
  start(status: number, headers: ReadonlyArray<readonly [string, string]>, first?: string | Uint8Array): void;
  /** False: wait for {@link writable} before writing more. */
  write(chunk: string | Uint8Array): boolean;
  writable(): Promise<void>;
  end(chunk?: string | Uint8Array): void;
}

/** What the pipeline answers. */
export type Reply =
  /** `body` is text, or bytes passed on as they came (an upstream's reply). */
  | { kind: "json"; status: number; headers: HeaderList; body: string | Uint8Array }
  | {
      kind: "stream";
      headers: HeaderList;
      stream: ChatStream;
      /** The client asked for `stream_options.include_usage`: forward the usage chunk. */
      includeUsage: boolean;
      /** Writes the chunks in another API's event format (absent: OpenAI's `data:` chunks and `[DONE]`). */
      encoder?: StreamEncoder;
    };

/** How writing went, for the access log. */
export interface Written {
  status: number;
  /** The stream ended early because the client left. */
  aborted: boolean;
  /** The upstream failed mid-stream (an error event was sent). */
  streamError?: unknown;
  usage?: Usage;
}

const JSON_TYPE = ["content-type", "application/json"] as const;
const SSE_HEADERS = [
  ["content-type", "text/event-stream"],
  ["cache-control", "no-cache"],
] as const;

/** Writes a reply; resolves when the response is complete (or abandoned because the client left). */
export async function writeReply(sink: ResponseSink, reply: Reply): Promise<Written> {
  if (reply.kind === "json") {
    reply.headers.push(JSON_TYPE);
    sink.send(reply.status, reply.headers, reply.body);
    return { status: reply.status, aborted: sink.aborted };
  }
  return writeStream(sink, reply.headers, reply.stream, reply.includeUsage, reply.encoder);
}

async function writeStream(sink: ResponseSink, headers: HeaderList, stream: ChatStream, includeUsage: boolean, encoder: StreamEncoder | undefined): Promise<Written> {
  if (sink.aborted) {
    await stream.cancel();
    return { status: 200, aborted: true };
  }
  for (const h of SSE_HEADERS) headers.push(h);
  if (stream.wire !== undefined) return writeWire(sink, headers, stream, stream.wire, encoder);
  sink.start(200, headers);
  try {
    for await (const chunk of stream) {
      if (sink.aborted) break; // leaving the loop cancels the upstream
      let text: string;
      if (encoder !== undefined) text = encoder.chunk(chunk);
      else if (!includeUsage && chunk.choices.length === 0 && chunk.usage) continue;
      else text = "data: " + JSON.stringify(chunk) + "\n\n";
      if (text !== "" && !sink.write(text)) {
        await sink.writable();
        if (sink.aborted) break;
      }
    }
  } catch (err) {
    if (sink.aborted) return { status: 200, aborted: true };
    sink.end(encoder !== undefined ? encoder.error(errorInfo(err)) : errorEvent(err));
    const out: Written = { status: toErrorReply(err).status, aborted: false, streamError: err };
    if (stream.usage) out.usage = stream.usage;
    return out;
  }
  if (sink.aborted) return { status: 200, aborted: true };
  sink.end(encoder !== undefined ? encoder.end() : "data: [DONE]\n\n");
  const out: Written = { status: 200, aborted: false };
  if (stream.usage) out.usage = stream.usage;
  return out;
}

/**
 * The upstream's own events, as they came (providers' wire-pass.ts): each
 * upstream read is one write. The stream's end is the upstream's; a
 * failure is written as the same error event as on the chunk path.
 */
async function writeWire(sink: ResponseSink, headers: HeaderList, stream: ChatStream, wire: WireBytes, encoder: StreamEncoder | undefined): Promise<Written> {
  let started = false;
  try {
    for await (const bytes of wire.frames()) {
      if (sink.aborted) break; // leaving the loop cancels the upstream
      if (!started) {
        // The first events were read before the stream was answered: they go out with the head, in one write.
        started = true;
        sink.start(200, headers, bytes);
        continue;
      }
      if (!sink.write(bytes)) {
        await sink.writable();
        if (sink.aborted) break;
      }
    }
  } catch (err) {
    if (!started && !sink.aborted) sink.start(200, headers);
    if (sink.aborted) return { status: 200, aborted: true };
    sink.end(encoder !== undefined ? encoder.error(errorInfo(err)) : errorEvent(err));
    const out: Written = { status: toErrorReply(err).status, aborted: false, streamError: err };
    if (stream.usage) out.usage = stream.usage;
    return out;
  }
  if (sink.aborted) return { status: 200, aborted: true };
  if (!started) sink.start(200, headers);
  sink.end();
  const out: Written = { status: 200, aborted: false };
  if (stream.usage) out.usage = stream.usage;
  return out;
}
