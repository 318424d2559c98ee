/**
 * The codec of Anthropic's Messages request (`POST /v1/messages`):
 * `decodeMessages` checks a parsed body and turns it into the canonical
 * request, `encodeMessages` writes a canonical request back as a Messages
 * body. `encodeMessages(decodeMessages(b))` is `b` for every body the API
 * accepts with alternating roles (test/request/anthropic-messages.test.ts).
 *
 * The mapping: `system` (a string or text blocks) is the leading system
 * message; a user turn's `tool_result` blocks are canonical `tool` messages
 * (one per result, in order, before the turn's other blocks); `tool_use` is
 * a tool call whose `input` is its JSON arguments; `thinking` is reasoning
 * (its `signature` kept); `image` and base64 PDF `document` blocks are
 * images and files as data URLs. Wire fields the model does not name
 * (`cache_control`, `citations`, `is_error`, `top_k`, `service_tier` …)
 * stay in `extra` or `passthrough`, for an Anthropic upstream only.
 * Replies are anthropic-reply.ts.
 */
import { CodecError, isObject, need, pick, rest, type Mutable } from "./codec-error.js";
import type { CanonicalRequest, ContentBlock, Extra, Message, Tool, ToolChoice } from "./model.js";

type Json = Record<string, unknown>;

/** Body fields the canonical model names; the rest is passthrough. */
const MODELED = ["model", "messages", "system", "max_tokens", "stop_sequences", "temperature", "top_p", "stream", "tools", "tool_choice", "metadata", "thinking"];

/** The canonical request of a Messages body; throws a {@link CodecError} naming a malformed field. */
export function decodeMessages(v: unknown): CanonicalRequest {
  const body = need.object(v, "body");
  const model = need.string(body.model, "model");
  if (model === "") throw new CodecError("model", "`model` must be a non-empty string");
  const maxTokens = need.optInt(body.max_tokens, "max_tokens", 1, 10_000_000);
  if (maxTokens === undefined) throw new CodecError("max_tokens", "you must provide `max_tokens`");
  const wireMessages = need.array(body.messages, "messages");
  if (wireMessages.length === 0) throw new CodecError("messages", "`messages` must contain at least one message");
  const messages: Message[] = [];
  if (body.system !== undefined && body.system !== null) messages.push(decodeSystem(body.system));
  wireMessages.forEach((m, i) => messages.push(...decodeMessage(m, `messages[${i}]`)));

  const fields: Json = {};
  for (const k of Object.keys(body)) if (!MODELED.includes(k)) fields[k] = body[k];
  const req: Mutable<CanonicalRequest> = {
    operation: "chat",
    api: "anthropic.messages",
    model,
    messages,
    tools: body.tools === undefined ? [] : need.array(body.tools, "tools").map((t, i) => decodeTool(t, `tools[${i}]`)),
    output: pick({ maxTokens, stop: body.stop_sequences === undefined ? undefined : strings(body.stop_sequences, "stop_sequences") }),
    sampling: pick({ temperature: need.optNumber(body.temperature, "temperature", 0, 1), topP: need.optNumber(body.top_p, "top_p", 0, 1) }),
    passthrough: { api: "anthropic.messages", fields },
  };
  // An empty list says nothing the model can hold: kept as sent, for the same wire.
  if (Array.isArray(body.tools) && body.tools.length === 0) fields["tools"] = [];
  if (body.tool_choice !== undefined) decodeToolChoice(body.tool_choice, req);
  if (need.optBool(body.stream, "stream") === true) req.stream = { includeUsage: true };
  else if (body.stream !== undefined) fields["stream"] = body.stream;
  if (body.metadata !== undefined) {
    const meta = need.object(body.metadata, "metadata");
    const user = need.optString(meta.user_id, "metadata.user_id");
    if (user !== undefined && Object.keys(meta).length === 1) req.user = user;
    else fields["metadata"] = meta;
  }
  if (body.thinking !== undefined) {
    const t = need.object(body.thinking, "thinking");
    const budget = t.type === "enabled" ? need.optInt(t.budget_tokens, "thinking.budget_tokens", 1, 10_000_000) : undefined;
    if (budget !== undefined && Object.keys(t).length === 2) req.reasoning = { budgetTokens: budget };
    else fields["thinking"] = t;
  }
  return req;
}

/** A Messages body for `model` (the upstream's name) from a canonical request. */
export function encodeMessages(req: CanonicalRequest, model = req.model): Json {
  const own = req.passthrough.api === "anthropic.messages" ? req.passthrough.fields : {};
  const body: Json = { model };
  const msgs = req.messages;
  let i = 0;
  if (msgs[0]?.role === "system") body["system"] = encodeSystem(msgs[i++]!);
  const out: Json[] = [];
  for (; i < msgs.length; i++) {
    const m = msgs[i]!;
    const role = m.role === "assistant" ? "assistant" : "user";
    const last = out[out.length - 1];
    if (m.role === "tool" || m.role === "system" || m.role === "developer") {
      const blocks = m.role === "tool" ? m.content.map((b) => encodeToolResult(b, m.plain === true)) : m.content.map(encodeBlock);
      // A tool result joins the user turn it belongs to (Anthropic wants them in one user message).
      if (last !== undefined && last["role"] === "user" && Array.isArray(last["content"])) (last["content"] as Json[]).push(...blocks);
      else out.push({ role: "user", content: blocks });
      continue;
    }
    const prev = msgs[i - 1];
    const content = m.plain === true && m.content.length === 1 && m.content[0]!.kind === "text" && m.content[0]!.extra === undefined ? m.content[0]!.text : m.content.map(encodeBlock);
    // A user message right after tool results was part of their turn.
    if (role === "user" && prev?.role === "tool" && last !== undefined && last["role"] === "user" && Array.isArray(content)) (last["content"] as Json[]).push(...content);
    else out.push({ role, content, ...m.extra });
  }
  body["max_tokens"] = req.output.maxTokens ?? 4096;
  body["messages"] = out;
  if (req.output.stop !== undefined) body["stop_sequences"] = [...req.output.stop];
  if (req.sampling.temperature !== undefined) body["temperature"] = req.sampling.temperature;
  if (req.sampling.topP !== undefined) body["top_p"] = req.sampling.topP;
  if (req.stream !== undefined) body["stream"] = true;
  if (req.tools.length > 0) body["tools"] = req.tools.map((t) => ({ name: t.name, ...pick({ description: t.description, input_schema: t.parameters }), ...t.extra }));
  const choice = encodeToolChoice(req.toolChoice, req.parallelToolCalls);
  if (choice !== undefined) body["tool_choice"] = choice;
  if (req.user !== undefined) body["metadata"] = { user_id: req.user };
  if (req.reasoning?.budgetTokens !== undefined) body["thinking"] = { type: "enabled", budget_tokens: req.reasoning.budgetTokens };
  return { ...body, ...own };
}

function decodeSystem(v: unknown): Message {
  if (typeof v === "string") return { role: "system", content: [{ kind: "text", text: v }], plain: true };
  const blocks = need.array(v, "system").map((b, i) => {
    const o = need.object(b, `system[${i}]`);
    if (o.type !== "text") throw new CodecError(`system[${i}].type`, "`system` blocks must be of type `text`");
    return withExtra({ kind: "text", text: need.string(o.text, `system[${i}].text`) }, o, ["type", "text"]);
  });
  return { role: "system", content: blocks };
}

function encodeSystem(m: Message): unknown {
  const [first] = m.content;
  if (m.plain === true && m.content.length === 1 && first?.kind === "text" && first.extra === undefined) return first.text;
  return m.content.map(encodeBlock);
}

function decodeMessage(v: unknown, at: string): Message[] {
  const m = need.object(v, at);
  if (m.role !== "user" && m.role !== "assistant") throw new CodecError(`${at}.role`, "`role` must be `user` or `assistant`");
  const role = m.role;
  const extra = rest(m, ["role", "content"]);
  if (typeof m.content === "string") return [pick({ role, content: [{ kind: "text" as const, text: m.content }], plain: true, extra })];
  const blocks = need.array(m.content, `${at}.content`);
  const out: Message[] = [];
  const own: ContentBlock[] = [];
  blocks.forEach((b, j) => {
    const o = need.object(b, `${at}.content[${j}]`);
    if (o.type === "tool_result" && role === "user") out.push(pick({ role: "tool" as const, content: [decodeToolResult(o, `${at}.content[${j}]`)], plain: typeof o.content === "string" || undefined }));
    else own.push(decodeBlock(o, `${at}.content[${j}]`));
  });
  if (own.length > 0 || out.length === 0) out.push(pick({ role, content: own, extra }));
  return out;
}

function decodeBlock(o: Json, at: string): ContentBlock {
  switch (o.type) {
    case "text":
      return withExtra({ kind: "text", text: need.string(o.text, `${at}.text`) }, o, ["type", "text"]);
    case "image":
      return withExtra({ kind: "image", url: sourceUrl(o.source, `${at}.source`, false) }, o, ["type", "source"]);
    case "document": {
      const s = need.object(o.source, `${at}.source`);
      // A base64 PDF is a file every provider can take; other sources (text, url, content) only Anthropic reads.
      if (s.type === "base64" && Object.keys(s).length === 3) {
        const title = need.optString(o.title, `${at}.title`);
        return withExtra(pick({ kind: "file" as const, data: sourceUrl(s, `${at}.source`, true), filename: title }), o, title === undefined ? ["type", "source"] : ["type", "source", "title"]);
      }
      return { kind: "file", extra: { document: o } };
    }
    case "tool_use": {
      const input = need.object(o.input, `${at}.input`);
      return withExtra({ kind: "tool_call", id: need.string(o.id, `${at}.id`), name: need.string(o.name, `${at}.name`), arguments: JSON.stringify(input) }, o, ["type", "id", "name", "input"]);
    }
    case "thinking":
      return withExtra({ kind: "reasoning", text: need.string(o.thinking, `${at}.thinking`) }, o, ["type", "thinking"]);
    case "tool_result":
      throw new CodecError(`${at}.type`, "`tool_result` blocks belong in a `user` message");
    default:
      // redacted_thinking, server tool blocks, search results …: kept whole, for an Anthropic upstream
      if (typeof o.type !== "string") throw new CodecError(`${at}.type`, "a content block must have a string `type`");
      return { kind: "text", text: "", extra: { block: o } };
  }
}

function encodeBlock(b: ContentBlock): Json {
  const extra = b.extra ?? {};
  if ("block" in extra) return extra["block"] as Json;
  if ("document" in extra) return extra["document"] as Json;
  switch (b.kind) {
    case "text":
    case "refusal":
      return { type: "text", text: b.text, ...extra };
    case "image":
      return { type: "image", source: sourceOf(b.url), ...extra };
    case "file":
      return { type: "document", source: sourceOf(b.data ?? ""), ...pick({ title: b.filename }), ...extra };
    case "tool_call":
      return { type: "tool_use", id: b.id, name: b.name, input: parseArgs(b.arguments), ...extra };
    case "reasoning":
      return { type: "thinking", thinking: b.text, ...extra };
    case "tool_result":
      return encodeToolResult(b, false);
    case "audio":
      return { type: "text", text: "" };
  }
}

function decodeToolResult(o: Json, at: string): ContentBlock {
  const id = need.string(o.tool_use_id, `${at}.tool_use_id`);
  let content: ContentBlock[] = [];
  if (typeof o.content === "string") content = [{ kind: "text", text: o.content }];
  else if (o.content !== undefined) content = need.array(o.content, `${at}.content`).map((c, k) => decodeBlock(need.object(c, `${at}.content[${k}]`), `${at}.content[${k}]`));
  return withExtra({ kind: "tool_result", toolCallId: id, content }, o, ["type", "tool_use_id", "content"]);
}

/** A `tool` message's result block; `plain` (its message's flag) writes a lone text as a string. */
function encodeToolResult(b: ContentBlock, plain: boolean): Json {
  if (b.kind !== "tool_result") return encodeBlock(b);
  const [first] = b.content;
  const content = plain && b.content.length === 1 && first?.kind === "text" ? first.text : b.content.map(encodeBlock);
  return { type: "tool_result", tool_use_id: b.toolCallId, ...(b.content.length > 0 ? { content } : {}), ...b.extra };
}

function decodeTool(v: unknown, at: string): Tool {
  const t = need.object(v, at);
  const name = need.string(t.name, `${at}.name`);
  // A server tool (`type: "web_search_20250305"` …) has no schema; it is kept whole for Anthropic.
  const parameters = t.input_schema === undefined ? undefined : need.object(t.input_schema, `${at}.input_schema`);
  const extra = rest(t, ["name", "description", "input_schema"]);
  return pick({ name, description: need.optString(t.description, `${at}.description`), parameters, extra });
}

function decodeToolChoice(v: unknown, req: Mutable<CanonicalRequest>): void {
  const c = need.object(v, "tool_choice");
  const kinds: Record<string, ToolChoice["kind"]> = { auto: "auto", any: "required", none: "none", tool: "tool" };
  const kind = typeof c.type === "string" ? kinds[c.type] : undefined;
  if (kind === undefined) throw new CodecError("tool_choice.type", "`tool_choice.type` must be `auto`, `any`, `tool` or `none`");
  req.toolChoice = kind === "tool" ? { kind, name: need.string(c.name, "tool_choice.name") } : { kind };
  const single = need.optBool(c.disable_parallel_tool_use, "tool_choice.disable_parallel_tool_use");
  if (single !== undefined) req.parallelToolCalls = !single;
}

function encodeToolChoice(c: ToolChoice | undefined, parallel: boolean | undefined): Json | undefined {
  if (c === undefined) return parallel === false ? { type: "auto", disable_parallel_tool_use: true } : undefined;
  const type = c.kind === "required" ? "any" : c.kind;
  const out: Json = c.kind === "tool" ? { type, name: c.name } : { type };
  if (parallel !== undefined && c.kind !== "none") out["disable_parallel_tool_use"] = !parallel;
  return out;
}

/** A base64 or url source as a data URL or the URL. */
function sourceUrl(v: unknown, at: string, pdf: boolean): string {
  const s = need.object(v, at);
  if (s.type === "base64") return `data:${need.string(s.media_type, `${at}.media_type`)};base64,${need.string(s.data, `${at}.data`)}`;
  if (s.type === "url" && !pdf) return need.string(s.url, `${at}.url`);
  throw new CodecError(`${at}.type`, `\`${at}.type\` must be \`base64\`${pdf ? "" : " or `url`"}`);
}

/** A data URL becomes a base64 source, any other URL a url source. */
export function sourceOf(url: string): Json {
  const m = /^data:([^;,]+)((?:;[^;,]*)*);base64,(.*)$/s.exec(url);
  return m ? { type: "base64", media_type: m[1]!, data: m[3]! } : { type: "url", url };
}

function parseArgs(text: string): unknown {
  try {
    const v: unknown = text === "" ? {} : JSON.parse(text);
    if (isObject(v)) return v;
  } catch {
    // refused below
  }
  throw new CodecError(null, "the arguments of a tool call are not a JSON object");
}

function strings(v: unknown, at: string): string[] {
  return need.array(v, at).map((s, i) => need.string(s, `${at}[${i}]`));
}

function withExtra<B extends ContentBlock>(block: B, wire: Json, known: readonly string[]): B {
  const extra = rest(wire, known);
  return extra === undefined ? block : { ...block, extra: extra as Extra };
}
