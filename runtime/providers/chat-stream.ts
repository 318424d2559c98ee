/**
 * Turns an adapter's chunk generator into a `ChatStream`: waits for the
 * first chunk (so a failure before it rejects and the caller can still fall
 * back), then hands the chunks on one at a time as the consumer pulls them.
 * Shared by every adapter so they all behave the same at the edges.
 */

import type { ChatCompletionChunk } from "../request/openai-wire.js";
import type { ChatStream, Usage, WireBytes } from "./types.js";

export interface OpenStreamOptions {
  /** The chunk source; throws typed errors, cleans up in its `finally`. */
  chunks: AsyncGenerator<ChatCompletionChunk, void, undefined>;
  startedAt: number;
  now: () => number;
  /** Called when the first chunk arrived (stops the first-chunk timeout). */
  onFirstChunk: () => void;
  /** Aborts the upstream, so a pending read ends and the source can clean up. */
  abort: () => void;
  /** The usage reported so far. */
  usage: () => Usage | undefined;
  /** The error for a stream that ended before its first chunk. */
  emptyError: () => Error;
}

/** Resolves once the first chunk has arrived; rejects with the source's typed error before that. */
export async function openChatStream(opts: OpenStreamOptions): Promise<ChatStream> {
  let first: IteratorResult<ChatCompletionChunk, void>;
  try {
    first = await opts.chunks.next();
  } catch (err) {
    opts.abort();
    throw err;
  }
  if (first.done) {
    opts.abort();
    throw opts.emptyError();
  }
  opts.onFirstChunk();
  return new PulledStream(first.value, opts, opts.now() - opts.startedAt);
}

class PulledStream implements ChatStream {
  private iterated = false;
  private finished = false;

  constructor(
    private readonly first: ChatCompletionChunk,
    private readonly opts: OpenStreamOptions,
    readonly firstChunkMs: number,
  ) {}

  get usage(): Usage | undefined {
    return this.opts.usage();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<ChatCompletionChunk, void, undefined> {
    if (this.iterated) throw new Error("a chat stream can be iterated only once");
    this.iterated = true;
    try {
      yield this.first;
      for (;;) {
        const next = await this.opts.chunks.next();
        if (next.done) break;
        yield next.value;
      }
      this.finished = true;
    } finally {
      // The consumer left early (or the source threw): release the upstream.
      if (!this.finished) await this.cancel();
    }
  }

  async cancel(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    this.opts.abort();
    await this.opts.chunks.return(undefined).catch(() => undefined);
  }
}

/** What {@link relayable} needs of the relay: the bytes, the usage they reported, and a way to stop. */
export interface RelaySource extends WireBytes {
  readonly usage: Usage | undefined;
  /** Aborts the upstream request. */
  cancel(): void;
}

/**
 * `stream`, readable also as its upstream's bytes (`wire`): the first way
 * the consumer reads is the way the stream is read. Read as bytes, the
 * chunk stream is let go (its translator's state is not kept for the
 * life of a long stream).
 */
export function relayable(stream: ChatStream, pass: RelaySource): ChatStream {
  let mode: "chunks" | "bytes" | undefined;
  let chunks: ChatStream | undefined = stream;
  const firstChunkMs = stream.firstChunkMs;
  const wire: WireBytes = {
    api: pass.api,
    get dataBytes() {
      return pass.dataBytes;
    },
    frames() {
      if (mode === "chunks") throw new Error("this stream is already read as chunks");
      mode = "bytes";
      chunks = undefined;
      return pass.frames();
    },
  };
  return {
    firstChunkMs,
    get usage() {
      return chunks === undefined ? pass.usage : chunks.usage;
    },
    [Symbol.asyncIterator]() {
      if (chunks === undefined) throw new Error("this stream is already read as bytes");
      mode = "chunks";
      return chunks[Symbol.asyncIterator]();
    },
    async cancel() {
      if (chunks !== undefined) await chunks.cancel();
      else pass.cancel();
    },
    wire,
  };
}
