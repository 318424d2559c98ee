/**
 * `POST /v1/chat/completions` as a short chain of steps:
 *
 *   auth → read + validate → facts → decide → input guardrails → budgets/limits → execute → reply
 *
 * Each step either hands its result to the next or stops the chain with a
 * typed `GatewayError`, which is mapped to a response in one place
 * (errors.ts). The chain returns an explicit `Reply` (or null when the client
 * left); writing it is respond.ts's job. Clock, randomness, sleep and state
 * are parameters.
 */
import { bearerToken, withoutCredentials } from "../engine/bearer.js";
import type { SourceRef } from "../../compiler/graph.js";
import {
  decide,
  explainDecision,
  factsFromChatRequest,
  loadedTokenizer,
  loadTokenizer,
  type AttemptRecord,
  type Caller,
  type Explanation,
  type Facts,
  type GuardHit,
  type GuardOutcome,
  type StateView,
  type TraceEvent,
} from "../engine/index.js";
import type { AbortSignalLike, ChatCompletion, Sleep, Usage } from "../providers/index.js";
import { authenticate } from "./auth.js";
import { GatewayError, toErrorReply } from "./errors.js";
import { execute, type TryTiming } from "./execute.js";
import { guardInput, guardOutput } from "./guard.js";
import { decisionHeaders, type DecisionHeaders } from "./headers.js";
import { chargeRequest, decideWithState, plainRejectedError, RefusalError, rejectedError, type BudgetDeps, type Hold } from "../budget/charges.js";
import type { Reply } from "./respond.js";
import type { Runtime } from "./runtime.js";
import { parseChatRequest, type ChatRequest } from "./validate.js";

/** The request as the pipeline sees it (copied out of the HTTP edge). */
export interface ChatInput {
  /** Lower-case names. */
  headers: Readonly<Record<string, string>>;
  path: string;
  /** The body; rejects with a `GatewayError` (413) when it is too large. */
  body(): Promise<Uint8Array>;
  /** Aborts when the client goes away. */
  signal: AbortSignalLike;
}

/** The world outside the pipeline, passed in so tests can fix it. */
export interface PipelineDeps {
  /** Wall clock, milliseconds. */
  now: () => number;
  /** Uniform in [0, 1): split draws and backoff jitter. */
  random: () => number;
  /** Abortable sleep, for backoff. */
  sleep: Sleep;
  /** What decisions read about budgets, limits and cooldowns. */
  state: StateView;
  /** Budgets and rate limits backed by a store (runtime/budget); without it, decisions read only `state`. */
  budgets?: BudgetDeps;
  /** A request id: the client's when sane, else a fresh one. */
  requestId: (given: string | undefined) => string;
  /** Monotonic clock (fractional ms): when given, each try is timed into `ChatTrace.tries`. */
  clock?: () => number;
  /** Keep the decision record (`explainDecision`, the same record as `aigw explain`) in `ChatTrace.decision`; costs a traced decide. */
  explain?: boolean;
  /** Time the decide and guardrail steps into `ChatTrace.steps` with `clock` (for trace spans). */
  timeSteps?: boolean;
}

/** What happened, for the access log. */
export interface ChatTrace {
  requestId: string;
  route?: string;
  target?: string;
  attempts: readonly AttemptRecord[];
  /** The status of the reply (200 for a stream, even if it is cut later). */
  status: number;
  errorCode?: string;
  redacted: readonly GuardHit[];
  flagged: readonly GuardHit[];
  team?: string;
  /** Reported usage of a non-streaming completion (a stream's is known once it was written). */
  usage?: Usage;
  /** The error when the reply is a 500 (logged, never sent). */
  internal?: unknown;
  /** The requested model and stream flag, once the body was read. */
  model?: string;
  stream?: boolean;
  /** The authenticated caller (team, user, the key's hash; never the key). */
  caller?: Caller;
  /** Where the matched route is written. */
  span?: SourceRef;
  /** Each try's timing, in the order of `attempts` (when `PipelineDeps.clock` is given). */
  tries?: readonly TryTiming[];
  /** The guardrail hit that blocked the request. */
  blocked?: GuardHit;
  /** The budget or limit that refused the request (429). */
  rejected?: { kind: "budget" | "limit"; name: string };
  /** The decision record, when `PipelineDeps.explain` is on. */
  decision?: Explanation;
  /** `clock` readings around the decide and input-guardrail steps, when `PipelineDeps.timeSteps` is on. */
  steps?: { decide: readonly [number, number]; guard?: readonly [number, number] };
  /** With `log_bodies true`: what the body logger needs (the body as sent upstream, after redaction). */
  bodies?: { request: ChatRequest; guardrails: readonly string[]; facts: Facts; completion?: ChatCompletion };
}

export interface ChatOutcome {
  /** Null when the client left before there was anything to say. */
  reply: Reply | null;
  trace: ChatTrace;
}

const NONE: readonly never[] = Object.freeze([]);

/** Runs the chat pipeline for one request on the runtime it started with. */
export async function handleChat(rt: Runtime, input: ChatInput, deps: PipelineDeps): Promise<ChatOutcome> {
  const started = deps.now();
  const graph = rt.graph;
  const meta: DecisionHeaders = { requestId: deps.requestId(input.headers["x-request-id"]), policy: graph.policy };
  const trace: ChatTrace = { requestId: meta.requestId, attempts: NONE, status: 200, redacted: NONE, flagged: NONE };
  try {
    const caller = authenticate(graph, input.headers["authorization"]);
    trace.caller = caller;
    if (caller.team !== undefined) trace.team = caller.team;
    const body = parseChatRequest(await input.body());
    trace.model = body.model;
    trace.stream = body.stream === true;
    const tokenizer = rt.needsTokenizer ? (loadedTokenizer() ?? (await loadTokenizer())) : undefined;
    const facts = factsFromChatRequest(body, withoutCredentials(input.headers), caller, tokenizer, input.path);
    const keyPresented = bearerToken(input.headers["authorization"]) !== undefined;

    // The decision record is built from the same trace events and guardrail verdict as `aigw explain`'s.
    const events: TraceEvent[] | undefined = deps.explain ? [] : undefined;
    const clock = deps.timeSteps ? deps.clock : undefined;
    const decideStart = clock ? clock() : 0;
    const tracing = events && { tracer: (e: TraceEvent) => void events.push(e) };
    const stated = deps.budgets ? await decideWithState(graph, facts, deps.state, deps.budgets, tracing) : undefined;
    const decision = stated ? stated.decision : decide(graph, facts, deps.state, tracing);
    if (clock) trace.steps = { decide: [decideStart, clock()] };
    if (decision.kind === "no-route") {
      if (events) trace.decision = explainDecision(graph, facts, decision, events, undefined, keyPresented);
      throw new GatewayError("model_not_found", decision.message, { param: "model" });
    }
    meta.route = trace.route = decision.route.name;
    trace.span = decision.route.span;

    // Input guardrails come before budgets and limits (lang/SPEC.md): a request
    // that would be blocked is a 400 even when it is also over budget.
    const guarded = guardInput(graph, decision.guardrails, facts, body, (o: GuardOutcome) => {
      if (clock && trace.steps) trace.steps = { decide: trace.steps.decide, guard: [trace.steps.decide[1], clock()] };
      if (o.blocked !== undefined) trace.blocked = o.blocked;
      if (events) trace.decision = explainDecision(graph, facts, decision, events, o, keyPresented);
    });
    trace.redacted = guarded.redacted;
    trace.flagged = guarded.flagged;
    if (graph.gateway.logBodies) trace.bodies = { request: guarded.body, guardrails: decision.guardrails, facts };
    if (decision.kind === "rejected") throw stated ? rejectedError(decision, stated, deps.now()) : plainRejectedError(decision);

    const stream = body.stream === true;
    const tries: TryTiming[] | undefined = deps.clock ? [] : undefined;
    if (tries) trace.tries = tries;
    // Reserve the worst case and take the limits atomically; a refused downgrade budget re-plans (runtime/budget).
    const hold = deps.budgets && stated ? await chargeRequest(graph, deps.budgets, decision, facts, body, stated.view, deps.now()) : undefined;
    const result = await execute(rt, hold?.decision ?? decision, {
      body: guarded.body,
      stream,
      requestId: meta.requestId,
      signal: input.signal,
      deadlineAt: started + graph.gateway.deadlineMs,
      now: deps.now,
      sleep: deps.sleep,
      random: deps.random,
      tries,
      clock: deps.clock,
    }).catch(async (err: unknown) => {
      await hold?.settle(undefined, undefined);
      throw err;
    });
    if (hold && result.kind !== "completion" && result.kind !== "stream") await hold.settle(undefined, undefined);
    meta.attempts = trace.attempts = result.attempts;
    switch (result.kind) {
      case "aborted":
        return { reply: null, trace };
      case "failed":
        throw result.error;
      case "completion":
        meta.target = trace.target = result.target.model;
        if (result.completion.usage) trace.usage = result.completion.usage;
        if (trace.bodies) trace.bodies.completion = result.completion.completion;
        if (hold) await hold.settleCompletion(result.target.model, result.completion);
        {
          const out = guardOutput(graph, decision.guardrails, facts, result.completion.completion);
          if (out.redacted.length) trace.redacted = [...trace.redacted, ...out.redacted];
          if (out.flagged.length) trace.flagged = [...trace.flagged, ...out.flagged];
          if (out.blocked) trace.blocked = out.blocked; // the text was withheld (content_filter); the reply is still a 200
          if (trace.bodies && out.changed) trace.bodies.completion = out.completion;
          // The upstream's own bytes when nothing changed them; a guarded completion is serialised anew.
          const replyBody = out.changed ? JSON.stringify(out.completion) : (result.completion.raw ?? JSON.stringify(out.completion));
          return { reply: { kind: "json", status: 200, headers: withHold(decisionHeaders(meta), hold), body: replyBody }, trace };
        }
      case "stream":
        meta.target = trace.target = result.target.model;
        return {
          reply: { kind: "stream", headers: withHold(decisionHeaders(meta), hold), stream: hold ? hold.wrap(result.stream, result.target.model) : result.stream, includeUsage: body.stream_options?.include_usage === true },
          trace,
        };
    }
  } catch (err) {
    if (input.signal.aborted) return { reply: null, trace };
    const e = toErrorReply(err);
    trace.status = e.status;
    if (err instanceof GatewayError) trace.errorCode = err.code;
    // Every 429 from a budget or limit (decided on the counters or refused at admission) names it.
    if (err instanceof RefusalError) trace.rejected = err.by;
    if (e.internal !== undefined) trace.internal = e.internal;
    const headers = decisionHeaders(meta);
    for (const h of e.headers) headers.push(h);
    return { reply: { kind: "json", status: e.status, headers, body: e.body }, trace };
  }
}

/** The decision headers plus the budget warnings of an admitted request. */
function withHold(headers: ReturnType<typeof decisionHeaders>, hold: Hold | undefined): ReturnType<typeof decisionHeaders> {
  if (hold) for (const h of hold.headers) headers.push(h);
  return headers;
}

