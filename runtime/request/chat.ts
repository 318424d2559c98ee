/**
 * The codec of OpenAI's chat-completions body: `decodeChat` turns a
 * validated body (runtime/pipeline/validate.ts) into the canonical request,
 * `encodeChat` turns a canonical request back into a body for an
 * OpenAI-compatible upstream. A field the model does not name stays in
 * `passthrough` (or a message's, block's or tool's `extra`) and is written
 * back only to the same wire, so `encodeChat(decodeChat(b))` is `b`
 * (test/request/). A modeled field sent as `null` ("the default") is left in
 * passthrough as sent rather than modeled. Messages and parts are in
 * chat-message.ts.
 *
 * A canonical request is never changed in place (a redaction makes a new
 * one), so the body a request was decoded from is remembered with it (in a
 * private field: a copy made with a spread does not carry it), and encoding
 * that very request again hands back that body, key order and all, instead
 * of building it anew: the plain OpenAI-to-OpenAI path pays for one decode,
 * not for an encode too.
 */
import type { ChatCompletionRequest, ChatMessage, ToolDefinition } from "./openai-wire.js";
import { decodeChatMessage, encodeChatMessage, extraOf, pick, put, type Json, type Mutable } from "./chat-message.js";
import type { CanonicalRequest, Tool, ToolChoice } from "./model.js";
import { textChanges, textOrigin, type TextChange } from "./text.js";
import { memo } from "./memo.js";

export { decodeChatMessage, encodeChatMessage, KNOWN_PART_TYPES } from "./chat-message.js";

/** Body fields the canonical model names; the rest is passthrough. */
const MODELED = new Set(["model", "messages", "tools", "functions", "tool_choice", "parallel_tool_calls", "temperature", "top_p", "n", "response_format", "stream", "user", "metadata"]);
// `max_tokens`, `max_completion_tokens` and `stop` are read into `output` but also kept in passthrough as sent:
// OpenAI treats the two spellings of the bound differently, and `stop` may be a string or a list.

/**
 * A decoded request: the canonical fields, and the body they came from. A
 * class only for the private field (a WeakMap costs more per request than
 * the whole decode); its instances are read as plain data everywhere.
 */
class DecodedChat {
  readonly #body: ChatCompletionRequest;
  constructor(req: Mutable<CanonicalRequest>, body: ChatCompletionRequest) {
    // Field by field (not Object.assign): a third of the decode's cost otherwise. Absent optional fields stay absent.
    const self = this as unknown as Mutable<CanonicalRequest>;
    self.operation = req.operation;
    self.api = req.api;
    self.model = req.model;
    self.messages = req.messages;
    self.tools = req.tools;
    if (req.toolChoice !== undefined) self.toolChoice = req.toolChoice;
    if (req.parallelToolCalls !== undefined) self.parallelToolCalls = req.parallelToolCalls;
    self.output = req.output;
    self.sampling = req.sampling;
    if (req.stream !== undefined) self.stream = req.stream;
    if (req.user !== undefined) self.user = req.user;
    if (req.metadata !== undefined) self.metadata = req.metadata;
    self.passthrough = req.passthrough;
    this.#body = body;
  }
  static bodyOf(req: CanonicalRequest): ChatCompletionRequest | undefined {
    return #body in req ? (req as DecodedChat).#body : undefined;
  }
}

/** The canonical request of a validated chat-completions body. */
export function decodeChat(body: ChatCompletionRequest): CanonicalRequest {
  const fields: Json = {};
  for (const k in body) {
    if (!Object.hasOwn(body, k)) continue;
    const v = body[k];
    if (!MODELED.has(k) || v === null || (k === "stream" && v !== true)) put(fields, k, v);
  }
  const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? undefined;
  const stop = typeof body.stop === "string" ? [body.stop] : (body.stop ?? undefined);
  const tools: Tool[] = body.tools ? body.tools.map(decodeTool) : [];
  const functions = body["functions"];
  if (Array.isArray(functions)) for (const f of functions as Json[]) tools.push(decodeFunction(f, { legacy: true }));
  const req: Mutable<CanonicalRequest> = {
    operation: "chat",
    api: "openai.chat",
    model: body.model,
    messages: body.messages.map(decodeChatMessage),
    tools,
    output: body.n == null && stop === undefined && body["response_format"] == null ? (maxTokens === undefined ? {} : { maxTokens }) : pick({ maxTokens, n: body.n ?? undefined, stop, format: (body["response_format"] ?? undefined) as Json | undefined }),
    sampling: body.temperature == null && body.top_p == null ? {} : pick({ temperature: body.temperature ?? undefined, topP: body.top_p ?? undefined }),
    passthrough: { api: "openai.chat", fields },
  };
  if (body.tool_choice != null) req.toolChoice = decodeToolChoice(body.tool_choice);
  if (body.parallel_tool_calls != null) req.parallelToolCalls = body.parallel_tool_calls;
  if (body.stream === true) req.stream = { includeUsage: body.stream_options?.include_usage === true };
  if (body.user != null) req.user = body.user;
  if (body["metadata"] != null) req.metadata = body["metadata"] as Record<string, string>;
  return new DecodedChat(req, body) as unknown as CanonicalRequest;
}

/** A chat-completions body for `model` (the upstream's name) from a canonical request. */
export function encodeChat(req: CanonicalRequest, model = req.model): ChatCompletionRequest {
  let source = DecodedChat.bodyOf(req) ?? encoded.get(req);
  if (source === undefined) encoded.set(req, (source = patchedBody(req) ?? encodeFresh(req)));
  return source.model === model ? source : withModel(source, model);
}

/**
 * True when `encodeChat(req)` costs a lookup or a few copies, not a fresh
 * encode: `req` was decoded from this wire, was encoded before, or is a
 * redaction of a request decoded from it (see {@link patchedBody}).
 */
export function encodesCheaply(req: CanonicalRequest): boolean {
  if (DecodedChat.bodyOf(req) !== undefined || encoded.has(req)) return true;
  const origin = textOrigin(req);
  return origin !== undefined && DecodedChat.bodyOf(origin) !== undefined;
}

/**
 * The caller's body with only the redacted texts replaced, when `req` is a
 * redaction (request/text.ts `textOrigin`) of a request decoded from this
 * wire in which only message texts changed: the body keeps the caller's
 * every field and key order, as an unredacted request does, and costs a
 * few copies instead of a fresh encode. Each replaced text must be found
 * where its block came from (the content string, the i-th text or refusal
 * part, the assistant's `refusal` or reasoning field), else undefined and
 * the request is encoded afresh.
 */
function patchedBody(req: CanonicalRequest): ChatCompletionRequest | undefined {
  const origin = textOrigin(req);
  const body = origin === undefined ? undefined : DecodedChat.bodyOf(origin);
  const changes = origin === undefined || body === undefined ? undefined : textChanges(req, origin);
  if (body === undefined || changes === undefined) return undefined;
  if (changes.length === 0) return body;
  const messages = body.messages.slice();
  for (const c of changes) {
    const sent = messages[c.message];
    // The first change to a message copies it; later ones edit that copy.
    const out = sent === undefined ? undefined : sent === body.messages[c.message] ? ({ ...sent } as Json) : (sent as Json);
    if (out === undefined || !patchText(out, c)) return undefined;
    messages[c.message] = out as ChatMessage;
  }
  return { ...body, messages };
}

/** Writes `c`'s new text into message `out` where its block came from; false when it cannot be placed. */
function patchText(out: Json, c: TextChange): boolean {
  const content = out["content"];
  if (typeof content === "string" && c.block === 0 && c.now.kind === "text" && content === c.was.text) {
    out["content"] = c.now.text;
    return true;
  }
  if (Array.isArray(content) && c.block < content.length) {
    const part = content[c.block] as Json;
    const field = part["type"] === "text" ? "text" : part["type"] === "refusal" ? "refusal" : undefined;
    if (field === undefined || part[field] !== c.was.text) return false;
    const parts = (content as Json[]).slice();
    parts[c.block] = { ...part, [field]: c.now.text };
    out["content"] = parts;
    return true;
  }
  // An assistant's `refusal` or reasoning field, which decoding made a block after the content's.
  const field = c.now.kind === "refusal" ? "refusal" : c.now.kind === "reasoning" ? (c.was.extra?.["field"] as string | undefined) : undefined;
  if (field === undefined || c.block < contentBlocks(content) || out[field] !== c.was.text) return false;
  out[field] = c.now.text;
  return true;
}

/** How many blocks a message's `content` decodes into (request/chat-message.ts). */
function contentBlocks(content: unknown): number {
  return typeof content === "string" ? 1 : Array.isArray(content) ? content.length : 0;
}

/**
 * The bodies of requests that were not decoded from this wire (a redacted
 * request, another API's): the budget's bound and the adapter both encode
 * the same request, and an encode costs more than the lookup.
 */
const encoded = memo<CanonicalRequest, ChatCompletionRequest>();

function encodeFresh(req: CanonicalRequest): ChatCompletionRequest {
  const model = req.model;
  const own = req.passthrough.api === "openai.chat" ? req.passthrough.fields : {};
  const body: ChatCompletionRequest = { model, messages: req.messages.map(encodeChatMessage) };
  const tools = req.tools.filter((t) => t.extra?.["legacy"] !== true);
  if (tools.length > 0) body.tools = tools.map(encodeTool);
  if (tools.length < req.tools.length) body["functions"] = req.tools.filter((t) => t.extra?.["legacy"] === true).map(encodeFunction);
  if (req.toolChoice !== undefined) body.tool_choice = req.toolChoice.kind === "tool" ? { type: "function", function: { name: req.toolChoice.name } } : req.toolChoice.kind;
  if (req.parallelToolCalls !== undefined) body.parallel_tool_calls = req.parallelToolCalls;
  if (req.sampling.temperature !== undefined) body.temperature = req.sampling.temperature;
  if (req.sampling.topP !== undefined) body.top_p = req.sampling.topP;
  const o = req.output;
  if (o.stop !== undefined && !("stop" in own)) body.stop = [...o.stop];
  if (o.n !== undefined) body.n = o.n;
  if (o.format !== undefined) body["response_format"] = o.format;
  if (o.maxTokens !== undefined && !("max_tokens" in own) && !("max_completion_tokens" in own)) body.max_completion_tokens = o.maxTokens;
  if (req.stream !== undefined) {
    body.stream = true;
    if (req.stream.includeUsage && !("stream_options" in own)) body.stream_options = { include_usage: true };
  }
  if (req.user !== undefined) body.user = req.user;
  if (req.metadata !== undefined) body["metadata"] = req.metadata;
  return { ...body, ...own, model, messages: body.messages };
}

/** `body` with another `model`, where the caller put it. */
function withModel(body: ChatCompletionRequest, model: string): ChatCompletionRequest {
  const out: Json = {};
  for (const k in body) if (Object.hasOwn(body, k)) put(out, k, k === "model" ? model : body[k]);
  return out as ChatCompletionRequest;
}

function decodeTool(t: ToolDefinition): Tool {
  const outer = extraOf(t, ["type", "function"]);
  return decodeFunction(t.function as Json, outer);
}

/** A function definition (`tools[].function`, or an entry of the legacy `functions`). */
function decodeFunction(f: Json, outer: Json | undefined): Tool {
  const strict = typeof f["strict"] === "boolean" ? f["strict"] : undefined;
  const inner = extraOf(f, strict === undefined ? ["name", "description", "parameters"] : ["name", "description", "parameters", "strict"]);
  const extra: Json | undefined = inner === undefined ? outer : { ...outer, function: inner };
  const tool = pick({ name: f["name"] as string, description: f["description"] as string | undefined, parameters: f["parameters"] as Json | undefined, strict });
  return extra === undefined ? tool : { ...tool, extra };
}

function encodeFunction(t: Tool): Json {
  const inner = t.extra?.["function"] as Json | undefined;
  return { ...pick({ name: t.name, description: t.description, parameters: t.parameters as Json | undefined, strict: t.strict }), ...inner };
}

function encodeTool(t: Tool): ToolDefinition {
  const { function: _inner, ...outer } = t.extra ?? {};
  return { type: "function", function: encodeFunction(t) as ToolDefinition["function"], ...outer };
}

function decodeToolChoice(c: NonNullable<ChatCompletionRequest["tool_choice"]>): ToolChoice {
  return typeof c === "string" ? { kind: c } : { kind: "tool", name: c.function.name };
}
