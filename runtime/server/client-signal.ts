/**
 * The client's side of cancellation for one request, as the pipeline and
 * the providers see it (`AbortSignalLike`), over the response's own abort
 * notification. Not an AbortController: creating one costs more than the
 * rest of a proxied request's bookkeeping, and nearly every request ends
 * without its client going away.
 */
import type { AbortSignalLike } from "../providers/index.js";
import { ClientAbortedError, type HttpResponse } from "./http.js";

/** Aborts when the client of `res` disconnects before the response ended. */
export class ClientSignal implements AbortSignalLike {
  readonly #res: HttpResponse;
  #listeners: (() => void)[] | undefined;
  #reason: ClientAbortedError | undefined;

  constructor(res: HttpResponse) {
    this.#res = res;
  }

  get aborted(): boolean {
    return this.#res.aborted;
  }

  get reason(): unknown {
    if (!this.#res.aborted) return undefined;
    return (this.#reason ??= new ClientAbortedError());
  }

  /** As on an AbortSignal: called once on abort; a listener added after the abort is never called. */
  addEventListener(_type: "abort", listener: () => void): void {
    if (this.#res.aborted) return;
    if (this.#listeners === undefined) {
      this.#listeners = [];
      this.#res.onAbort(() => this.#fire());
    }
    this.#listeners.push(listener);
  }

  removeEventListener(_type: "abort", listener: () => void): void {
    const listeners = this.#listeners;
    if (listeners === undefined) return;
    const i = listeners.indexOf(listener);
    if (i >= 0) listeners.splice(i, 1);
  }

  #fire(): void {
    const listeners = this.#listeners ?? [];
    this.#listeners = [];
    for (const l of listeners) {
      try {
        l();
      } catch {
        // one listener's failure must not keep the others from running
      }
    }
  }
}
