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
  // Chunks wait in a list until a whole message is there, then are joined once: a large message costs one copy, not one per chunk.
  let parts: Uint8Array[] = [];
  let size = 0;
  let need = 4;
  for await (const chunk of body) {
    parts.push(chunk);
    size += chunk.byteLength;
    while (size >= need) {
      const pending = parts.length === 1 ? Buffer.from(parts[0]!.buffer, parts[0]!.byteOffset, parts[0]!.byteLength) : Buffer.concat(parts, size);
      parts = [pending];
      const total = pending.readUInt32BE(0);
      if (total < MIN_MESSAGE_BYTES || total > MAX_MESSAGE_BYTES) throw new EventStreamFramingError(`a message claims ${total} bytes`);
      if (size < total) {
        need = total;
        break;
      }
      yield eventOf(decode(pending.subarray(0, total)));
      const rest = pending.subarray(total);
      parts = rest.length > 0 ? [rest] : [];
      size = rest.length;
      need = 4;
    }
  }
  if (size > 0) throw new EventStreamFramingError("the event stream was cut mid-message");
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
