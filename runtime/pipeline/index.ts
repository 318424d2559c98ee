/**
 * The request pipeline's public entry: the chat chain and its steps, the one
 * error mapping, and the per-graph runtime. No HTTP framework types: the
 * server hands in plain requests and a response sink.
 */
export { createRuntime, type ChatOutcome, type Runtime, type RuntimeOptions } from "./runtime.js";
export { ChatContext, type Answered, type ChatInput, type ChatStep } from "./context.js";
export { chatSteps, type ChainFeatures } from "./chain.js";
export { compose, type Step } from "./compose.js";
export { RequestRecord, type RecordEvent } from "./record.js";
export { RefusalError, resetText } from "./refusals.js";
export { authenticate, bearerToken, CallerIndex, credentialOf, hashKey, identify, type Caller, type Identifiers } from "./auth.js";
export { checkJsonContentType, parseChatRequest, parseJsonBody, validateChatRequest, type ChatRequest } from "./validate.js";
export { guardInput, type GuardResult } from "./guard.js";
export { execute, outcomeOf, type ExecuteOptions, type ExecuteResult, type TryTiming } from "./execute.js";
export type { EmbeddingUse } from "./semantic.js";
export { writeReply, type Reply, type ResponseSink, type Written } from "./respond.js";
export { attemptsHeader, decisionHeaders, type DecisionHeaders, type HeaderList } from "./headers.js";
export { requestIds } from "./request-id.js";
export {
  attemptsError,
  ERROR_KINDS,
  errorBody,
  errorEvent,
  errorInfo,
  type ErrorInfo,
  fromUpstream,
  GatewayError,
  toErrorReply,
  type ErrorCode,
  type ErrorReply,
  type GatewayErrorOptions,
} from "./errors.js";
