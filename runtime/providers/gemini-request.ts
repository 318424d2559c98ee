/**
 * The `generateContent` request (Gemini API and Vertex AI), encoded from
 * the canonical request's portable form (runtime/request/portable.ts):
 * system and developer messages become `systemInstruction`, the assistant
 * is `model`, tool results are `functionResponse` parts of a user turn
 * (named after the call they answer; Gemini matches by name), images and
 * files in data URLs `inlineData`. Remote image URLs are refused rather
 * than fetched: the gateway does not make requests on a caller's behalf.
 * Ids the gateway made up for calls that came without one are not sent
 * back; a call's thought signature, carried in its id, is (gemini-ids.ts).
 *
 * Mapped: temperature, top_p, max_tokens/max_completion_tokens, stop, n
 * (`candidateCount`), seed, presence/frequency penalties, Anthropic's
 * `top_k`, `response_format` (`json_object`, `json_schema` through
 * gemini-schema.ts), tools and `tool_choice`, `reasoning_effort` and
 * `thinking.budget_tokens` (`thinkingConfig.thinkingBudget`). Everything
 * else is refused (`TranslationError`, a 400 naming it). Pure.
 */

import type { CanonicalRequest, ContentBlock, Message, Tool, ToolChoice } from "../request/model.js";
import { portable } from "../request/portable.js";
import { TranslationError } from "./anthropic-translate.js";
import { MARKERS, refuseExtra, wireType } from "./anthropic-request.js";
import { fromCallerId } from "./gemini-ids.js";
import { toGeminiSchema } from "./gemini-schema.js";
import type { GeminiContent, GeminiFunctionDeclaration, GeminiGenerationConfig, GeminiPart, GeminiRequest, GeminiToolConfig } from "./gemini-wire.js";

/**
 * `reasoning_effort` as a thinking budget in tokens: the budgets Google
 * documents for its own OpenAI-compatible endpoint.
 */
const THINKING_BUDGET: Readonly<Record<string, number>> = { none: 0, minimal: 0, low: 1024, medium: 8192, high: 24576 };

/** Passthrough fields read elsewhere (into `output`) or asking for the default. */
const READ_OR_DEFAULT: Readonly<Record<string, (v: unknown) => boolean>> = {
  max_tokens: () => true,
  max_completion_tokens: () => true,
  stop: () => true,
  stop_sequences: () => true,
  stream: () => true,
  stream_options: () => true,
  logprobs: (v) => v === false,
  store: (v) => v === false,
};

/** The `generateContent` body for `req`; the model is named in the URL, not the body. */
export function toGeminiRequest(original: CanonicalRequest): GeminiRequest {
  const req = portable(original);
  const config: GeminiGenerationConfig = {};
  passthrough(req, config);
  const out: GeminiRequest = { contents: contents(req.messages) };
  const system = systemParts(req.messages);
  if (system.length > 0) out.systemInstruction = { parts: system };
  if (req.tools.length > 0) out.tools = [{ functionDeclarations: req.tools.map(declaration) }];
  const choice = toolConfig(req.toolChoice);
  if (choice) out.toolConfig = choice;
  if (req.parallelToolCalls === false) throw new TranslationError("`parallel_tool_calls: false` is not supported by Gemini");
  if (req.user !== undefined) throw new TranslationError("`user` is not supported by Gemini");
  if (req.metadata !== undefined) throw new TranslationError("`metadata` is not supported by Gemini");
  generation(req, config);
  if (Object.keys(config).length > 0) out.generationConfig = config;
  return out;
}

function generation(req: CanonicalRequest, config: GeminiGenerationConfig): void {
  const { output, sampling } = req;
  if (sampling.temperature !== undefined) config.temperature = sampling.temperature;
  if (sampling.topP !== undefined) config.topP = sampling.topP;
  if (output.maxTokens !== undefined) config.maxOutputTokens = output.maxTokens;
  if (output.stop !== undefined && output.stop.length > 0) config.stopSequences = [...output.stop];
  if (output.n !== undefined) config.candidateCount = output.n;
  if (output.format !== undefined) responseFormat(output.format, config);
  const r = req.reasoning;
  if (r?.budgetTokens !== undefined) config.thinkingConfig = { thinkingBudget: r.budgetTokens };
  else if (r?.effort !== undefined) config.thinkingConfig = { thinkingBudget: effortBudget(r.effort, "reasoning.effort") };
}

function responseFormat(format: Readonly<Record<string, unknown>>, config: GeminiGenerationConfig): void {
  switch (format["type"]) {
    case "text":
      return;
    case "json_object":
      config.responseMimeType = "application/json";
      return;
    case "json_schema": {
      const spec = format["json_schema"] as Record<string, unknown> | undefined;
      if (spec?.["schema"] === undefined) throw new TranslationError("`response_format.json_schema` without a `schema` is not supported by Gemini");
      config.responseMimeType = "application/json";
      config.responseSchema = toGeminiSchema(spec["schema"], "`response_format.json_schema.schema`");
      return;
    }
    default:
      throw new TranslationError(`\`response_format\` of type \`${String(format["type"])}\` is not supported by Gemini`);
  }
}

function effortBudget(effort: unknown, field: string): number {
  const budget = typeof effort === "string" ? THINKING_BUDGET[effort] : undefined;
  if (budget === undefined) throw new TranslationError(`\`${field}\` \`${String(effort)}\` is not supported by Gemini (use none, minimal, low, medium or high)`);
  return budget;
}

/** Maps the fields Gemini has a place for; refuses the rest. */
function passthrough(req: CanonicalRequest, config: GeminiGenerationConfig): void {
  const fields = req.passthrough.fields;
  for (const k of Object.keys(fields)) {
    const v = fields[k];
    if (v === null || v === undefined || READ_OR_DEFAULT[k]?.(v) === true) continue;
    if (k === "seed" && Number.isInteger(v)) config.seed = v as number;
    else if (k === "presence_penalty" && typeof v === "number") config.presencePenalty = v;
    else if (k === "frequency_penalty" && typeof v === "number") config.frequencyPenalty = v;
    else if (k === "top_k" && Number.isInteger(v)) config.topK = v as number;
    else if (k === "reasoning_effort") config.thinkingConfig = { thinkingBudget: effortBudget(v, k) };
    else throw new TranslationError(`\`${k}\` is not supported by Gemini`);
  }
}

function systemParts(messages: readonly Message[]): GeminiPart[] {
  const parts: GeminiPart[] = [];
  for (const m of messages) {
    if (m.role !== "system" && m.role !== "developer") continue;
    refuseMessage(m);
    for (const b of m.content) {
      const text = onlyText(b, m.role);
      if (text !== "") parts.push({ text });
    }
  }
  return parts;
}

function contents(messages: readonly Message[]): GeminiContent[] {
  const out: GeminiContent[] = [];
  /** Tool-call id → function name, the latest call with that id winning. */
  const names = new Map<string, string>();
  for (const m of messages) {
    if (m.role === "system" || m.role === "developer") continue;
    refuseMessage(m);
    let role: GeminiContent["role"];
    let parts: GeminiPart[];
    switch (m.role) {
      case "user":
        role = "user";
        parts = m.content.map(userPart);
        break;
      case "assistant":
        role = "model";
        parts = m.content.flatMap((b) => modelPart(b, names));
        break;
      case "tool":
        role = "user";
        parts = m.content.map((b) => functionResponse(b, names));
        break;
      default:
        throw new TranslationError(`legacy \`${m.role}\` messages are not supported by Gemini`);
    }
    if (parts.length === 0) continue;
    // Gemini wants the answers to one turn's calls in one content: merge consecutive turns of one role.
    const last = out[out.length - 1];
    if (last?.role === role) last.parts.push(...parts);
    else out.push({ role, parts });
  }
  return out;
}

function refuseMessage(m: Message): void {
  // An assistant's `content: null` and `refusal: null` say "nothing".
  refuseExtra(m.extra, `a \`${m.role}\` message`, ["content", "refusal"]);
  if (m.name !== undefined) throw new TranslationError(`\`name\` on a \`${m.role}\` message is not supported by Gemini`);
}

function userPart(b: ContentBlock): GeminiPart {
  refuseExtra(b.extra, `a \`${wireType(b)}\` part`, MARKERS);
  switch (b.kind) {
    case "text":
    case "refusal":
      return { text: b.text };
    case "image":
      if (b.detail !== undefined && b.detail !== "auto") throw new TranslationError(`\`image_url.detail\` \`${b.detail}\` is not supported by Gemini`);
      return { inlineData: dataUrl(b.url, "`image_url.url`") };
    case "file":
      if (b.data === undefined) throw new TranslationError("file references by id are not supported by Gemini: send `file_data`");
      return { inlineData: dataUrl(b.data, "`file.file_data`") };
    case "audio":
      return { inlineData: { mimeType: `audio/${b.format}`, data: b.data } };
    default:
      throw new TranslationError(`content of type \`${wireType(b)}\` is not supported by Gemini in a user message`);
  }
}

/** A base64 data URL as inline data; remote URLs are refused (the gateway does not fetch them). */
function dataUrl(url: string, field: string): { mimeType: string; data: string } {
  const match = /^data:([^;,]+)(?:;[^;,]*)*;base64,(.*)$/s.exec(url);
  if (match) return { mimeType: match[1]!, data: match[2]! };
  if (/^https?:\/\//i.test(url)) throw new TranslationError(`${field} with a remote URL is not supported by Gemini: send a base64 data: URL`);
  throw new TranslationError(`${field} must be a base64 data: URL`);
}

function modelPart(b: ContentBlock, names: Map<string, string>): GeminiPart[] {
  // A tool call's `type: "function"` is the only kind there is.
  refuseExtra(b.extra, `a \`${wireType(b)}\` part`, b.kind === "tool_call" && b.extra?.["type"] === "function" ? [...MARKERS, "type"] : MARKERS);
  if (b.kind !== "tool_call") {
    const text = onlyText(b, "assistant");
    return text === "" ? [] : [{ text }];
  }
  if (b.extra?.["legacy"] === true) throw new TranslationError("the legacy `function_call` is not supported by Gemini: send `tool_calls`");
  names.set(b.id, b.name);
  let args: unknown;
  try {
    args = b.arguments === "" ? {} : JSON.parse(b.arguments);
  } catch {
    args = undefined;
  }
  if (typeof args !== "object" || args === null || Array.isArray(args)) throw new TranslationError(`the arguments of tool call \`${b.id}\` are not a JSON object`);
  const { id, signature } = fromCallerId(b.id);
  const part: GeminiPart = { functionCall: id === undefined ? { name: b.name, args: args as Record<string, unknown> } : { id, name: b.name, args: args as Record<string, unknown> } };
  if (signature !== undefined) part.thoughtSignature = signature;
  return [part];
}

function functionResponse(b: ContentBlock, names: Map<string, string>): GeminiPart {
  if (b.kind !== "tool_result") throw new TranslationError(`a \`tool\` message can only hold a tool result, not \`${wireType(b)}\``);
  refuseExtra(b.extra, "a tool result", MARKERS);
  const name = names.get(b.toolCallId);
  if (name === undefined) throw new TranslationError(`the tool result for \`${b.toolCallId}\` answers no tool call of an earlier assistant message (Gemini needs the function's name)`);
  const output = b.content.map((c) => onlyText(c, "tool")).join("\n");
  // Google's convention: the function's result under `output`.
  const { id } = fromCallerId(b.toolCallId);
  return { functionResponse: id === undefined ? { name, response: { output } } : { id, name, response: { output } } };
}

function declaration(t: Tool): GeminiFunctionDeclaration {
  refuseExtra(t.extra, `tool \`${t.name}\``, []);
  if (t.strict === true) throw new TranslationError(`\`strict\` tools are not supported by Gemini (tool \`${t.name}\`)`);
  const d: GeminiFunctionDeclaration = { name: t.name };
  if (t.description !== undefined) d.description = t.description;
  // Gemini rejects an OBJECT without properties: a function without arguments has no `parameters`.
  if (t.parameters !== undefined && !noArguments(t.parameters)) d.parameters = toGeminiSchema(t.parameters, `the parameters of tool \`${t.name}\``);
  return d;
}

function noArguments(schema: Readonly<Record<string, unknown>>): boolean {
  const props = schema["properties"];
  const none = props === undefined || (typeof props === "object" && props !== null && Object.keys(props).length === 0);
  return none && Object.keys(schema).every((k) => k === "type" || k === "properties" || k === "additionalProperties") && (schema["type"] ?? "object") === "object";
}

function toolConfig(choice: ToolChoice | undefined): GeminiToolConfig | undefined {
  switch (choice?.kind) {
    case undefined:
      return undefined;
    case "none":
      return { functionCallingConfig: { mode: "NONE" } };
    case "auto":
      return { functionCallingConfig: { mode: "AUTO" } };
    case "required":
      return { functionCallingConfig: { mode: "ANY" } };
    case "tool":
      return { functionCallingConfig: { mode: "ANY", allowedFunctionNames: [choice.name] } };
  }
}

function onlyText(b: ContentBlock, role: string): string {
  if (b.kind === "text" || b.kind === "refusal") return b.text;
  if (b.kind === "reasoning") throw new TranslationError(`\`${String(b.extra?.["field"] ?? "reasoning")}\` sent back in a message is not supported by Gemini`);
  throw new TranslationError(`a \`${role}\` message can only hold text for Gemini, not \`${wireType(b)}\``);
}
