/**
 * The end of one upstream attempt: it comes when the caller's signal aborts
 * (client gone, overall deadline), when the per-attempt timeout passes (for
 * a stream after its first chunk: when it waits that long for the next
 * one), or when the consumer cancels a stream. Remembers which one came
 * first, so the failure can be reported as the right typed error, and tells
 * the transport to stop.
 *
 * Cheap on purpose, since every proxied request makes one: no timer per
 * attempt (pending attempts sit in the buckets of one shared sweep with a
 * single timer, so a timeout fires up to {@link SWEEP_MS} late and never
 * early), and no AbortController unless a transport asks for a signal
 * (`signal`); the JSON path hands over an abort function instead
 * (`onAbort`).
 */

import type { AbortSignalLike } from "./types.js";

/** The longest delay `setTimeout` honours (about 24.8 days); undici's own timeouts are clamped to it. */
export const MAX_TIMER_MS = 2_147_483_647;

/** The resolution of attempt timeouts: deadlines are rounded up to a multiple of it. */
export const SWEEP_MS = 10;

export type AbortCause = "caller" | "timeout" | "cancel";

/**
 * Pending attempts bucketed by the sweep tick at which they expire, with one
 * native timer armed for the earliest bucket. A request that ends before its
 * timeout (nearly all of them) costs a Set insert and delete; the timer only
 * fires when a bucket falls due, so a busy or idle gateway is not woken up
 * by timeouts that never happen. The timer never keeps the process alive.
 */
class Sweep {
  readonly #buckets = new Map<number, Set<AttemptDeadline>>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** The tick the timer is armed for. */
  #armedFor = Infinity;

  /** Files `deadline` to expire at `dueAt` (a `performance.now()` time); returns its bucket. */
  add(deadline: AttemptDeadline, dueAt: number): number {
    // The first tick at or after dueAt: a timeout may fire late, never early.
    const tick = Math.ceil(dueAt / SWEEP_MS);
    let bucket = this.#buckets.get(tick);
    if (bucket === undefined) {
      bucket = new Set();
      this.#buckets.set(tick, bucket);
      if (tick < this.#armedFor) this.#arm(tick);
    }
    bucket.add(deadline);
    return tick;
  }

  remove(deadline: AttemptDeadline, tick: number): void {
    const bucket = this.#buckets.get(tick);
    if (bucket === undefined) return;
    bucket.delete(deadline);
    // An emptied bucket stays armed for: the timer then finds nothing due and re-arms for the next one.
    if (bucket.size === 0) this.#buckets.delete(tick);
  }

  #arm(tick: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#armedFor = tick;
    this.#timer = setTimeout(this.#sweep, Math.max(0, tick * SWEEP_MS - performance.now()));
    this.#timer.unref();
  }

  readonly #sweep = (): void => {
    this.#timer = undefined;
    this.#armedFor = Infinity;
    const now = Math.floor(performance.now() / SWEEP_MS);
    let next = Infinity;
    for (const [tick, bucket] of this.#buckets) {
      if (tick > now) {
        if (tick < next) next = tick;
        continue;
      }
      this.#buckets.delete(tick);
      for (const deadline of bucket) deadline.expire();
    }
    // Expiring may have filed new attempts (a fallback starting at once); they armed the timer themselves if earlier.
    if (next < this.#armedFor) this.#arm(next);
  };
}

const sweep = new Sweep();

export class AttemptDeadline {
  #firedBy: AbortCause | undefined;
  #reason: AttemptAbort | undefined;
  #caller: AbortSignalLike | undefined;
  /** The sweep bucket while the timeout runs. */
  #tick: number | undefined;
  #transportAbort: ((reason: AttemptAbort) => void) | undefined;
  #disposed = false;
  #controller: AbortController | undefined;
  readonly #onCallerAbort = (): void => this.#fire("caller");

  constructor(
    caller: AbortSignalLike | undefined,
    readonly timeoutMs: number,
  ) {
    if (caller?.aborted) {
      this.#fire("caller");
      return;
    }
    if (caller !== undefined) {
      this.#caller = caller;
      caller.addEventListener("abort", this.#onCallerAbort, { once: true });
    }
    this.#tick = sweep.add(this, performance.now() + timeoutMs);
  }

  /** An AbortSignal for transports that take one; created on first use, already aborted if the attempt ended. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#reason !== undefined) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /** What ended the attempt, if anything has. */
  get cause(): AbortCause | undefined {
    return this.#firedBy;
  }

  /** Registers how to stop the transport; called at once when the attempt already ended. Replaces an earlier one. */
  onAbort(abort: (reason: AttemptAbort) => void): void {
    if (this.#reason !== undefined) abort(this.#reason);
    else this.#transportAbort = abort;
  }

  /** Stops the timeout (the first chunk arrived) but keeps following the caller. */
  stopTimer(): void {
    if (this.#tick === undefined) return;
    sweep.remove(this, this.#tick);
    this.#tick = undefined;
  }

  /**
   * Runs the timeout again, a whole `timeoutMs` from now: a stream waiting
   * for its next chunk (a bucket move in the sweep, cheap enough per chunk).
   * Does nothing once the attempt ended or was disposed.
   */
  restartTimer(): void {
    if (this.#firedBy !== undefined || this.#disposed) return;
    if (this.#tick !== undefined) sweep.remove(this, this.#tick);
    this.#tick = sweep.add(this, performance.now() + this.timeoutMs);
  }

  /** Aborts because the consumer no longer wants the reply. */
  cancel(): void {
    this.#fire("cancel");
  }

  /** Releases the timeout and the listener on the caller's signal; call once the attempt is over. */
  dispose(): void {
    this.#disposed = true;
    this.stopTimer();
    this.#transportAbort = undefined;
    if (this.#caller !== undefined) {
      this.#caller.removeEventListener("abort", this.#onCallerAbort);
      this.#caller = undefined;
    }
  }

  /** The timeout passed; called by the sweep. */
  expire(): void {
    this.#tick = undefined;
    this.#fire("timeout");
  }

  #fire(cause: AbortCause): void {
    if (this.#firedBy !== undefined) return;
    this.#firedBy = cause;
    const reason = (this.#reason = new AttemptAbort(cause));
    const abort = this.#transportAbort;
    this.dispose();
    this.#controller?.abort(reason);
    abort?.(reason);
  }
}

/** The abort reason of an attempt; mapped to a typed error by the adapter. */
export class AttemptAbort extends Error {
  constructor(readonly abortCause: AbortCause) {
    super(`attempt aborted (${abortCause})`);
    this.name = "AttemptAbort";
  }
}
