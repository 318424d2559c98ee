/**
 * The state of one chat request as it moves along the chain: what the
 * request brought (`input`), what the runtime and the world give every
 * request, and what each step has found so far. A field is set by exactly
 * one step (named on it) and read only by the steps after it; the chain's
 * order (chain.ts) is what makes it set when read.
 */
import type { Caller, Decision, Facts, GuardOutcome, RoutedDecision, StateView, TraceEvent } from "../engine/index.js";
import type { AbortSignalLike, ChatCompletion, ChatStream, Completion, Embedded } from "../providers/index.js";
import type { CanonicalRequest, InboundApi } from "../request/index.js";
import type { World } from "../world.js";
import type { RequestHealth } from "../health/index.js";
import { NO_COUNTERS, type Counters } from "../budget/counters.js";
import type { Step } from "./compose.js";
import type { DecisionHeaders, HeaderList } from "./headers.js";
import type { RequestRecord } from "./record.js";
import type { Reply } from "./respond.js";
import type { Runtime } from "./runtime.js";

/** The request as the pipeline sees it (copied out of the HTTP edge). */
export interface ChatInput {
  /** Lower-case names. */
  headers: Readonly<Record<string, string>>;
  path: string;
  /** The body; rejects with a `GatewayError` (413) when it is too large. */
  body(): Promise<Uint8Array>;
  /** Aborts when the client goes away. */
  signal: AbortSignalLike;
  /** The inbound API of the path; chat when absent. */
  api?: InboundApi;
}

/** What the execute step got from upstream. */
export type Answered =
  | { kind: "completion"; target: string; completion: Completion }
  | { kind: "stream"; target: string; stream: ChatStream }
  | { kind: "embedding"; target: string; embedded: Embedded };

/** One request's context; fields without an initial value are set by the step named on them. */
export class ChatContext {
  /** `world.now()` when the request started (the deadline counts from here). */
  readonly started: number;
  /** The decision headers so far (every reply carries them). */
  readonly meta: DecisionHeaders;
  /** More reply headers for a successful answer (budget warnings, `x-ratelimit-*`). */
  readonly headers: HeaderList = [];
  /** auth */
  caller!: Caller;
  /** decode: the canonical request every later step reads (runtime/request/model.ts). */
  request!: CanonicalRequest;
  /** decode of another inbound API: the body as the caller sent it (a Response echoes parts of it). */
  raw: Readonly<Record<string, unknown>> = EMPTY;
  /** facts: everything the model will read, in reading order (runtime/request/text.ts), computed once. */
  texts!: readonly string[];
  /** facts */
  facts!: Facts;
  /** explain (present when decisions are logged): the decide step's trace events. */
  trace: TraceEvent[] | undefined = undefined;
  /** decide; admit replaces it with the re-planned decision it admitted. */
  decision!: Decision;
  /** decide: the state view the decision read (its draw included), and the counters in it (empty unless it was traced). */
  view!: StateView;
  /** decide, when the graph has health policies: this request's window on the tracker (execute reports tries to it). */
  health: RequestHealth | undefined = undefined;
  counters: Counters = NO_COUNTERS;
  /** input guard: the request to send (a redacted copy, or `request` itself), and the verdict. */
  sent!: CanonicalRequest;
  guard: GuardOutcome | undefined = undefined;
  /** execute: what upstream answered, as it answered it. */
  answered: Answered | undefined = undefined;
  /** execute, then output guard: the completion as the caller gets it. */
  delivered: ChatCompletion | undefined = undefined;

  constructor(
    readonly rt: Runtime,
    readonly world: World,
    readonly input: ChatInput,
    readonly record: RequestRecord,
  ) {
    this.started = world.now();
    this.meta = { requestId: record.requestId, policy: rt.graph.policy };
  }
}

const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({});

/** A step of the chat chain. */
export type ChatStep = Step<ChatContext, Reply | null>;

/** The routed decision the steps after decide work on (a no-route decision never gets past decide). */
export function routed(ctx: ChatContext): RoutedDecision {
  const d = ctx.decision;
  if (d.kind !== "route") throw new Error(`pipeline: a \`${d.kind}\` decision reached a step that executes`);
  return d;
}
