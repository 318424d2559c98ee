/**
 * The abort signal of one upstream attempt: fires when the caller's signal
 * aborts (client gone, overall deadline), when the per-attempt timeout
 * passes, or when the consumer cancels a stream. Remembers which one fired,
 * so the failure can be reported as the right typed error.
 */

/** The longest delay `setTimeout` honours (about 24.8 days). */
export const MAX_TIMER_MS = 2_147_483_647;

export type AbortCause = "caller" | "timeout" | "cancel";

export class AttemptDeadline {
  private readonly controller = new AbortController();
  private readonly caller: AbortSignal | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private firedBy: AbortCause | undefined;
  private readonly onCallerAbort = (): void => this.fire("caller");

  constructor(caller: AbortSignal | undefined, readonly timeoutMs: number) {
    this.caller = caller;
    if (caller?.aborted) {
      this.fire("caller");
      return;
    }
    caller?.addEventListener("abort", this.onCallerAbort, { once: true });
    // setTimeout fires at once for delays past 2^31-1 ms; clamp instead.
    this.timer = setTimeout(() => this.fire("timeout"), Math.min(timeoutMs, MAX_TIMER_MS));
    // A forgotten attempt must not keep the process alive.
    this.timer.unref?.();
  }

  /** The signal to hand to the transport. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** What aborted the attempt, if anything has. */
  get cause(): AbortCause | undefined {
    return this.firedBy;
  }

  /** Stops the timeout (the first chunk arrived) but keeps following the caller. */
  stopTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Aborts because the consumer no longer wants the reply. */
  cancel(): void {
    this.fire("cancel");
  }

  /** Releases the timer and the listener on the caller's signal; call once the attempt is over. */
  dispose(): void {
    this.stopTimer();
    this.caller?.removeEventListener("abort", this.onCallerAbort);
  }

  private fire(cause: AbortCause): void {
    if (this.firedBy !== undefined) return;
    this.firedBy = cause;
    this.dispose();
    this.controller.abort(new AttemptAbort(cause));
  }
}

/** The abort reason of an attempt's signal; mapped to a typed error by the adapter. */
export class AttemptAbort extends Error {
  constructor(readonly abortCause: AbortCause) {
    super(`attempt aborted (${abortCause})`);
    this.name = "AttemptAbort";
  }
}
