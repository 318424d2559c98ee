/**
 * Running a plan in time: the one driver of the attempts machine
 * (attempts.ts), shared by the server (runtime/pipeline/execute.ts, real
 * upstreams, the wall clock and timers) and the policy tests
 * (runtime/policy/policy-tests.ts, scripted targets on a virtual clock). The
 * machine says what to try and after which delay; this file applies the
 * request's deadline to it, so both sides stop, cap and time out tries
 * alike:
 * - a delay that would reach the deadline ends the request (504);
 * - a try with no time left ends it (504);
 * - each try's timeout is its target's, capped by the time left (at least
 *   1 ms).
 * The clock, the sleep and the sending of a try are parameters; nothing here
 * does I/O of its own.
 */
import { next, startAttempts, type AttemptRecord, type AttemptsError, type Outcome } from "./attempts.js";
import type { RoutedDecision } from "./decision.js";
import type { FailureCause, PlannedTarget } from "./plan.js";

/** How one try went, as the sender reports it. */
export type TryReply<T> =
  | { readonly kind: "answered"; readonly value: T }
  | { readonly kind: "failed"; readonly outcome: Extract<Outcome, { ok: false }> }
  /** The client went away: stop without an answer. */
  | { readonly kind: "aborted" };

/** The clock, the waits and the sender a plan runs with. */
export interface PlanDriver<T> {
  /** Clock time in ms after which no new try starts. */
  readonly deadlineAt: number;
  readonly now: () => number;
  /** Waits `ms`; a rejection means the client went away. */
  readonly sleep: (ms: number) => Promise<void>;
  /** Uniform [0, 1) for the backoff jitter. */
  readonly random?: () => number;
  /** True once the client went away; checked before each try. */
  readonly aborted?: () => boolean;
  /** Sends one try with this timeout. */
  readonly send: (target: PlannedTarget, timeoutMs: number) => Promise<TryReply<T>>;
}

/** How the plan ended. */
export type PlanRun<T> =
  | { readonly kind: "answered"; readonly target: PlannedTarget; readonly attempts: readonly AttemptRecord[]; readonly value: T }
  /** `deadline`: the request deadline ended it (the error is then a 504 `upstream_timeout`). */
  | { readonly kind: "failed"; readonly attempts: readonly AttemptRecord[]; readonly error: AttemptsError; readonly deadline: boolean }
  | { readonly kind: "aborted"; readonly attempts: readonly AttemptRecord[] };

/** Runs the decision's plan until a try is answered, the plan is used up, the deadline passes or the client leaves. */
export async function runPlan<T>(decision: RoutedDecision, d: PlanDriver<T>): Promise<PlanRun<T>> {
  let state = startAttempts(decision);
  const options = d.random === undefined ? {} : { random: d.random };
  let last: FailureCause | undefined;
  for (;;) {
    const action = state.action;
    if (action.kind === "fail") return { kind: "failed", attempts: state.history, error: action.error, deadline: false };
    if (action.kind === "done") throw new Error("attempts: `done` is handled where the try is answered");

    if (action.delayMs > 0) {
      if (d.now() + action.delayMs >= d.deadlineAt) return deadlinePassed(state.history, last);
      try {
        await d.sleep(action.delayMs);
      } catch {
        return { kind: "aborted", attempts: state.history };
      }
    }
    if (d.aborted?.() === true) return { kind: "aborted", attempts: state.history };
    const remaining = d.deadlineAt - d.now();
    if (remaining <= 0) return deadlinePassed(state.history, last);

    const target = action.target;
    const reply = await d.send(target, Math.max(1, Math.min(target.timeoutMs ?? remaining, remaining)));
    if (reply.kind === "aborted") return { kind: "aborted", attempts: state.history };
    if (reply.kind === "answered") {
      state = next(state, OK);
      return { kind: "answered", target, attempts: state.history, value: reply.value };
    }
    last = reply.outcome.cause;
    state = next(state, reply.outcome, options);
  }
}

const OK: Outcome = Object.freeze({ ok: true });

function deadlinePassed(history: readonly AttemptRecord[], last: FailureCause | undefined): PlanRun<never> {
  const tried = history.length === 0 ? "" : `; ${history.length} ${history.length === 1 ? "try" : "tries"}, the last failing with ${last ?? "no reply"}`;
  const error: AttemptsError = { code: "upstream_timeout", status: 504, message: `the request deadline passed before a target answered${tried}`, attempts: history };
  return { kind: "failed", attempts: history, error, deadline: true };
}
