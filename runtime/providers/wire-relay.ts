/**
 * Relaying an upstream's own events to a caller of the same API (an
 * Anthropic stream to a Messages caller, a Responses stream to a Responses
 * caller): a stream translator still turns each event into chunks (what
 * the gateway reads: usage, text), and puts the events themselves on the
 * chunks they became (`WIRE_EVENTS`), so the respond step writes those
 * instead of encoding the chunks. An event that makes no chunk rides on the
 * next one; the last ones, on a chunk with no choices. Every event is on
 * some chunk, in order. Pure.
 */
import type { ChatCompletionChunk } from "../request/openai-wire.js";
import type { SseEvent } from "./sse.js";
import { WIRE_EVENTS } from "./types.js";

export class WireRelay {
  #pending = "";

  /**
   * Notes `event` and puts every event noted so far on the first of
   * `chunks` (the chunks `event` made); when it made none and the stream is
   * `done`, on `empty()`, added to `chunks`.
   */
  carry(event: SseEvent, chunks: ChatCompletionChunk[], done: boolean, empty: () => ChatCompletionChunk): void {
    // `message` is the type of an event that names none: written back without a name, as it came.
    this.#pending += `${event.event === "message" ? "" : `event: ${event.event}\n`}data: ${event.data}\n\n`;
    if (chunks.length === 0 && done) chunks.push(empty());
    const first = chunks[0];
    if (first === undefined) return;
    (first as ChatCompletionChunk & { [WIRE_EVENTS]?: string })[WIRE_EVENTS] = this.#pending;
    this.#pending = "";
  }
}
