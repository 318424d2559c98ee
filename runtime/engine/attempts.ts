/**
 * Running an attempt plan: a pure state machine, driven in time by
 * run-plan.ts for the live server and the policy tests alike. The caller
 * performs each `try` action (after its delay), reports the outcome with
 * `next`, and gets the next action, until `done` or `fail`.
 *
 * Rules (lang/SPEC.md, "Attempts"):
 * - A failure whose cause is not one of the plan's `fallbackOn` reasons stops
 *   at once: a client error (say 400) would fail again anywhere. The final
 *   status is the upstream's own status, or 504 for a timeout and 502 for a
 *   connection failure.
 * - A listed failure retries the same target while it has retries left,
 *   after an exponential backoff with equal jitter (base × 2^(n−1), the upper
 *   half randomised), never sooner than the upstream's `Retry-After`. A
 *   `Retry-After` longer than `maxRetryAfterMs` is not waited for: the plan
 *   moves on to the next target instead.
 * - A refusal (`context_length`, `content_filter`) is never retried on the
 *   same target: the same model refuses the same request again.
 * - Then the next target, at once. No target is tried twice; there are at
 *   most Σ(retries + 1) tries.
 * - When every target is used up: 504 if the last failure was a timeout,
 *   429 if every try was a 429, 400 if the last was a refusal, else 502,
 *   with every try and its cause in the error.
 */
import { MAX_WAIT_MS } from "../../compiler/bounds/worst-case.js";
import type { RoutedDecision } from "./decision.js";
import { isRefusal, reasonMatches, type AttemptPlan, type FailureCause, type PlannedTarget } from "./plan.js";

/** What happened to one try. */
export type Outcome = { readonly ok: true } | { readonly ok: false; readonly cause: FailureCause; readonly retryAfterMs?: number };

/** One try, as recorded. */
export interface AttemptRecord {
  readonly model: string;
  /** 0 for the first try of this target, 1 for its first retry, … */
  readonly retry: number;
  readonly cause: FailureCause | "ok";
}

/** The final error when the plan cannot produce an answer. */
export interface AttemptsError {
  /**
   * - `upstream_exhausted`: every target failed (502; 429 when every try was a 429);
   * - `upstream_timeout`: every target failed, the last by timing out (504);
   * - `upstream_error`: a failure that is not a fallback reason (the upstream status, or 504/502);
   * - `no_target`: the plan was empty (502).
   */
  readonly code: "upstream_exhausted" | "upstream_timeout" | "upstream_error" | "no_target";
  readonly status: number;
  readonly message: string;
  readonly attempts: readonly AttemptRecord[];
}

/** What the caller should do next: send a try (after `delayMs`), or stop with the answer or the final error. */
export type AttemptAction =
  | {
      readonly kind: "try";
      readonly target: PlannedTarget;
      /** Position of the target in the plan. */
      readonly targetIndex: number;
      readonly retry: number;
      /** Wait this long before sending. */
      readonly delayMs: number;
      /** 1-based count of tries so far, this one included. */
      readonly attempt: number;
    }
  | { readonly kind: "done"; readonly target: PlannedTarget }
  | { readonly kind: "fail"; readonly error: AttemptsError };

/** Where a run of the plan stands. Immutable; `next` returns a new one. */
export interface AttemptState {
  readonly plan: AttemptPlan;
  /** What to do now. */
  readonly action: AttemptAction;
  /** Every try so far, in order. */
  readonly history: readonly AttemptRecord[];
}

/** Randomness and caps for running a plan; all optional. */
export interface AttemptOptions {
  /** Uniform [0, 1) for the backoff jitter; without it the backoff has no jitter. */
  random?: () => number;
  /** The longest `Retry-After` worth waiting for before a retry; longer ones skip to the next target. Default 30 s. */
  maxRetryAfterMs?: number;
  /** Cap on one backoff delay. Default 30 s. */
  maxBackoffMs?: number;
}

// One number with the compiler's worst-case bound (compiler/bounds), which must wait as long as this does.
const DEFAULT_MAX_WAIT_MS = MAX_WAIT_MS;

/** Starts running a decision's plan (or a plan): the first action is to try the first target now. */
export function startAttempts(from: RoutedDecision | AttemptPlan): AttemptState {
  const plan = "plan" in from ? from.plan : from;
  if (plan.targets.length === 0) {
    return { plan, history: [], action: { kind: "fail", error: { code: "no_target", status: 502, message: "the route has no target to try", attempts: [] } } };
  }
  return { plan, history: [], action: { kind: "try", target: plan.targets[0]!, targetIndex: 0, retry: 0, delayMs: 0, attempt: 1 } };
}

/** Reports the outcome of the current `try` and returns the next state. Throws if the state is not at a `try`. */
export function next(state: AttemptState, outcome: Outcome, options: AttemptOptions = {}): AttemptState {
  const action = state.action;
  if (action.kind !== "try") throw new Error(`attempts: next() called after \`${action.kind}\``);
  const { plan } = state;
  const target = action.target;
  const history = [...state.history, { model: target.model, retry: action.retry, cause: outcome.ok ? "ok" : outcome.cause } as AttemptRecord];
  if (outcome.ok) return { plan, history, action: { kind: "done", target } };

  const cause = outcome.cause;
  if (!reasonMatches(plan.fallbackOn, cause)) {
    const status = callerStatus(cause);
    const message = `\`${target.model}\` failed with ${causeText(cause)}, which is not a fallback reason (${plan.fallbackOn.join(", ")}); ${tried(history)}`;
    return fail(plan, history, { code: "upstream_error", status, message, attempts: history });
  }

  const maxWait = options.maxRetryAfterMs ?? DEFAULT_MAX_WAIT_MS;
  const retryAfter = outcome.retryAfterMs;
  // The same model refuses the same request again: a refusal goes straight to the next target.
  if (action.retry < target.retries && !isRefusal(cause) && (retryAfter === undefined || retryAfter <= maxWait)) {
    const retry = action.retry + 1;
    const delayMs = Math.max(backoff(plan.backoffMs, retry, options), retryAfter ?? 0);
    return {
      plan,
      history,
      action: { kind: "try", target, targetIndex: action.targetIndex, retry, delayMs, attempt: action.attempt + 1 },
    };
  }

  const ti = action.targetIndex + 1;
  if (ti < plan.targets.length) {
    return { plan, history, action: { kind: "try", target: plan.targets[ti]!, targetIndex: ti, retry: 0, delayMs: 0, attempt: action.attempt + 1 } };
  }

  const timeout = cause === "timeout";
  // Every provider said "slow down": so does the gateway, rather than hide it behind a 502.
  const rateLimited = history.every((h) => h.cause === 429);
  return fail(plan, history, {
    code: timeout ? "upstream_timeout" : "upstream_exhausted",
    // The last model refused the request too: the caller must change it (a shorter prompt, other content).
    status: timeout ? 504 : rateLimited ? 429 : isRefusal(cause) ? 400 : 502,
    message: `every target failed: ${tried(history)}`,
    attempts: history,
  });
}

/**
 * The status the caller gets when an upstream failure ends the request: a
 * 429 stays a 429 (the caller should slow down) and a client error stays a
 * 400 or 413 (the caller can fix the request; 422 becomes 400); a timeout is
 * 504; every other failure is the gateway's 502. The server and the policy
 * tests both use this, so `expect status` states what a client really sees.
 */
export function callerStatus(cause: FailureCause): number {
  if (cause === "timeout") return 504;
  if (isRefusal(cause)) return 400;
  if (cause === 429 || cause === 413) return cause;
  if (cause === 400 || cause === 422) return 400;
  return 502;
}

function fail(plan: AttemptPlan, history: readonly AttemptRecord[], error: AttemptsError): AttemptState {
  return { plan, history, action: { kind: "fail", error } };
}

/** Exponential backoff with equal jitter: base × 2^(retry−1), the upper half scaled by the random draw, capped. */
export function backoff(baseMs: number, retry: number, options: AttemptOptions = {}): number {
  if (baseMs <= 0) return 0;
  const cap = options.maxBackoffMs ?? DEFAULT_MAX_WAIT_MS;
  const full = Math.min(cap, baseMs * 2 ** (retry - 1));
  if (options.random === undefined) return full;
  const half = full / 2;
  return Math.round(half + options.random() * half);
}

function causeText(cause: FailureCause): string {
  if (typeof cause === "number") return `status ${cause}`;
  if (isRefusal(cause)) return cause === "context_length" ? "a context-length error" : "a content-filter refusal";
  return cause === "timeout" ? "a timeout" : "a connection failure";
}

/** `gpt-4o: 429, 429; sonnet: timeout` */
function tried(history: readonly AttemptRecord[]): string {
  const parts: string[] = [];
  let current = "";
  let causes: string[] = [];
  for (const h of history) {
    if (h.model !== current) {
      if (current !== "") parts.push(`\`${current}\`: ${causes.join(", ")}`);
      current = h.model;
      causes = [];
    }
    causes.push(String(h.cause));
  }
  if (current !== "") parts.push(`\`${current}\`: ${causes.join(", ")}`);
  return parts.join("; ");
}

/** The models tried, in order, each once (what `expect attempts [...]` states). */
export function triedModels(history: readonly AttemptRecord[]): string[] {
  const out: string[] = [];
  for (const h of history) if (out[out.length - 1] !== h.model) out.push(h.model);
  return out;
}

/** Total retries (tries beyond the first of each target), what `expect retries N` states. */
export function retryCount(history: readonly AttemptRecord[]): number {
  let n = 0;
  for (const h of history) if (h.retry > 0) n++;
  return n;
}
