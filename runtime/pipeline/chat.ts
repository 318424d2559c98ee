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
import { decide, factsFromChatRequest, loadedTokenizer, loadTokenizer, type AttemptRecord, type GuardHit, type StateView } from "../engine/index.js";
import type { AbortSignalLike, Sleep, Usage } from "../providers/index.js";
import { authenticate } from "./auth.js";
import { GatewayError, toErrorReply } from "./errors.js";
import { execute } from "./execute.js";
import { guardInput } from "./guard.js";
import { decisionHeaders, type DecisionHeaders } from "./headers.js";
import type { Reply } from "./respond.js";
import type { Runtime } from "./runtime.js";
import { parseChatRequest } from "./validate.js";

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
  /** A request id: the client's when sane, else a fresh one. */
  requestId: (given: string | undefined) => string;
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
    if (caller.team !== undefined) trace.team = caller.team;
    const body = parseChatRequest(await input.body());
    const tokenizer = rt.needsTokenizer ? (loadedTokenizer() ?? (await loadTokenizer())) : undefined;
    const facts = factsFromChatRequest(body, withoutCredentials(input.headers), caller, tokenizer, input.path);

    const decision = decide(graph, facts, deps.state);
    if (decision.kind === "no-route") throw new GatewayError("model_not_found", decision.message, { param: "model" });
    meta.route = trace.route = decision.route.name;

    // Input guardrails come before budgets and limits (lang/SPEC.md): a request
    // that would be blocked is a 400 even when it is also over budget.
    const guarded = guardInput(graph, decision.guardrails, facts, body);
    trace.redacted = guarded.redacted;
    trace.flagged = guarded.flagged;
    if (decision.kind === "rejected") {
      throw new GatewayError(decision.reason.kind === "budget" ? "budget_exceeded" : "rate_limited", decision.message);
    }

    const stream = body.stream === true;
    const result = await execute(rt, decision, {
      body: guarded.body,
      stream,
      requestId: meta.requestId,
      signal: input.signal,
      deadlineAt: started + graph.gateway.deadlineMs,
      now: deps.now,
      sleep: deps.sleep,
      random: deps.random,
    });
    meta.attempts = trace.attempts = result.attempts;
    switch (result.kind) {
      case "aborted":
        return { reply: null, trace };
      case "failed":
        throw result.error;
      case "completion":
        meta.target = trace.target = result.target.model;
        if (result.completion.usage) trace.usage = result.completion.usage;
        // The upstream's own bytes when the adapter kept them (nothing here changes a completion).
        return { reply: { kind: "json", status: 200, headers: decisionHeaders(meta), body: result.completion.raw ?? JSON.stringify(result.completion.completion) }, trace };
      case "stream":
        meta.target = trace.target = result.target.model;
        return {
          reply: { kind: "stream", headers: decisionHeaders(meta), stream: result.stream, includeUsage: body.stream_options?.include_usage === true },
          trace,
        };
    }
  } catch (err) {
    if (input.signal.aborted) return { reply: null, trace };
    const e = toErrorReply(err);
    trace.status = e.status;
    if (err instanceof GatewayError) trace.errorCode = err.code;
    if (e.internal !== undefined) trace.internal = e.internal;
    const headers = decisionHeaders(meta);
    for (const h of e.headers) headers.push(h);
    return { reply: { kind: "json", status: e.status, headers, body: e.body }, trace };
  }
}

/** Headers a policy may read: everything but the caller's credentials (facts end up in traces and explanations). */
function withoutCredentials(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k in headers) if (k !== "authorization" && k !== "x-api-key") out[k] = headers[k]!;
  return out;
}
