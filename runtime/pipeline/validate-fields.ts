/**
 * The field checks of a chat completion request (validate.ts runs them):
 * messages and their parts, tool calls, tools, tool choice, stop and
 * metadata, each failing with a 400 that names the JSON path at fault.
 */
import { KNOWN_PART_TYPES } from "../request/index.js";
import { GatewayError } from "./errors.js";

type Json = Record<string, unknown>;

const ROLES = new Set(["system", "developer", "user", "assistant", "tool", "function"]);

function bad(param: string, message: string): GatewayError {
  return new GatewayError("invalid_request", message, { param });
}

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function checkMessage(m: unknown, path: string): void {
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
  // The legacy single call an assistant made (before `tool_calls`): the model reads it the same way.
  if (m.function_call !== undefined && m.function_call !== null) strings(m.function_call, `${path}.function_call`, ["name", "arguments"], []);
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
  if (p.type === "input_audio") strings(p.input_audio, `${path}.input_audio`, ["data", "format"], []);
  if (p.type === "file") strings(p.file, `${path}.file`, [], ["file_data", "file_id", "filename"]);
}

/** An object whose `required` fields are strings, and whose `optional` ones are strings when present. */
function strings(o: unknown, path: string, required: readonly string[], optional: readonly string[]): void {
  if (!isObject(o)) throw bad(path, `\`${path}\` must be an object`);
  for (const k of required) if (typeof o[k] !== "string") throw bad(`${path}.${k}`, `\`${path}.${k}\` must be a string`);
  for (const k of optional) if (o[k] !== undefined && typeof o[k] !== "string") throw bad(`${path}.${k}`, `\`${path}.${k}\` must be a string`);
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

/** `tools`; `legacy` is the path of a `functions` entry, checked as a tool's function. */
export function checkTools(tools: unknown, legacy?: string): void {
  if (!Array.isArray(tools)) throw bad("tools", "`tools` must be an array");
  for (let i = 0; i < tools.length; i++) {
    const path = `tools[${i}]`;
    const t = tools[i];
    if (!isObject(t)) throw bad(path, `\`${path}\` must be an object`);
    if (t.type !== "function") throw bad(`${path}.type`, `\`${path}.type\` must be \`function\``);
    const f = t.function;
    const fpath = legacy ?? `${path}.function`;
    if (!isObject(f)) throw bad(fpath, `\`${fpath}\` must be an object`);
    if (typeof f.name !== "string" || f.name.length === 0) {
      throw bad(`${fpath}.name`, `\`${fpath}.name\` must be a non-empty string`);
    }
    if (f.description !== undefined && typeof f.description !== "string") {
      throw bad(`${fpath}.description`, `\`${fpath}.description\` must be a string`);
    }
    if (f.parameters !== undefined && !isObject(f.parameters)) {
      throw bad(`${fpath}.parameters`, `\`${fpath}.parameters\` must be an object`);
    }
    if (f.strict !== undefined && f.strict !== null && typeof f.strict !== "boolean") {
      throw bad(`${fpath}.strict`, `\`${fpath}.strict\` must be a boolean`);
    }
  }
}

/** The legacy `functions` (before `tools`): function definitions, checked as a tool's `function` is. */
export function checkFunctions(fs: unknown): void {
  if (!Array.isArray(fs)) throw bad("functions", "`functions` must be an array");
  for (let i = 0; i < fs.length; i++) checkTools([{ type: "function", function: fs[i] }], `functions[${i}]`);
}

export function checkToolChoice(c: unknown): void {
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

export function checkStop(s: unknown): void {
  if (s === undefined || s === null || typeof s === "string") return;
  if (!Array.isArray(s)) throw bad("stop", "`stop` must be a string or an array of strings");
  for (let i = 0; i < s.length; i++) {
    if (typeof s[i] !== "string") throw bad(`stop[${i}]`, `\`stop[${i}]\` must be a string`);
  }
}

export function checkMetadata(m: unknown): void {
  if (m === undefined || m === null) return;
  if (!isObject(m)) throw bad("metadata", "`metadata` must be an object of strings");
  for (const k of Object.keys(m)) {
    if (typeof m[k] !== "string") throw bad(`metadata.${k}`, `\`metadata.${k}\` must be a string`);
  }
}
