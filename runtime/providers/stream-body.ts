/**
 * The body of a streamed 2xx reply as undici's `dispatch` hands it over:
 * chunks queue here until the reader pulls them. No Node stream, no
 * promise per chunk while chunks are already queued. Past
 * {@link HIGH_WATER} queued bytes the upstream connection is paused until
 * the reader has taken them, so a slow caller slows the upstream instead of
 * growing a buffer (what a Readable's backpressure did before).
 */

/** What the body needs of the request it belongs to (undici's `DispatchController`). */
export interface BodyController {
  pause(): void;
  resume(): void;
  abort(reason: Error): void;
}

/** Bytes queued before the upstream is paused. */
const HIGH_WATER = 64 * 1024;

export class StreamBody implements AsyncIterableIterator<Buffer> {
  #queue: Buffer[] = [];
  #head = 0;
  #queued = 0;
  #ended = false;
  #error: Error | undefined;
  #paused = false;
  #waiting: { resolve: (r: IteratorResult<Buffer>) => void; reject: (e: Error) => void } | undefined;
  /** Discarding: bytes still allowed before the connection is dropped instead of drained. */
  #discard = -1;

  constructor(private readonly controller: BodyController) {}

  /** Whether the body ended or failed (no more chunks will come). */
  get closed(): boolean {
    return this.#ended || this.#error !== undefined;
  }

  /** A chunk from the upstream. */
  push(chunk: Buffer): void {
    if (this.closed) return;
    if (this.#discard >= 0) {
      this.#discard -= chunk.byteLength;
      if (this.#discard < 0) this.destroy();
      return;
    }
    const w = this.#waiting;
    if (w !== undefined) {
      this.#waiting = undefined;
      w.resolve({ value: chunk, done: false });
      return;
    }
    this.#queue.push(chunk);
    this.#queued += chunk.byteLength;
    if (this.#queued > HIGH_WATER && !this.#paused) {
      this.#paused = true;
      this.controller.pause();
    }
  }

  /** The upstream finished the body. */
  end(): void {
    if (this.closed) return;
    this.#ended = true;
    const w = this.#waiting;
    this.#waiting = undefined;
    w?.resolve({ value: undefined, done: true });
  }

  /** The body failed (transport error, abort); the reader gets `err` once the queue is read. */
  fail(err: Error): void {
    if (this.closed) return;
    this.#error = err;
    const w = this.#waiting;
    this.#waiting = undefined;
    if (w !== undefined) {
      this.#queue = [];
      w.reject(err);
    }
  }

  next(): Promise<IteratorResult<Buffer>> {
    if (this.#head < this.#queue.length) {
      const chunk = this.#queue[this.#head]!;
      this.#queue[this.#head++] = EMPTY;
      this.#queued -= chunk.byteLength;
      if (this.#head === this.#queue.length) {
        this.#queue = [];
        this.#head = 0;
      }
      if (this.#paused && this.#queued <= HIGH_WATER / 2) {
        this.#paused = false;
        this.controller.resume();
      }
      return Promise.resolve({ value: chunk, done: false });
    }
    if (this.#error !== undefined) return Promise.reject(this.#error);
    if (this.#ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => (this.#waiting = { resolve, reject }));
  }

  /** The chunks already queued, taken at once (undefined when none): a reader that fell behind catches up in one step. */
  takeQueued(): Buffer[] | undefined {
    if (this.#head >= this.#queue.length) return undefined;
    const out = this.#head === 0 ? this.#queue : this.#queue.slice(this.#head);
    this.#queue = [];
    this.#head = 0;
    this.#queued = 0;
    if (this.#paused) {
      this.#paused = false;
      this.controller.resume();
    }
    return out;
  }

  /** Leaving a `for await` early frees the connection. */
  return(): Promise<IteratorResult<Buffer>> {
    this.destroy();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Stops reading: the request is aborted (a no-op once the body ended). */
  destroy(): void {
    this.#queue = [];
    this.#queued = 0;
    if (this.closed) return;
    const err = new Error("the stream body was destroyed");
    this.fail(err);
    this.controller.abort(err);
  }

  /** Reads and drops up to `limit` more bytes so the connection can be reused; a longer body is dropped with its connection. */
  discard(limit: number): void {
    const queued = this.#queued;
    this.#queue = [];
    this.#queued = 0;
    if (this.closed) return;
    this.#discard = limit - queued;
    if (this.#discard < 0) this.destroy();
    else if (this.#paused) {
      this.#paused = false;
      this.controller.resume();
    }
  }
}

const EMPTY = Buffer.alloc(0);
