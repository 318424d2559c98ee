/**
 * Parses and checks an OpenAI chat completion request body. Hand-written
 * rather than a JSON Schema: it runs on every request, and the error must
 * name the JSON path of the bad field (`messages[2].content`) the way the
 * OpenAI API does in `param`. Unknown fields are kept and passed through;
 * only the fields the gateway or the adapters read are checked.
 */
import { LARGEST_CONTEXT_TOKENS, MAX_CHOICES } from "../budget/cost.js";
import type { ChatCompletionRequest } from "../request/openai-wire.js";
import { GatewayError } from "./errors.js";
import { parseJsonBody } from "./json-body.js";
import { checkFunctions, checkMessage, checkMetadata, checkStop, checkToolChoice, checkTools } from "./validate-fields.js";

export { checkJsonContentType, MAX_JSON_DEPTH, parseJsonBody } from "./json-body.js";

/** A checked chat completion request (the providers' wire type); unknown fields ride along for pass-through. */
export type ChatRequest = ChatCompletionRequest;

type Json = Record<string, unknown>;

function bad(param: string, message: string): GatewayError {
  return new GatewayError("invalid_request", message, { param });
}

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Parses and validates a chat completion body; throws a 400 {@link GatewayError} naming the bad field. */
export function parseChatRequest(body: Uint8Array | string): ChatRequest {
  return validateChatRequest(parseJsonBody(body));
}

/** Validates an already-parsed chat completion body. */
export function validateChatRequest(v: unknown): ChatRequest {
  if (!isObject(v)) throw new GatewayError("invalid_request", "request body must be a json object");
  if (v.model === undefined || v.model === null) throw bad("model", "you must provide a `model` parameter");
  if (typeof v.model !== "string" || v.model.length === 0) throw bad("model", "`model` must be a non-empty string");
  if (v.messages === undefined || v.messages === null) throw bad("messages", "you must provide a `messages` parameter");
  if (!Array.isArray(v.messages)) throw bad("messages", "`messages` must be an array");
  if (v.messages.length === 0) throw bad("messages", "`messages` must contain at least one message");
  for (let i = 0; i < v.messages.length; i++) checkMessage(v.messages[i], `messages[${i}]`);

  optional(v, "stream", "boolean");
  if (v.stream_options !== undefined && v.stream_options !== null) {
    if (!isObject(v.stream_options)) throw bad("stream_options", "`stream_options` must be an object");
    optional(v.stream_options, "include_usage", "boolean", "stream_options.");
  }
  // Bounded so the worst case a budget reserves stays an exact integer (runtime/budget/cost.ts): no model
  // writes more than its context, and an absurd amount is the caller's mistake (400), not a store outage.
  positiveInt(v, "max_tokens", LARGEST_CONTEXT_TOKENS);
  positiveInt(v, "max_completion_tokens", LARGEST_CONTEXT_TOKENS);
  positiveInt(v, "n", MAX_CHOICES);
  numberIn(v, "temperature", 0, 2);
  numberIn(v, "top_p", 0, 1);
  numberIn(v, "presence_penalty", -2, 2);
  numberIn(v, "frequency_penalty", -2, 2);
  optional(v, "user", "string");
  optional(v, "parallel_tool_calls", "boolean");
  optional(v, "logprobs", "boolean");
  if (v.seed !== undefined && v.seed !== null && !Number.isInteger(v.seed)) throw bad("seed", "`seed` must be an integer");
  checkStop(v.stop);
  checkMetadata(v.metadata);
  if (v.response_format !== undefined && v.response_format !== null) {
    if (!isObject(v.response_format)) throw bad("response_format", "`response_format` must be an object");
    if (typeof v.response_format.type !== "string") throw bad("response_format.type", "`response_format.type` must be a string");
  }
  if (v.tools !== undefined && v.tools !== null) checkTools(v.tools);
  if (v.functions !== undefined && v.functions !== null) checkFunctions(v.functions);
  if (v.tool_choice !== undefined && v.tool_choice !== null) checkToolChoice(v.tool_choice);
  return v as unknown as ChatRequest;
}

function optional(o: Json, field: string, type: "boolean" | "string", prefix = ""): void {
  const x = o[field];
  if (x !== undefined && x !== null && typeof x !== type) throw bad(prefix + field, `\`${prefix + field}\` must be a ${type}`);
}

function positiveInt(o: Json, field: string, max: number): void {
  const x = o[field];
  if (x === undefined || x === null) return;
  if (typeof x !== "number" || !Number.isInteger(x) || x < 1) throw bad(field, `\`${field}\` must be a positive integer`);
  if (x > max) throw bad(field, `\`${field}\` must be at most ${max} (got ${x})`);
}

function numberIn(o: Json, field: string, min: number, max: number): void {
  const x = o[field];
  if (x === undefined || x === null) return;
  if (typeof x !== "number" || !Number.isFinite(x)) throw bad(field, `\`${field}\` must be a number`);
  if (x < min || x > max) throw bad(field, `\`${field}\` must be between ${min} and ${max}`);
}

