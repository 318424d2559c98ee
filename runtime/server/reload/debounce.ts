/**
 * A trailing debounce with a ceiling: bursts of file events (an editor's
 * write-temp-then-rename, a checkout touching many files) become one call
 * `waitMs` after the last event, but never later than `maxWaitMs` after the
 * first, so a file written continuously still gets reloaded.
 */

export interface Debounced {
  (): void;
  cancel(): void;
}

export function debounce(fn: () => void, waitMs: number, maxWaitMs: number): Debounced {
  let timer: NodeJS.Timeout | undefined;
  let first = 0;
  const fire = (): void => {
    timer = undefined;
    fn();
  };
  const call = (): void => {
    const now = Date.now();
    if (timer === undefined) first = now;
    else clearTimeout(timer);
    timer = setTimeout(fire, Math.max(0, Math.min(waitMs, first + maxWaitMs - now)));
  };
  call.cancel = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  return call;
}
