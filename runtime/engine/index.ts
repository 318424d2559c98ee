/**
 * The engine's public entry: the one pure evaluator shared by the server,
 * `aigw check` and `aigw explain`, and the decision record it explains itself
 * with. No I/O; clocks, randomness and state come in as parameters. Policy
 * tooling (tests, the reference interpreter, `explainRequest`) lives in
 * runtime/policy/, which the server never imports.
 */
export { decide, scopeKey, type DecideOptions } from "./decide.js";
export type {
  BudgetCharge,
  Decision,
  LimitCharge,
  NoRouteDecision,
  RejectedDecision,
  RouteRef,
  RoutedDecision,
  SplitChoice,
} from "./decision.js";
export {
  CHAT_ENDPOINT,
  factsFromRequest,
  factsFromTestRequest,
  makeFacts,
  utf8Length,
  type Caller,
  type Facts,
  type FactsInit,
  type RequestTime,
} from "./facts.js";
export { compareTokens, countAhead, loadTokenizer, loadedTokenizer, tokenFloor, type Tokenizer } from "./tokens.js";
export { prepare, type PreparedCache, type PreparedGraph, type PreparedRoute } from "./prepare.js";
export { bypassAsked, cacheVerdict, scopeValue, type CacheVerdict } from "./cache.js";
export { GraphError } from "./expr.js";
export { emptyState, NO_SCOPE_VALUE, type StateView } from "./state.js";
export { describeTraceEvent, type TraceEvent, type Tracer } from "./trace.js";
export { exprText, explainExpr, factText } from "./explain.js";
export { pickByDraw, pickByKey, makeArms } from "./split.js";
export { DEFAULT_FALLBACK_ON, isRefusal, reasonMatches, type AttemptPlan, type FailureCause, type PlannedTarget } from "./plan.js";
export {
  backoff,
  callerStatus,
  next,
  retryCount,
  startAttempts,
  triedModels,
  type AttemptAction,
  type AttemptOptions,
  type AttemptRecord,
  type AttemptState,
  type AttemptsError,
  type Outcome,
} from "./attempts.js";
export { runPlan, type PlanDriver, type PlanRun, type TryReply } from "./run-plan.js";
export { LARGEST_CONTEXT_TOKENS, pickCheapest, worstCost } from "./cheapest.js";
export { describeUnfit, lackParam, unfitMessage, type Lack, type UnfitTarget } from "./fit.js";
export { describeEjection, HEALTHY, orderByHealth, PROBE, type EjectCause, type SkippedTarget, type TargetHealth } from "./live.js";
export { applyGuardrails, type GuardHit, type GuardOutcome } from "./guardrails.js";
export { redactText, type Redaction } from "./redact.js";
export { BUILTIN_DETECTORS, compileDetector, type Detector } from "./detectors/index.js";
export { seededRandom, seedOf } from "./random.js";


export { explainDecision, windowText } from "./explain-decision.js";
export type * from "./explain-record.js";
export { bearerToken, CREDENTIAL_HEADERS, withoutCredentials } from "./bearer.js";
