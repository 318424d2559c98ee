/**
 * AWS's binary event stream (`application/vnd.amazon.eventstream`), the
 * framing of ConverseStream: each message is a prelude (total length,
 * headers length, CRC32), typed headers, a payload and a CRC32 of the whole.
 * `@smithy/core`'s `EventStreamCodec` decodes one message and checks both
 * CRCs; this file only cuts the body into messages, refusing a length
 * beyond AWS's limit before allocating it, and reads the headers that say
 * what a message is (`:message-type` event / exception / error).
 */

import { EventStreamCodec, type Message } from "@smithy/core/event-streams";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import type { BedrockStreamEvent } from "./bedrock-wire.js";

export const EVENT_STREAM_TYPE = "application/vnd.amazon.eventstream";

/** AWS caps an event-stream message at 16 MiB of payload; the prelude and headers add a little. */
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024 + 128 * 1024;
/** Prelude (12 bytes) and message CRC (4 bytes). */
const MIN_MESSAGE_BYTES = 16;

/** The body broke the framing: a bad length, a bad CRC, a message cut short, a payload that is not JSON. */
export class EventStreamFramingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EventStreamFramingError";
  }
}

const codec = new EventStreamCodec(toUtf8, fromUtf8);

/** The body's messages, decoded; a transport error from `body` passes through unchanged. */
export async function* parseEventStream(body: AsyncIterable<Uint8Array>): AsyncGenerator<BedrockStreamEvent, void, undefined> {
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of body) {
    pending = pending.length === 0 ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength) : Buffer.concat([pending, chunk]);
    while (pending.length >= 4) {
      const total = pending.readUInt32BE(0);
      if (total < MIN_MESSAGE_BYTES || total > MAX_MESSAGE_BYTES) throw new EventStreamFramingError(`a message claims ${total} bytes`);
      if (pending.length < total) break;
      const frame = pending.subarray(0, total);
      pending = pending.subarray(total);
      yield eventOf(decode(frame));
    }
  }
  if (pending.length > 0) throw new EventStreamFramingError("the event stream was cut mid-message");
}

function decode(frame: Uint8Array): Message {
  try {
    return codec.decode(frame);
  } catch (err) {
    // Checksum and header-format failures: the codec's message says which.
    throw new EventStreamFramingError(err instanceof Error ? err.message : String(err));
  }
}

function header(m: Message, name: string): string | undefined {
  const h = m.headers[name];
  return h?.type === "string" ? h.value : undefined;
}

function eventOf(m: Message): BedrockStreamEvent {
  const kind = header(m, ":message-type");
  const text = toUtf8(m.body);
  if (kind === "error") {
    return { kind: "exception", type: header(m, ":error-code") ?? "error", message: header(m, ":error-message") ?? "" };
  }
  let payload: unknown;
  try {
    payload = text === "" ? {} : JSON.parse(text);
  } catch {
    throw new EventStreamFramingError(`the payload of a \`${header(m, ":event-type") ?? header(m, ":exception-type") ?? "?"}\` message is not JSON`);
  }
  const obj = typeof payload === "object" && payload !== null && !Array.isArray(payload) ? (payload as Record<string, unknown>) : {};
  if (kind === "exception") {
    const message = typeof obj["message"] === "string" ? obj["message"] : typeof obj["Message"] === "string" ? obj["Message"] : "";
    return { kind: "exception", type: header(m, ":exception-type") ?? "exception", message };
  }
  if (kind !== "event") throw new EventStreamFramingError(`a message of type \`${kind ?? "none"}\``);
  const type = header(m, ":event-type");
  if (type === undefined) throw new EventStreamFramingError("an event without `:event-type`");
  return { kind: "event", type, payload: obj };
}
