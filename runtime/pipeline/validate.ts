/**
 * Parses and checks an OpenAI chat completion request body. Hand-written
 * rather than a JSON Schema: it runs on every request, and the error must
 * name the JSON path of the bad field (`messages[2].content`) the way the
 * OpenAI API does in `param`. Unknown fields are kept and passed through;
 * only the fields the gateway or the adapters read are checked.
 */
import { isUtf8 } from "node:buffer";
import type { ChatCompletionRequest } from "../providers/openai-wire.js";
import { KNOWN_PART_TYPES } from "../request/index.js";
import { LARGEST_CONTEXT_TOKENS, MAX_CHOICES } from "../budget/cost.js";
import { GatewayError } from "./errors.js";

/** A checked chat completion request (the providers' wire type); unknown fields ride along for pass-through. */
export type ChatRequest = ChatCompletionRequest;

type Json = Record<string, unknown>;

const ROLES = new Set(["system", "developer", "user", "assistant", "tool", "function"]);

function bad(param: string, message: string): GatewayError {
  return new GatewayError("invalid_request", message, { param });
}

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * How deep arrays and objects may nest in a request body. JSON.parse itself
 * copes with any depth, but the steps after it (guardrails, token counting,
 * re-serialising for the upstream) walk the body recursively, and 100k
 * nested `[` overflow their stack: a 500 at best. Legitimate requests,
 * tool schemas included, nest a few tens of levels at most.
 */
export const MAX_JSON_DEPTH = 128;

/**
 * Refuses a body not declared as JSON with 415: `application/json`, with
 * any parameters (`; charset=utf-8`), case-insensitive. A missing
 * content type is refused too: a web page can POST `text/plain` or an
 * untyped body to a local gateway cross-site without a CORS preflight, and
 * only a JSON content type forces one.
 */
export function checkJsonContentType(contentType: string | undefined): void {
  const media = (contentType ?? "").split(";", 1)[0]!.trim().toLowerCase();
  if (media === "application/json") return;
  const seen = contentType === undefined || media === "" ? "no content-type" : `content-type \`${media.slice(0, 100)}\``;
  throw new GatewayError("unsupported_media_type", `request body must be json: expected content-type \`application/json\`, got ${seen}`);
}

/**
 * Parses the raw body as JSON; a parse error is a 400 with the parser's
 * position. Bytes must be UTF-8 (RFC 8259): invalid sequences are refused
 * rather than silently turned into U+FFFD and sent on to a model.
 */
export function parseJsonBody(body: Uint8Array | string): unknown {
  let text: string;
  if (typeof body === "string") {
    text = body;
  } else {
    const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    if (!isUtf8(bytes)) throw new GatewayError("invalid_json", "request body is not valid utf-8");
    text = bytes.toString("utf8");
  }
  if (text.length === 0) throw new GatewayError("invalid_json", "request body is empty: expected a json object");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new GatewayError("invalid_json", `request body is not valid json: ${detail}`);
  }
  checkDepth(value);
  return value;
}

/**
 * Refuses a body nesting deeper than {@link MAX_JSON_DEPTH}, naming the
 * top-level field it is under. Iterative, so the check itself cannot
 * overflow; it visits only arrays and objects, so long strings cost nothing.
 */
function checkDepth(root: unknown): void {
  if (typeof root !== "object" || root === null) return;
  const values: object[] = [root];
  const depths: number[] = [1];
  const fields: (string | null)[] = [null];
  while (values.length > 0) {
    const v = values.pop()!;
    const depth = depths.pop()!;
    const field = fields.pop()!;
    if (depth > MAX_JSON_DEPTH) {
      const where = field === null ? "request body" : `\`${field}\``;
      throw new GatewayError("invalid_request", `${where} nests deeper than ${MAX_JSON_DEPTH} levels`, { param: field });
    }
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const x: unknown = v[i];
        if (typeof x === "object" && x !== null) {
          values.push(x);
          depths.push(depth + 1);
          fields.push(field);
        }
      }
      continue;
    }
    for (const k in v) {
      const x = (v as Record<string, unknown>)[k];
      if (typeof x === "object" && x !== null) {
        values.push(x);
        depths.push(depth + 1);
        fields.push(depth === 1 ? k : field);
      }
    }
  }
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

function checkMessage(m: unknown, path: string): void {
  if (!isObject(m)) throw bad(path, `\`${path}\` must be an object`);
  if (typeof m.role !== "string") throw bad(`${path}.role`, `\`${path}.role\` must be a string`);
  if (!ROLES.has(m.role)) {
    throw bad(`${path}.role`, `\`${path}.role\` must be one of system, developer, user, assistant, tool (got \`${m.role}\`)`);
  }
  const c = m.content;
  if (c === undefined || c === null) {
    // only an assistant message that calls tools (or a legacy function call) may omit its content
    if (m.role !== "assistant") throw bad(`${path}.content`, `\`${path}.content\` is required for a \`${m.role}\` message`);
  } else if (Array.isArray(c)) {
    for (let j = 0; j < c.length; j++) checkPart(c[j], `${path}.content[${j}]`, m.role);
  } else if (typeof c !== "string") {
    throw bad(`${path}.content`, `\`${path}.content\` must be a string or an array of content parts`);
  }
  if (m.name !== undefined && typeof m.name !== "string") throw bad(`${path}.name`, `\`${path}.name\` must be a string`);
  if (m.role === "tool" && typeof m.tool_call_id !== "string") {
    throw bad(`${path}.tool_call_id`, `\`${path}.tool_call_id\` must be a string for a \`tool\` message`);
  }
  if (m.tool_calls !== undefined && m.tool_calls !== null) {
    if (!Array.isArray(m.tool_calls)) throw bad(`${path}.tool_calls`, `\`${path}.tool_calls\` must be an array`);
    for (let j = 0; j < m.tool_calls.length; j++) checkToolCall(m.tool_calls[j], `${path}.tool_calls[${j}]`);
  }
}

/**
 * A content part. Its type must be one the gateway understands
 * (`KNOWN_PART_TYPES`): a part nobody here reads could still reach the model
 * through an adapter, past every guardrail. A `refusal` part is what an
 * assistant said when it declined; OpenAI accepts it only in assistant
 * messages, and so does the gateway (elsewhere it would be a way to pass
 * text in a field a caller has no reason to use).
 */
function checkPart(p: unknown, path: string, role: string): void {
  if (!isObject(p)) throw bad(path, `\`${path}\` must be an object`);
  if (typeof p.type !== "string") throw bad(`${path}.type`, `\`${path}.type\` must be a string`);
  if (!KNOWN_PART_TYPES.has(p.type)) {
    throw bad(`${path}.type`, `\`${path}.type\` must be one of ${[...KNOWN_PART_TYPES].join(", ")} (got \`${clip(p.type)}\`)`);
  }
  if (p.type === "refusal") {
    if (role !== "assistant") throw bad(`${path}.type`, `\`${path}.type\` \`refusal\` is only allowed in an \`assistant\` message`);
    if (typeof p.refusal !== "string") throw bad(`${path}.refusal`, `\`${path}.refusal\` must be a string`);
  }
  if (p.type === "text" && typeof p.text !== "string") throw bad(`${path}.text`, `\`${path}.text\` must be a string`);
  if (p.type === "image_url") {
    if (!isObject(p.image_url)) throw bad(`${path}.image_url`, `\`${path}.image_url\` must be an object`);
    if (typeof p.image_url.url !== "string") throw bad(`${path}.image_url.url`, `\`${path}.image_url.url\` must be a string`);
  }
}

/** A caller's string shown in an error, cut to a readable length. */
function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

function checkToolCall(t: unknown, path: string): void {
  if (!isObject(t)) throw bad(path, `\`${path}\` must be an object`);
  if (typeof t.id !== "string") throw bad(`${path}.id`, `\`${path}.id\` must be a string`);
  if (t.type !== undefined && t.type !== "function") throw bad(`${path}.type`, `\`${path}.type\` must be \`function\``);
  if (!isObject(t.function)) throw bad(`${path}.function`, `\`${path}.function\` must be an object`);
  if (typeof t.function.name !== "string") throw bad(`${path}.function.name`, `\`${path}.function.name\` must be a string`);
  if (typeof t.function.arguments !== "string") {
    throw bad(`${path}.function.arguments`, `\`${path}.function.arguments\` must be a string`);
  }
}

function checkTools(tools: unknown): void {
  if (!Array.isArray(tools)) throw bad("tools", "`tools` must be an array");
  for (let i = 0; i < tools.length; i++) {
    const path = `tools[${i}]`;
    const t = tools[i];
    if (!isObject(t)) throw bad(path, `\`${path}\` must be an object`);
    if (t.type !== "function") throw bad(`${path}.type`, `\`${path}.type\` must be \`function\``);
    const f = t.function;
    if (!isObject(f)) throw bad(`${path}.function`, `\`${path}.function\` must be an object`);
    if (typeof f.name !== "string" || f.name.length === 0) {
      throw bad(`${path}.function.name`, `\`${path}.function.name\` must be a non-empty string`);
    }
    if (f.description !== undefined && typeof f.description !== "string") {
      throw bad(`${path}.function.description`, `\`${path}.function.description\` must be a string`);
    }
    if (f.parameters !== undefined && !isObject(f.parameters)) {
      throw bad(`${path}.function.parameters`, `\`${path}.function.parameters\` must be an object`);
    }
    if (f.strict !== undefined && f.strict !== null && typeof f.strict !== "boolean") {
      throw bad(`${path}.function.strict`, `\`${path}.function.strict\` must be a boolean`);
    }
  }
}

function checkToolChoice(c: unknown): void {
  if (typeof c === "string") {
    if (c !== "none" && c !== "auto" && c !== "required") {
      throw bad("tool_choice", "`tool_choice` must be `none`, `auto`, `required` or an object naming a function");
    }
    return;
  }
  if (!isObject(c)) throw bad("tool_choice", "`tool_choice` must be a string or an object");
  if (c.type !== "function") throw bad("tool_choice.type", "`tool_choice.type` must be `function`");
  if (!isObject(c.function) || typeof c.function.name !== "string") {
    throw bad("tool_choice.function.name", "`tool_choice.function.name` must be a string");
  }
}

function checkStop(s: unknown): void {
  if (s === undefined || s === null || typeof s === "string") return;
  if (!Array.isArray(s)) throw bad("stop", "`stop` must be a string or an array of strings");
  for (let i = 0; i < s.length; i++) {
    if (typeof s[i] !== "string") throw bad(`stop[${i}]`, `\`stop[${i}]\` must be a string`);
  }
}

function checkMetadata(m: unknown): void {
  if (m === undefined || m === null) return;
  if (!isObject(m)) throw bad("metadata", "`metadata` must be an object of strings");
  for (const k of Object.keys(m)) {
    if (typeof m[k] !== "string") throw bad(`metadata.${k}`, `\`metadata.${k}\` must be a string`);
  }
}
