/**
 * A store swept on a timer and closed with it: the state store (expired
 * reservations and windows) and the response cache (expired entries) both
 * run this way. The timer is unref'd (a sweep never keeps the process
 * alive), and a failed sweep is reported, never thrown: nothing depends on
 * it, it only frees space.
 */

/** What a swept store offers. */
export interface Sweepable {
  sweep(): Promise<unknown>;
  close(): Promise<void>;
}

/** A store with its sweep timer. */
export interface Swept<S extends Sweepable> {
  readonly store: S;
  /** Stops the sweep and closes the store. */
  close(): Promise<void>;
}

/** Sweeps `store` every `everyMs`; `onError` hears sweep failures. */
export function sweepEvery<S extends Sweepable>(store: S, everyMs: number, onError?: (err: unknown) => void): Swept<S> {
  const timer = setInterval(() => {
    store.sweep().catch((err: unknown) => onError?.(err));
  }, everyMs);
  timer.unref();
  return {
    store,
    async close() {
      clearInterval(timer);
      await store.close();
    },
  };
}
