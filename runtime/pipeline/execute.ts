/**
 * Executing a decision: drives the engine's attempts state machine
 * (`startAttempts`/`next`) with real upstream calls and real waits. The
 * machine decides what to try, in which order and after which delay; this
 * file only performs the tries, enforces the overall deadline, and stops the
 * moment the client goes away.
 *
 * For a stream, a try succeeds once its first chunk arrived: until then a
 * failure may still fall back; after that the response is committed.
 */
import { next, startAttempts, type AttemptRecord, type FailureCause, type Outcome, type PlannedTarget, type RoutedDecision } from "../engine/index.js";
import { isUpstreamError, UpstreamStatusError, type AbortSignalLike, type ChatStream, type Completion, type Embedded, type Sleep, type UpstreamError } from "../providers/index.js";
import { attemptsError, GatewayError } from "./errors.js";
import type { CanonicalRequest } from "../request/index.js";
import type { Runtime } from "./runtime.js";

export interface ExecuteOptions {
  request: CanonicalRequest;
  stream: boolean;
  requestId: string;
  /** Aborts when the client goes away. */
  signal: AbortSignalLike;
  /** Clock time (ms) after which no new try starts and tries are cut short. */
  deadlineAt: number;
  now: () => number;
  sleep: Sleep;
  random: () => number;
  /** Hears every try that ends with an outcome, timed, in order (the access log and metrics read them). */
  onTry?: (timing: TryTiming) => void;
  /** Monotonic clock in fractional milliseconds for `onTry`. Default `performance.now`. */
  clock?: () => number;
}

/** One try, timed: when it started (`clock` ms), how long it took, and for a failure the upstream error's code. */
export interface TryTiming {
  readonly startMs: number;
  readonly ms: number;
  readonly error?: string;
}

export type ExecuteResult =
  | { kind: "completion"; target: PlannedTarget; attempts: readonly AttemptRecord[]; completion: Completion }
  | { kind: "stream"; target: PlannedTarget; attempts: readonly AttemptRecord[]; stream: ChatStream }
  | { kind: "embedding"; target: PlannedTarget; attempts: readonly AttemptRecord[]; embedded: Embedded }
  | { kind: "failed"; attempts: readonly AttemptRecord[]; error: GatewayError }
  /** The client went away; nothing is to be written. */
  | { kind: "aborted"; attempts: readonly AttemptRecord[] };

/** Runs the decision's plan until a try succeeds, the plan is used up, the deadline passes or the client leaves. */
export async function execute(rt: Runtime, decision: RoutedDecision, o: ExecuteOptions): Promise<ExecuteResult> {
  let state = startAttempts(decision);
  const onTry = o.onTry;
  const clock = o.clock ?? monotonic;
  let last: UpstreamError | undefined;
  for (;;) {
    const action = state.action;
    if (action.kind === "fail") return { kind: "failed", attempts: state.history, error: attemptsError(action.error, last) };
    if (action.kind === "done") throw new Error("attempts: `done` is handled where the try succeeds");

    if (action.delayMs > 0) {
      if (o.now() + action.delayMs >= o.deadlineAt) return deadlinePassed(state.history, last);
      try {
        await o.sleep(action.delayMs, o.signal);
      } catch {
        return { kind: "aborted", attempts: state.history };
      }
    }
    if (o.signal.aborted) return { kind: "aborted", attempts: state.history };
    const remaining = o.deadlineAt - o.now();
    if (remaining <= 0) return deadlinePassed(state.history, last);

    const target = action.target;
    const attempt = {
      request: o.request,
      model: target.model,
      signal: o.signal,
      timeoutMs: Math.max(1, Math.min(target.timeoutMs ?? remaining, remaining)),
      requestId: o.requestId,
    };
    const startMs = onTry === undefined ? 0 : clock();
    try {
      if (o.request.operation === "embeddings") {
        const embedded = await rt.providers.embed(attempt);
        onTry?.({ startMs, ms: clock() - startMs });
        state = next(state, OK);
        return { kind: "embedding", target, attempts: state.history, embedded };
      }
      if (o.stream) {
        const stream = await rt.providers.stream(attempt);
        if (o.signal.aborted) {
          void stream.cancel();
          return { kind: "aborted", attempts: state.history };
        }
        onTry?.({ startMs, ms: clock() - startMs });
        state = next(state, OK);
        return { kind: "stream", target, attempts: state.history, stream };
      }
      const completion = await rt.providers.complete(attempt);
      onTry?.({ startMs, ms: clock() - startMs });
      state = next(state, OK);
      return { kind: "completion", target, attempts: state.history, completion };
    } catch (err) {
      if (o.signal.aborted) return { kind: "aborted", attempts: state.history };
      if (!isUpstreamError(err)) throw err;
      last = err;
      onTry?.({ startMs, ms: clock() - startMs, error: err.code });
      state = next(state, outcomeOf(err), { random: o.random });
    }
  }
}

const OK: Outcome = Object.freeze({ ok: true });
const monotonic = (): number => performance.now();

/** An upstream failure in the terms of the attempts machine. */
export function outcomeOf(err: UpstreamError): Outcome {
  const retryAfterMs = err instanceof UpstreamStatusError ? err.retryAfterMs : undefined;
  const cause = causeOf(err.reason);
  return retryAfterMs === undefined ? { ok: false, cause } : { ok: false, cause, retryAfterMs };
}

function causeOf(reason: string): FailureCause {
  if (reason === "timeout") return "timeout";
  const n = Number(reason);
  // `connection`, and `aborted` when the signal was not ours (cannot happen; treat as a broken connection)
  return Number.isInteger(n) ? n : "connection";
}

function deadlinePassed(history: readonly AttemptRecord[], last: UpstreamError | undefined): ExecuteResult {
  const tried = history.length === 0 ? "" : `; ${history.length} ${history.length === 1 ? "try" : "tries"}, the last failing with ${last ? last.reason : "no reply"}`;
  return { kind: "failed", attempts: history, error: new GatewayError("upstream_timeout", `the request deadline passed before a target answered${tried}`) };
}
