/**
 * `aigw explain`'s entry: decides a request given as a file (`{ headers,
 * body }`) and explains the decision with the same record the server logs
 * (engine/explain-decision.ts). Policy tooling: the server never imports it.
 */
import type { Graph } from "../../compiler/graph.js";
import {
  applyGuardrails,
  bearerToken,
  CHAT_ENDPOINT,
  decide,
  emptyState,
  explainDecision,
  factsFromRequest,
  prepare,
  withoutCredentials,
  type Caller,
  type ExplainInput,
  type Explanation,
  type StateView,
  type Tokenizer,
  type TraceEvent,
} from "../engine/index.js";
import { GatewayError } from "../pipeline/errors.js";
import { callerOf } from "../pipeline/auth.js";
import { validateChatRequest } from "../pipeline/validate.js";
import { decodeChat, requestTexts, type CanonicalRequest } from "../request/index.js";
import { TokenVerifier, unverifiedCaller } from "../identity/index.js";

/** The draw used when the caller gives no state: explanations must be repeatable. */
export const DEFAULT_DRAW = 0.5;

/** What `explainRequest` may be given; everything is optional. */
export interface ExplainOptions {
  /** Budgets, limits and the draw. Default: nothing spent, draw {@link DEFAULT_DRAW}. */
  state?: StateView;
  /** Needed when a condition reads `input_tokens` and the byte length does not decide it. */
  tokenizer?: Tokenizer;
  /** The caller, already authenticated (the server passes its own). */
  caller?: Caller;
  /** Without `caller`: hashes a bearer key (sha256 → `sha256:<hex>`) to look it up in the policy's `keys`. */
  hashKey?: (key: string) => string;
  /** The request path. Default `/v1/chat/completions`. */
  endpoint?: string;
  /** When the request arrives (the time facts), ms since the epoch. Default 0; `aigw explain` passes `--at` or its clock. */
  atMs?: number;
}

/** Thrown by `explainRequest` for a request that is not `{ headers, body: { model, … } }`. */
export class ExplainRequestError extends Error {
  override readonly name = "ExplainRequestError";
}

/**
 * Why a value is not a request `explainRequest` can explain, or undefined
 * when it is: an object with `headers` (an object of strings, optional) and
 * `body` (an object with a string `model`). Deliberately light: the server
 * validates bodies fully; this catches the mistakes of a hand-written file.
 */
export function explainInputProblem(value: unknown): string | undefined {
  if (!isObject(value)) return "the request must be a json object with `headers` and `body`";
  for (const k of Object.keys(value)) if (k !== "headers" && k !== "body") return `unknown field \`${k}\`: expected \`headers\` and \`body\``;
  const headers = value["headers"];
  if (headers !== undefined) {
    if (!isObject(headers)) return "`headers` must be an object of strings";
    for (const [k, v] of Object.entries(headers)) if (typeof v !== "string") return `\`headers.${k}\` must be a string`;
  }
  const body = value["body"];
  if (body === undefined) return "the request has no `body`: expected an OpenAI chat completion request";
  if (!isObject(body)) return "`body` must be a json object (an OpenAI chat completion request)";
  if (body["model"] === undefined) return "`body` has no `model`";
  if (typeof body["model"] !== "string" || body["model"] === "") return "`body.model` must be a non-empty string";
  if (body["messages"] !== undefined && !Array.isArray(body["messages"])) return "`body.messages` must be an array";
  return undefined;
}

/**
 * Decides a request and explains the decision: the facts read, every route
 * considered and why, the split, the attempt plan, what the route's
 * guardrails do to the input, the budgets and limits with their state, and
 * the outcome. Throws {@link ExplainRequestError} for a malformed request,
 * and `GraphError` only for a malformed graph.
 */
export function explainRequest(graph: Graph, request: ExplainInput, options: ExplainOptions = {}): Explanation {
  const problem = explainInputProblem(request);
  if (problem !== undefined) throw new ExplainRequestError(problem);
  const req = canonicalOf(request.body as Record<string, unknown>);
  const texts = requestTexts(req);
  const headers = request.headers ?? {};
  const caller = options.caller ?? callerFromKeys(graph, headers, options.hashKey);
  const time = { atMs: options.atMs ?? 0, ...(graph.gateway.timezone !== undefined ? { timezone: graph.gateway.timezone } : {}) };
  const facts = factsFromRequest(req, texts, withoutCredentials(headers), caller, options.tokenizer, options.endpoint ?? CHAT_ENDPOINT, time);
  const events: TraceEvent[] = [];
  const prepared = prepare(graph);
  const decision = decide(prepared, facts, options.state ?? emptyState(DEFAULT_DRAW), { tracer: (e) => void events.push(e) });
  const guard = decision.kind === "no-route" ? undefined : applyGuardrails(prepared, decision.guardrails, "input", facts, texts);
  return explainDecision(graph, facts, decision, events, guard, bearerToken(headerValue(headers, "authorization")) !== undefined);
}

/**
 * The body as the gateway decodes it (runtime/request/chat.ts); a body the
 * gateway would refuse is an {@link ExplainRequestError} naming the field.
 * A file may leave the messages out (to explain routing on the model and
 * headers alone): that is a request with none.
 */
function canonicalOf(body: Record<string, unknown>): CanonicalRequest {
  const none = body["messages"] === undefined || (Array.isArray(body["messages"]) && body["messages"].length === 0);
  try {
    // The gateway refuses an empty list; the stand-in message is checked and then taken out again.
    const wire = validateChatRequest(none ? { ...body, messages: [{ role: "user", content: "" }] } : body);
    return decodeChat(none ? { ...wire, messages: [] } : wire);
  } catch (err) {
    if (err instanceof GatewayError) throw new ExplainRequestError(`\`body\` would be refused: ${err.message}`);
    throw err;
  }
}

function callerFromKeys(graph: Graph, headers: Readonly<Record<string, string>>, hashKey: ((key: string) => string) | undefined): Caller {
  const token = bearerToken(headerValue(headers, "authorization"));
  if (token === undefined) return {};
  // A token is explained as the caller its claims describe; explain fetches no keys, so it is not verified.
  if (graph.jwt !== undefined && TokenVerifier.isToken(token)) return unverifiedCaller(graph.jwt, token) ?? {};
  if (hashKey === undefined) return {};
  const hash = hashKey(token);
  return Object.hasOwn(graph.keys, hash) ? callerOf(graph, hash) : {};
}

function headerValue(headers: Readonly<Record<string, string>>, name: string): string | undefined {
  for (const k of Object.keys(headers)) if (k.toLowerCase() === name) return headers[k];
  return undefined;
}

// Credential headers (bearer.ts) are never shown; facts built by the server and by explain
// never hold them, and if given facts do, their values are scrubbed from every string.
function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

// The record itself is the engine's (the server builds it too); re-exported for the tooling's callers.
export { explainDecision, windowText } from "../engine/index.js";
export type * from "../engine/explain-record.js";
