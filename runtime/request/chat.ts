/**
 * The codec of OpenAI's chat-completions body: `decodeChat` turns a
 * validated body (runtime/pipeline/validate.ts) into the canonical request,
 * `encodeChat` turns a canonical request back into a body for an
 * OpenAI-compatible upstream. A field the model does not name stays in
 * `passthrough` (or a message's or block's `extra`) and is written back only
 * to the same wire, so `encodeChat(decodeChat(b))` is `b` (test/request/).
 * A modeled field sent as `null` ("the default") is left in passthrough as
 * sent rather than modeled.
 */
import type { ChatCompletionRequest, ChatMessage, ContentPart, ToolCall, ToolDefinition } from "./openai-wire.js";
import type { CanonicalRequest, ContentBlock, Extra, Message, Role, Tool, ToolChoice } from "./model.js";

type Json = Record<string, unknown>;

/** Body fields the canonical model names; the rest is passthrough. */
const MODELED = ["model", "messages", "tools", "tool_choice", "parallel_tool_calls", "temperature", "top_p", "n", "response_format", "stream", "user", "metadata"] as const;
// `max_tokens`, `max_completion_tokens` and `stop` are read into `output` but also kept in passthrough as sent:
// OpenAI treats the two spellings of the bound differently, and `stop` may be a string or a list.

/** The canonical request of a validated chat-completions body. */
export function decodeChat(body: ChatCompletionRequest): CanonicalRequest {
  const fields: Json = {};
  for (const k of Object.keys(body)) if (!(MODELED as readonly string[]).includes(k) || body[k] === null || (k === "stream" && body[k] !== true)) fields[k] = body[k];
  const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? undefined;
  const stop = typeof body.stop === "string" ? [body.stop] : (body.stop ?? undefined);
  const req: Mutable<CanonicalRequest> = {
    operation: "chat",
    api: "openai.chat",
    model: body.model,
    messages: body.messages.map(decodeMessage),
    tools: (body.tools ?? []).map(decodeTool),
    output: pick({ maxTokens, n: body.n ?? undefined, stop, format: (body["response_format"] ?? undefined) as Json | undefined }),
    sampling: pick({ temperature: body.temperature ?? undefined, topP: body.top_p ?? undefined }),
    passthrough: { api: "openai.chat", fields },
  };
  if (body.tool_choice != null) req.toolChoice = decodeToolChoice(body.tool_choice);
  if (body.parallel_tool_calls != null) req.parallelToolCalls = body.parallel_tool_calls;
  if (body.stream === true) req.stream = { includeUsage: body.stream_options?.include_usage === true };
  if (body.user != null) req.user = body.user;
  if (body["metadata"] != null) req.metadata = body["metadata"] as Record<string, string>;
  return req;
}

/** A chat-completions body for `model` (the upstream's name) from a canonical request. */
export function encodeChat(req: CanonicalRequest, model = req.model): ChatCompletionRequest {
  const own = req.passthrough.api === "openai.chat" ? req.passthrough.fields : {};
  // Extras (`cache_control` …) belong to the wire they came from: another wire's are left out.
  const body: ChatCompletionRequest = { model, messages: req.messages.map(req.api === "openai.chat" ? encodeMessage : (m) => encodeMessage(withoutExtras(m))) };
  if (req.tools.length > 0) body.tools = req.tools.map(encodeTool);
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
  if (req.reasoning?.effort !== undefined && !("reasoning_effort" in own)) body["reasoning_effort"] = req.reasoning.effort;
  return { ...body, ...own, model, messages: body.messages };
}

function decodeMessage(m: ChatMessage): Message {
  const { role, content, name, ...rest } = m as ChatMessage & { name?: string; tool_call_id?: string; tool_calls?: ToolCall[]; refusal?: string | null };
  const extra: Json = { ...rest };
  const blocks: ContentBlock[] = [];
  let plain = false;
  if (typeof content === "string") {
    plain = true;
    blocks.push({ kind: "text", text: content });
  } else if (Array.isArray(content)) for (const p of content) blocks.push(decodePart(p));
  else if (content !== undefined) extra["content"] = content; // an assistant's `null`
  if (role === "assistant") {
    const r = rest as { tool_calls?: ToolCall[]; refusal?: string | null };
    if (typeof r.refusal === "string") {
      blocks.push({ kind: "refusal", text: r.refusal, extra: { message: true } });
      delete extra["refusal"];
    }
    if (r.tool_calls !== undefined) {
      for (const c of r.tool_calls) blocks.push(withExtra({ kind: "tool_call", id: c.id, name: c.function.name, arguments: c.function.arguments }, c, ["id", "function"]));
      delete extra["tool_calls"];
    }
  }
  let out: Mutable<Message> = { role: role as Role, content: blocks };
  if (role === "tool") {
    const r = rest as { tool_call_id: string };
    delete extra["tool_call_id"];
    out = { role: "tool", content: [{ kind: "tool_result", toolCallId: r.tool_call_id, content: blocks }] };
  }
  if (plain) out.plain = true;
  if (name !== undefined) out.name = name;
  if (Object.keys(extra).length > 0) out.extra = extra;
  return out;
}

function encodeMessage(m: Message): ChatMessage {
  const out: Json = { role: m.role };
  let blocks = m.content;
  if (m.role === "tool") {
    const r = blocks[0];
    if (r?.kind === "tool_result") {
      blocks = r.content;
      out["tool_call_id"] = r.toolCallId;
    }
  }
  const parts = blocks.filter((b) => b.kind !== "tool_call" && !(b.kind === "refusal" && b.extra?.["message"] === true));
  if (m.plain === true && parts.length === 1 && parts[0]!.kind === "text") out["content"] = parts[0]!.text;
  else if (parts.length > 0 || m.role !== "assistant") out["content"] = parts.map(encodePart);
  const refusal = blocks.find((b) => b.kind === "refusal" && b.extra?.["message"] === true);
  if (refusal?.kind === "refusal") out["refusal"] = refusal.text;
  const calls = blocks.filter((b) => b.kind === "tool_call");
  if (calls.length > 0) out["tool_calls"] = calls.map((c) => (c.kind === "tool_call" ? { ...c.extra, id: c.id, function: { name: c.name, arguments: c.arguments } } : c));
  if (m.name !== undefined) out["name"] = m.name;
  return { ...out, ...m.extra } as ChatMessage;
}

function withoutExtras(m: Message): Message {
  const content = m.content.map((b) => {
    if (b.kind === "tool_result") return { kind: b.kind, toolCallId: b.toolCallId, content: b.content.map(({ extra: _, ...x }) => x as ContentBlock) };
    const { extra: _, ...x } = b;
    return x as ContentBlock;
  });
  const { extra: _, ...rest } = m;
  return { ...rest, content };
}

function decodePart(p: ContentPart): ContentBlock {
  switch (p.type) {
    case "text":
      return withExtra({ kind: "text", text: p.text }, p, ["type", "text"]);
    case "image_url":
      return withExtra(pick({ kind: "image" as const, url: p.image_url.url, detail: p.image_url.detail }), p, ["type", "image_url"]);
    case "input_audio":
      return withExtra({ kind: "audio", data: p.input_audio.data, format: p.input_audio.format }, p, ["type", "input_audio"]);
    case "file":
      return withExtra(pick({ kind: "file" as const, data: p.file.file_data, fileId: p.file.file_id, filename: p.file.filename }), p, ["type", "file"]);
    case "refusal":
      return withExtra({ kind: "refusal", text: p.refusal }, p, ["type", "refusal"]);
    default:
      // a part type this gateway does not know: kept whole for the same wire
      return { kind: "text", text: "", extra: { part: p } };
  }
}

function encodePart(b: ContentBlock): ContentPart {
  const extra = b.extra ?? {};
  if (b.kind === "text" && "part" in extra) return extra["part"] as ContentPart;
  switch (b.kind) {
    case "text":
      return { type: "text", text: b.text, ...extra };
    case "image":
      return { type: "image_url", image_url: pick({ url: b.url, detail: b.detail as "auto" | "low" | "high" | undefined }), ...extra };
    case "audio":
      return { type: "input_audio", input_audio: { data: b.data, format: b.format }, ...extra };
    case "file":
      return { type: "file", file: pick({ file_data: b.data, file_id: b.fileId, filename: b.filename }), ...extra };
    case "refusal":
      return { type: "refusal", refusal: b.text, ...extra };
    default:
      return { type: "text", text: b.kind === "reasoning" ? b.text : "" };
  }
}

function decodeTool(t: ToolDefinition): Tool {
  const f = t.function;
  return pick({ name: f.name, description: f.description, parameters: f.parameters, strict: f.strict });
}

function encodeTool(t: Tool): ToolDefinition {
  return { type: "function", function: pick({ name: t.name, description: t.description, parameters: t.parameters as Json | undefined, strict: t.strict }) };
}

function decodeToolChoice(c: NonNullable<ChatCompletionRequest["tool_choice"]>): ToolChoice {
  return typeof c === "string" ? { kind: c } : { kind: "tool", name: c.function.name };
}

function withExtra<B extends ContentBlock>(block: B, wire: object, known: readonly string[]): B {
  const extra: Json = {};
  for (const [k, v] of Object.entries(wire)) if (!known.includes(k)) extra[k] = v;
  return Object.keys(extra).length > 0 ? { ...block, extra: extra as Extra } : block;
}

/** `o` without its undefined fields (so optional properties stay absent, not `undefined`). */
function pick<T extends object>(o: T): T {
  const out: Json = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as T;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
