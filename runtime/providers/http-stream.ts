/**
 * A streamed upstream reply read through undici's `dispatch`, as the JSON
 * path reads its replies (http.ts): no Readable, no AbortSignal, no promise
 * per chunk unless a reader waits. The body is held to one chunk: past it
 * the connection is paused until the reader takes it, so a slow reader
 * slows the upstream instead of growing a buffer. A reader either pulls
 * (`for await`, the parsing path) or has the chunks pushed to it as they
 * arrive (`push`, the byte relay of openai-relay.ts) and pauses the
 * connection by returning false.
 */
import type { Dispatcher } from "undici";
import { dispatchOptions, ERROR_BODY_LIMIT, statusError, transportError, type Pools, type PostOptions } from "./http.js";
import { redactedPrefix } from "./redact.js";

/** A 2xx streamed reply, its body unread. */
export interface StreamReply {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: DispatchBody;
}

/** What a push reader is told: a chunk (false: pause until `resume`), the end, or the failure. */
export interface BodyReader {
  data(chunk: Buffer): boolean;
  end(): void;
  error(err: Error): void;
}

/**
 * Sends a streaming request; resolves with a 2xx reply whose body is
 * unread. A non-2xx status rejects with `UpstreamStatusError` (body read up
 * to a limit, scrubbed); transport failures reject with their typed error.
 */
export function postStream(pools: Pools, opts: PostOptions): Promise<StreamReply> {
  return new Promise((resolve, reject) => {
    const handler = new StreamHandler(opts, resolve, reject);
    if (handler.opened) return; // the attempt ended before it started
    pools.get(opts.endpoint.origin).dispatch(dispatchOptions(opts), handler);
  });
}

/** The body of a streamed reply: iterate it once, or hand it one push reader; `destroy` drops the connection. */
export class DispatchBody implements AsyncIterable<Buffer> {
  #controller: Dispatcher.DispatchController | undefined;
  /** At most one chunk waits for a pull reader (the connection is paused meanwhile). */
  #held: Buffer | undefined;
  #ended = false;
  #error: Error | undefined;
  #waiter: (() => void) | undefined;
  #reader: BodyReader | undefined;
  #destroyed = false;

  /** @internal the handler's side */
  attach(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
  }

  /** @internal */
  onData(chunk: Buffer): void {
    if (this.#destroyed) return;
    if (this.#reader !== undefined) {
      if (!this.#reader.data(chunk)) this.#controller?.pause();
      return;
    }
    this.#held = this.#held === undefined ? chunk : Buffer.concat([this.#held, chunk]);
    this.#controller?.pause();
    this.#wake();
  }

  /** @internal */
  onEnd(): void {
    this.#ended = true;
    if (!this.#destroyed) this.#reader?.end();
    this.#wake();
  }

  /** @internal */
  onError(err: Error): void {
    if (this.#ended || this.#error !== undefined || this.#destroyed) return;
    this.#error = err;
    this.#reader?.error(err);
    this.#wake();
  }

  /**
   * Hands the rest of the body to `reader`, starting with a chunk held for a
   * pull reader if there is one: a stream opened by pulling its first event
   * is relayed from there on. The reader may hear `end` while it has asked
   * for a pause: it ends once it has written what it holds.
   */
  push(reader: BodyReader): void {
    this.#reader = reader;
    const held = this.#held;
    this.#held = undefined;
    const more = held === undefined || reader.data(held);
    if (this.#error !== undefined) reader.error(this.#error);
    else if (this.#ended) reader.end();
    else if (more) this.#controller?.resume();
  }

  /** A push reader that returned false is ready for more. */
  resume(): void {
    if (!this.#ended && this.#error === undefined && !this.#destroyed) this.#controller?.resume();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer, void, undefined> {
    for (;;) {
      if (this.#held !== undefined) {
        const chunk = this.#held;
        this.#held = undefined;
        if (!this.#ended) this.#controller?.resume();
        yield chunk;
        continue;
      }
      if (this.#error !== undefined) throw this.#error;
      if (this.#ended) return;
      await new Promise<void>((resolve) => (this.#waiter = resolve));
    }
  }

  /** Drops the connection (a no-op once the body ended). */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#held = undefined;
    if (!this.#ended && this.#error === undefined) this.#controller?.abort(new Error("the stream's reader left"));
  }

  #wake(): void {
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.();
  }
}

/** Opens one streamed reply; settles the open promise exactly once. */
class StreamHandler implements Dispatcher.DispatchHandler {
  opened = false;
  #status = 0;
  #headers: Record<string, string | string[] | undefined> = {};
  #errorChunks: Buffer[] = [];
  #errorSize = 0;
  #controller: Dispatcher.DispatchController | undefined;
  readonly #body = new DispatchBody();

  constructor(
    private readonly opts: PostOptions,
    private readonly resolve: (reply: StreamReply) => void,
    private readonly reject: (err: Error) => void,
  ) {
    opts.deadline.onAbort((reason) => {
      // Before the head: the open fails; after it: the body's reader hears it.
      this.#fail(reason);
      this.#controller?.abort(reason);
    });
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    if (this.opened) {
      controller.abort(new Error("the attempt already ended"));
      return;
    }
    this.#controller = controller;
    this.#body.attach(controller);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    if (statusCode < 200 || this.opened) return; // informational
    this.#status = statusCode;
    this.#headers = headers;
    if (statusCode < 300) {
      this.opened = true;
      this.resolve({ statusCode, headers, body: this.#body });
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#status >= 200 && this.#status < 300) return this.#body.onData(chunk);
    if (this.opened) return;
    this.#errorChunks.push(chunk);
    this.#errorSize += chunk.byteLength;
    if (this.#errorSize >= ERROR_BODY_LIMIT) {
      // Enough of an error body: answer with it and drop the connection rather than read the rest.
      this.#statusFailure(true);
      controller.abort(new Error("error body limit reached"));
    }
  }

  onResponseEnd(): void {
    if (this.#status >= 200 && this.#status < 300) return this.#body.onEnd();
    this.#statusFailure(false);
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    if (this.#status >= 200 && this.#status < 300) return this.#body.onError(err);
    this.#fail(err);
  }

  #statusFailure(cut: boolean): void {
    if (this.opened) return;
    const { opts } = this;
    const read = Buffer.concat(this.#errorChunks, this.#errorSize).toString("utf8");
    const text = redactedPrefix(read, ERROR_BODY_LIMIT, opts.secrets, cut);
    this.#settle(statusError(opts.origin, this.#status, this.#headers, text, opts.secrets, opts.now()));
  }

  #fail(err: unknown): void {
    if (this.opened) return;
    this.#settle(transportError(err, this.opts.origin, this.opts.deadline, "waiting for the reply"));
  }

  #settle(err: Error): void {
    if (this.opened) return;
    this.opened = true;
    this.#errorChunks = [];
    this.reject(err);
  }
}
