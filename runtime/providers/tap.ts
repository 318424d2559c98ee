/**
 * The one stream tap: passes a chat stream through unchanged, measures what
 * its deltas carried, and calls `onEnd` exactly once when it ends, fails or
 * is cancelled. Budget settlement (the deltas' bytes when no usage chunk
 * came) and `log_bodies` capture (the content text) both read it. A stream
 * relayed as its upstream's bytes (`ChatStream.wire`) stays relayed when
 * only bytes are counted: then what is counted is its events' data.
 */
import type { ChatCompletionChunk } from "../request/openai-wire.js";
import type { ChatStream, WireBytes } from "./types.js";

/** What the tap saw. */
export interface Tapped {
  /** UTF-8 bytes of the choices' deltas so far, as JSON (content, tool calls, refusals: whatever they carried). */
  readonly deltaBytes: number;
  /** The `content` deltas so far, when `keepText` was asked for (else ""). */
  readonly text: string;
}

export interface TapOptions {
  /** Keep the text itself (log_bodies); otherwise only its byte count. */
  keepText?: boolean;
  /** Called once when the stream ends, fails or is cancelled. */
  onEnd?: (seen: Tapped) => Promise<void> | void;
}

/** A stream that hands on `inner`'s chunks and reports what they said; `seen` reads it at any time. */
export function tapStream(inner: ChatStream, options: TapOptions): { stream: ChatStream; seen: () => Tapped } {
  const seen = { deltaBytes: 0, text: "" };
  let ended = false;
  const end = async (): Promise<void> => {
    if (ended) return;
    ended = true;
    await options.onEnd?.(seen);
  };
  async function* pass(): AsyncGenerator<ChatCompletionChunk> {
    try {
      for await (const chunk of inner) {
        for (const c of chunk.choices) {
          if (c.delta === undefined) continue;
          seen.deltaBytes += Buffer.byteLength(JSON.stringify(c.delta));
          const content = (c.delta as { content?: unknown }).content;
          if (options.keepText === true && typeof content === "string") seen.text += content;
        }
        yield chunk;
      }
    } finally {
      await end();
    }
  }
  const stream: ChatStream = {
    get firstChunkMs() {
      return inner.firstChunkMs;
    },
    get usage() {
      return inner.usage;
    },
    [Symbol.asyncIterator]: () => pass(),
    async cancel() {
      await inner.cancel();
      await end();
    },
  };
  // Counting bytes needs no chunks: a relayed stream stays relayed, counted by its events' data (at least the deltas' bytes).
  const wire = options.keepText === true ? undefined : inner.wire;
  if (wire === undefined) return { stream, seen: () => seen };
  async function* frames(w: WireBytes): AsyncGenerator<Uint8Array> {
    try {
      yield* w.frames();
    } finally {
      seen.deltaBytes = w.dataBytes;
      await end();
    }
  }
  const relayed: ChatStream = {
    ...stream,
    get firstChunkMs() {
      return inner.firstChunkMs;
    },
    get usage() {
      return inner.usage;
    },
    async cancel() {
      await inner.cancel();
      seen.deltaBytes = wire.dataBytes;
      await end();
    },
    wire: {
      api: wire.api,
      get dataBytes() {
        return wire.dataBytes;
      },
      frames: () => frames(wire),
    },
  };
  return { stream: relayed, seen: () => seen };
}
