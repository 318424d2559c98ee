/**
 * Per-target latency estimates for `split fastest` (lang/SPEC.md §7.7), per
 * instance and in memory, kept across reloads. Each answered try of a
 * target (until its answer; a stream: its first chunk) updates an EWMA
 * with weight 0.3 on the new sample; the first sample sets it. Failed tries
 * do not count: the health policy judges failures.
 *
 * The estimate `decide` sees halves every 10 s that the target goes
 * unmeasured: a target with one slow measurement looks fast again before
 * long, gets a request, and is measured again — no target is starved for
 * good, and a target that stays slow costs one request per few tens of
 * seconds.
 */
export const EWMA_WEIGHT = 0.3;
export const HALF_LIFE_MS = 10_000;

interface Estimate {
  ewma: number;
  /** When it was last updated. */
  at: number;
}

export class LatencyTracker {
  private readonly targets = new Map<string, Estimate>();

  /** An answered try of `model` took `ms`, ending at `now`. */
  observe(model: string, ms: number, now: number): void {
    if (!(ms >= 0)) return;
    const e = this.targets.get(model);
    if (e === undefined) this.targets.set(model, { ewma: ms, at: now });
    else {
      e.ewma = EWMA_WEIGHT * ms + (1 - EWMA_WEIGHT) * e.ewma;
      e.at = now;
    }
  }

  /** The estimate `decide` sees at `now`: the EWMA, decayed by the time since it was updated; undefined before any sample. */
  estimate(model: string, now: number): number | undefined {
    const e = this.targets.get(model);
    if (e === undefined) return undefined;
    const age = now - e.at;
    return age <= 0 ? e.ewma : e.ewma * 0.5 ** (age / HALF_LIFE_MS);
  }

  /** Every measured target's estimate at `now` (for `/metrics`). */
  readings(now: number): { model: string; ms: number }[] {
    return [...this.targets.keys()].map((model) => ({ model, ms: this.estimate(model, now)! }));
  }
}
