/**
 * What happened to one request, as typed events the steps append in the
 * order they happen. The pipeline only writes it; the observers (metrics,
 * access log, spans: runtime/observe) read it once the request is finished,
 * by folding it into one view (observe/request.ts). A new step that has
 * something to report adds an event kind here and its reader there.
 */
import type { SourceRef } from "../../compiler/graph.js";
import type { AttemptRecord, Caller, Explanation, Facts, GuardHit, SkippedTarget, UnfitTarget } from "../engine/index.js";
import type { ChatCompletion, Usage } from "../providers/index.js";
import type { TryTiming } from "./execute.js";
import type { CanonicalRequest, ShapeChange } from "../request/index.js";
import type { EmbeddingUse } from "./semantic.js";

export type RecordEvent =
  /** The caller was authenticated. */
  | { readonly kind: "caller"; readonly caller: Caller }
  /** The body was read and decoded (`request`: the canonical request, a reference; span attributes read its parameters). */
  | { readonly kind: "request"; readonly model: string; readonly stream: boolean; readonly request: CanonicalRequest }
  /** A route matched; `startMs`/`endMs` are monotonic readings around the decide step, when steps are timed. */
  | { readonly kind: "routed"; readonly route: string; readonly span: SourceRef; readonly startMs?: number; readonly endMs?: number }
  /** The route's health policy moved these ejected targets to the end of the plan. */
  | { readonly kind: "skipped"; readonly skipped: readonly SkippedTarget[] }
  /** These targets cannot take the request (engine/fit.ts): left out of the plan. */
  | { readonly kind: "unfit"; readonly unfit: readonly UnfitTarget[] }
  /** No route matched (the decide step's timing, for the span). */
  | { readonly kind: "unrouted"; readonly startMs: number; readonly endMs: number }
  /** The decision record (`aigw explain`'s JSON), when decisions are logged. */
  | { readonly kind: "explained"; readonly decision: Explanation }
  /** Guardrails ran on the input (`endMs`: monotonic) or on the output. */
  | { readonly kind: "guarded"; readonly direction: "input" | "output"; readonly redacted: readonly GuardHit[]; readonly flagged: readonly GuardHit[]; readonly blocked: GuardHit | undefined; readonly endMs?: number }
  /** The route's shaping changed these parameters of the request to send (lang/SPEC.md §4.8.2). */
  | { readonly kind: "shaped"; readonly changes: readonly ShapeChange[] }
  /** With `log_bodies`: the request as sent upstream (after redaction), and what reading it needs. */
  | { readonly kind: "bodies"; readonly request: CanonicalRequest; readonly guardrails: readonly string[]; readonly facts: Facts }
  /** With `log_bodies`: the completion as answered (after output guardrails). */
  | { readonly kind: "completion"; readonly completion: ChatCompletion }
  /** The route's cache was consulted: `entry` is the first 16 hex digits of the key; a hit names the entry's target and usage (what it saved). */
  | {
      readonly kind: "cache";
      readonly cache: string;
      readonly result: "hit" | "miss" | "bypass" | "ineligible";
      readonly entry?: string;
      readonly target?: string;
      readonly usage?: Usage;
      /** A semantic hit: the cosine similarity of the request's text to the entry's. */
      readonly similarity?: number;
      /** A semantic cache embedded the request's text (on a hit or a miss after the exact lookup). */
      readonly embedding?: EmbeddingUse;
    }
  /** The reply was stored in the cache, in `bytes` (compressed). */
  | { readonly kind: "cache-stored"; readonly cache: string; readonly bytes: number }
  /** One upstream try, timed. */
  | { readonly kind: "try"; readonly timing: TryTiming }
  /** The tries are over: their history, the target that answered and, for a completion, what it answered as received (its usage, id, model, finish reasons). */
  | { readonly kind: "attempts"; readonly attempts: readonly AttemptRecord[]; readonly target?: string; readonly usage?: Usage; readonly completion?: ChatCompletion }
  /** The request was answered with an error (`internal`: an unexpected failure, logged and never sent). */
  | {
      readonly kind: "failed";
      readonly status: number;
      readonly code?: string;
      readonly by?: { readonly kind: "budget" | "limit"; readonly name: string };
      readonly internal?: unknown;
    }
  /** The HTTP edge answered on its own (408: the body was late). */
  | { readonly kind: "edge"; readonly status: number; readonly code: string };

/** The events of one request, and its id. */
export class RequestRecord {
  readonly events: RecordEvent[] = [];
  constructor(readonly requestId: string) {}

  add(event: RecordEvent): void {
    this.events.push(event);
  }
}
