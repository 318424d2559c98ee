/**
 * Live signals as `decide` sees them: what a health tracker says about a
 * target, read through the state view (state.ts `health`) exactly like a
 * budget counter, so the decision stays a pure function of (graph, facts,
 * state). The server's view reads the per-instance tracker
 * (runtime/health/); policy tests and `aigw explain` build the same states
 * from `given T ejected` / `given T failures F of N`.
 *
 * The rule this file applies (lang/SPEC.md, "Health"): a target its route's
 * health policy has ejected is skipped while any target of the plan is not
 * ejected — it moves to the end of the plan, in its original order — so a
 * request whose every target is ejected still tries them all rather than
 * answering 503 on the tracker's word alone.
 */
import type { AttemptPlan, PlannedTarget } from "./plan.js";

/** Why a target was ejected. */
export type EjectCause =
  /** `count` counted failures in a row, the last with `last` (`"503"`, `"timeout"`). */
  | { readonly kind: "consecutive"; readonly count: number; readonly last: string }
  /** `failures` of `tries` in the interval failed. */
  | { readonly kind: "rate"; readonly failures: number; readonly tries: number }
  /** A counted 429 whose `Retry-After` asked for `ms`. */
  | { readonly kind: "retry-after"; readonly ms: number }
  /** A test's `given T ejected`. */
  | { readonly kind: "given" };

/** What the tracker says about one target under one health policy. */
export type TargetHealth =
  | { readonly status: "healthy" }
  /** Half-open: the ejection is over and this request holds the one probe. */
  | { readonly status: "probe" }
  /**
   * Skipped: ejected `agoMs` ago for `cause`, for `forMs` more; `probing`
   * when the ejection is over but another request holds the probe.
   */
  | { readonly status: "ejected"; readonly agoMs: number; readonly forMs: number; readonly cause: EjectCause; readonly probing: boolean };

export const HEALTHY: TargetHealth = Object.freeze({ status: "healthy" });
/** Half-open, and this request holds the probe. */
export const PROBE: TargetHealth = Object.freeze({ status: "probe" });

/** A target the decision moved to the end of its plan, and why. */
export interface SkippedTarget {
  readonly model: string;
  /** The route's health policy. */
  readonly health: string;
  readonly state: Extract<TargetHealth, { status: "ejected" }>;
}

/** Reads a target's health; `healthOf` is the state view's reader bound to the route's policy. */
export type HealthReader = (model: string) => TargetHealth;

/** Whether a model is currently ejected. */
export function isEjected(read: HealthReader, model: string): boolean {
  return read(model).status === "ejected";
}

/**
 * The plan with its ejected targets moved to the end (their order kept), and
 * the targets moved; `displaced`, the split arm an ejection displaced, is
 * appended when the plan does not hold it, so no target is ever dropped.
 * The plan itself when nothing is ejected or everything is.
 */
export function orderByHealth(plan: AttemptPlan, health: string, read: HealthReader, displaced?: PlannedTarget): { plan: AttemptPlan; skipped: readonly SkippedTarget[] } {
  const targets = displaced === undefined || plan.targets.some((t) => t.model === displaced.model) ? plan.targets : [...plan.targets, displaced];
  let skipped: SkippedTarget[] | undefined;
  for (let i = 0; i < targets.length; i++) {
    const state = read(targets[i]!.model);
    if (state.status === "ejected") (skipped ??= []).push({ model: targets[i]!.model, health, state });
  }
  if (skipped === undefined || skipped.length === targets.length) return { plan, skipped: NO_SKIPS };
  const out = skipped;
  const first = targets.filter((t) => !out.some((s) => s.model === t.model));
  const last = targets.filter((t) => out.some((s) => s.model === t.model));
  const retries = first.length > 0 ? first[0]!.retries : 0;
  return { plan: Object.freeze({ ...plan, targets: Object.freeze([...first, ...last]), maxAttempts: (first.length + last.length) * (retries + 1) }), skipped: Object.freeze(out) };
}

const NO_SKIPS: readonly SkippedTarget[] = Object.freeze([]);

/** `ejected 12 s ago after 5 consecutive 503s` */
export function describeEjection(s: Extract<TargetHealth, { status: "ejected" }>): string {
  const ago = `ejected ${seconds(s.agoMs)} ago`;
  const c = s.cause;
  const why =
    c.kind === "consecutive"
      ? `after ${c.count} consecutive ${c.last === "timeout" || c.last === "connection" ? `${c.last} failures` : `${c.last}s`}`
      : c.kind === "rate"
        ? `after ${c.failures} of ${c.tries} tries failed`
        : c.kind === "retry-after"
          ? `for a 429 with Retry-After ${seconds(c.ms)}`
          : "by the test's `given`";
  return `${ago} ${why}${s.probing ? "; a probe is in flight" : `; ${seconds(s.forMs)} to go`}`;
}

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${Math.round(ms / 100) / 10} s`;
}
