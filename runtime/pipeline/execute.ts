/**
 * Executing a decision: runs the engine's plan driver (engine/run-plan.ts,
 * the attempts state machine with the overall deadline, shared with the
 * policy tests) with real upstream calls and real waits. The driver decides
 * what to try, in which order, after which delay and with which timeout;
 * this file only performs the tries and stops the moment the client goes
 * away.
 *
 * For a stream, a try succeeds once its first chunk arrived: until then a
 * failure may still fall back; after that the response is committed.
 */
import { runPlan, type AttemptRecord, type FailureCause, type Outcome, type PlannedTarget, type RoutedDecision, type TryReply } from "../engine/index.js";
import { isUpstreamError, UpstreamStatusError, type AbortSignalLike, type ChatStream, type Completion, type Embedded, type Sleep, type UpstreamError } from "../providers/index.js";
import { attemptsError, GatewayError } from "./errors.js";
import type { Runtime } from "./runtime.js";
import type { CanonicalRequest } from "../request/index.js";

export interface ExecuteOptions {
  request: CanonicalRequest;
  stream: boolean;
  requestId: string;
  /** The route's `upstream_header`s, name and value alternating; sent with every try. */
  upstreamHeaders?: readonly string[] | undefined;
  /** Aborts when the client goes away. */
  signal: AbortSignalLike;
  /** Clock time (ms) after which no new try starts and tries are cut short. */
  deadlineAt: number;
  now: () => number;
  sleep: Sleep;
  random: () => number;
  /** Hears every try that ends with an outcome, timed, in order (the access log and metrics read them). */
  onTry?: (timing: TryTiming) => void;
  /** Hears every try's outcome as the attempts machine sees it (the health tracker). */
  onOutcome?: (model: string, outcome: Outcome, ms: number) => void;
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
  const onTry = o.onTry;
  const clock = o.clock ?? monotonic;
  let last: UpstreamError | undefined;
  // A reply the content filter ended is an answer unless the route falls back on `content_filter` (lang/SPEC.md §7.4).
  const refusesOnFilter = decision.plan.fallbackOn.includes("content_filter");
  // The shared driver (engine/run-plan.ts) schedules the tries and applies the deadline; this sends them.
  const run = await runPlan<Answer>(decision, {
    deadlineAt: o.deadlineAt,
    now: o.now,
    sleep: (ms) => o.sleep(ms, o.signal),
    random: o.random,
    aborted: () => o.signal.aborted,
    send: async (target, timeoutMs): Promise<TryReply<Answer>> => {
      const attempt = { request: o.request, model: target.model, upstream: target.upstream, signal: o.signal, timeoutMs, requestId: o.requestId, upstreamHeaders: o.upstreamHeaders };
      const startMs = onTry === undefined && o.onOutcome === undefined ? 0 : clock();
      try {
        if (o.request.operation === "embeddings") {
          const embedded = await rt.providers.embed(attempt);
          onTry?.({ startMs, ms: clock() - startMs });
          o.onOutcome?.(target.model, OK_OUTCOME, clock() - startMs);
          return { kind: "answered", value: { kind: "embedding", embedded } };
        }
        if (o.stream) {
          const stream = await rt.providers.stream(attempt);
          if (o.signal.aborted) {
            void stream.cancel();
            return ABORTED;
          }
          onTry?.({ startMs, ms: clock() - startMs });
          o.onOutcome?.(target.model, OK_OUTCOME, clock() - startMs);
          return { kind: "answered", value: { kind: "stream", stream } };
        }
        const completion = await rt.providers.complete(attempt);
        if (refusesOnFilter && filtered(completion)) throw filteredError(target, o.requestId);
        onTry?.({ startMs, ms: clock() - startMs });
        o.onOutcome?.(target.model, OK_OUTCOME, clock() - startMs);
        return { kind: "answered", value: { kind: "completion", completion } };
      } catch (err) {
        if (o.signal.aborted) return ABORTED;
        if (!isUpstreamError(err)) throw err;
        last = err;
        onTry?.({ startMs, ms: clock() - startMs, error: err.code });
        const outcome = outcomeOf(err);
        o.onOutcome?.(target.model, outcome, clock() - startMs);
        return { kind: "failed", outcome };
      }
    },
  });
  switch (run.kind) {
    case "aborted":
      return run;
    case "failed":
      return { kind: "failed", attempts: run.attempts, error: run.deadline ? new GatewayError("upstream_timeout", run.error.message) : attemptsError(run.error, last) };
    case "answered":
      switch (run.value.kind) {
        case "stream":
          return { kind: "stream", target: run.target, attempts: run.attempts, stream: run.value.stream };
        case "embedding":
          return { kind: "embedding", target: run.target, attempts: run.attempts, embedded: run.value.embedded };
        case "completion":
          return { kind: "completion", target: run.target, attempts: run.attempts, completion: run.value.completion };
      }
  }
}

/** What an answered try hands back. */
type Answer = { kind: "completion"; completion: Completion } | { kind: "stream"; stream: ChatStream } | { kind: "embedding"; embedded: Embedded };

const OK_OUTCOME: Outcome = Object.freeze({ ok: true });
const ABORTED = Object.freeze({ kind: "aborted" }) satisfies TryReply<Answer>;
const monotonic = (): number => performance.now();

/** Every choice of the reply was ended by the provider's content filter (each adapter maps its refusal to `content_filter`). */
function filtered(c: Completion): boolean {
  const choices = c.completion.choices;
  return choices.length > 0 && choices.every((ch) => ch.finish_reason === "content_filter");
}

/** A filtered 200 as the refusal it is, so it falls back like the 400 other providers send for it. */
function filteredError(target: PlannedTarget, requestId: string): UpstreamStatusError {
  const origin = { provider: target.provider ?? target.model, requestId };
  return new UpstreamStatusError(origin, 200, { message: "the reply was withheld by the provider's content filter (finish_reason `content_filter`)", refusal: "content_filter" });
}

/** An upstream failure in the terms of the attempts machine. */
export function outcomeOf(err: UpstreamError): Extract<Outcome, { ok: false }> {
  const retryAfterMs = err instanceof UpstreamStatusError ? err.retryAfterMs : undefined;
  const cause = causeOf(err.reason);
  return retryAfterMs === undefined ? { ok: false, cause } : { ok: false, cause, retryAfterMs };
}

function causeOf(reason: string): FailureCause {
  if (reason === "timeout" || reason === "context_length" || reason === "content_filter") return reason;
  const n = Number(reason);
  // `connection`, and `aborted` when the signal was not ours (cannot happen; treat as a broken connection)
  return Number.isInteger(n) ? n : "connection";
}
