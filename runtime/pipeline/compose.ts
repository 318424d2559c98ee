/**
 * Runs a chain of steps, each wrapping the rest (Hono's `compose`, Koa's
 * middleware): a step does its part, calls `next()` for the rest of the
 * chain, and may act on what comes back (settle a hold, guard the output)
 * or on what is thrown (release a hold). The last step answers without
 * calling `next`.
 */

/** One step of a chain over a context `C` answering `R`. */
export type Step<C, R> = (ctx: C, next: () => Promise<R>) => Promise<R>;

/** The chain as one function; the steps run in array order. */
export function compose<C, R>(steps: readonly Step<C, R>[]): (ctx: C) => Promise<R> {
  const n = steps.length;
  return (ctx) => {
    const run = (i: number): Promise<R> => {
      if (i >= n) return Promise.reject(new Error("pipeline: the last step must answer, not call next()"));
      return steps[i]!(ctx, () => run(i + 1));
    };
    return run(0);
  };
}
