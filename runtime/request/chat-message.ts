/**
 * The messages and content parts of OpenAI's chat format, both ways: a
 * request's messages (chat.ts) and a completion's choices (the output
 * guardrails) decode into the same canonical messages.
 *
 * An assistant message's other fields become blocks too, so everything a
 * model reads is a block: `refusal` (a refusal block marked `message`), the
 * chain of thought OpenAI-compatible reasoning models send back
 * (`reasoning_content`, `reasoning`: a reasoning block marked with its
 * `field`), `tool_calls`, and the legacy `function_call` (a tool call
 * marked `legacy`, with no id).
 */
import type { ChatMessage, ContentPart, ToolCall } from "./openai-wire.js";
import type { ContentBlock, Extra, Message, Role } from "./model.js";

export type Json = Record<string, unknown>;
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The content part types of an OpenAI chat message the gateway understands (validation refuses the others). */
export const KNOWN_PART_TYPES: ReadonlySet<string> = new Set(["text", "image_url", "input_audio", "file", "refusal"]);

/** The assistant fields a reasoning model's chain of thought comes back in. */
const REASONING_FIELDS = ["reasoning_content", "reasoning"] as const;

/** One message of a validated body (or a completion's choice) as a canonical message. */
export function decodeChatMessage(m: ChatMessage): Message {
  const { role, content } = m;
  const name = (m as { name?: string }).name;
  // The common message is `{ role, content }`: no rest copy, no extra object for it.
  const extra = extraOf(m, MESSAGE_FIELDS) ?? {};
  const blocks: ContentBlock[] = [];
  let plain = false;
  if (typeof content === "string") {
    plain = true;
    blocks.push({ kind: "text", text: content });
  } else if (Array.isArray(content)) for (const p of content) blocks.push(decodePart(p));
  else if (content !== undefined) extra["content"] = content; // an assistant's `null`
  if (role === "assistant") assistantBlocks(extra, blocks);
  let out: Mutable<Message> = { role: role as Role, content: blocks };
  if (role === "tool") {
    out = { role: "tool", content: [{ kind: "tool_result", toolCallId: extra["tool_call_id"] as string, content: blocks }] };
    delete extra["tool_call_id"];
  }
  if (plain) out.plain = true;
  if (name !== undefined) out.name = name;
  for (const _ in extra) {
    out.extra = extra;
    break;
  }
  return out;
}

const MESSAGE_FIELDS = ["role", "content", "name"];

/** Moves an assistant's reasoning, refusal and (legacy) tool calls from `extra` into blocks, in reading order. */
function assistantBlocks(extra: Json, blocks: ContentBlock[]): void {
  for (const field of REASONING_FIELDS) {
    const r = extra[field];
    if (typeof r !== "string") continue;
    blocks.push({ kind: "reasoning", text: r, extra: { field } });
    delete extra[field];
  }
  const refusal = extra["refusal"];
  if (typeof refusal === "string") {
    blocks.push({ kind: "refusal", text: refusal, extra: { message: true } });
    delete extra["refusal"];
  }
  const calls = extra["tool_calls"];
  // A request's are validated; a completion's come from upstream: ill-formed calls (and an empty list) stay as they came.
  if (Array.isArray(calls) && calls.length > 0 && calls.every(isToolCall)) {
    for (const c of calls as ToolCall[]) blocks.push(withExtra({ kind: "tool_call", id: c.id, name: c.function.name, arguments: c.function.arguments }, c, ["id", "function"]));
    delete extra["tool_calls"];
  }
  const legacy = extra["function_call"];
  if (isFunction(legacy)) {
    const f = legacy as { name: string; arguments: string };
    blocks.push(withExtra({ kind: "tool_call", id: "", name: f.name, arguments: f.arguments, extra: { legacy: true } }, f, ["name", "arguments"]));
    delete extra["function_call"];
  }
}

function isFunction(f: unknown): f is { name: string; arguments: string } {
  return typeof f === "object" && f !== null && typeof (f as Json)["name"] === "string" && typeof (f as Json)["arguments"] === "string";
}

function isToolCall(c: unknown): c is ToolCall {
  return typeof c === "object" && c !== null && typeof (c as Json)["id"] === "string" && isFunction((c as Json)["function"]);
}

/** A canonical message in OpenAI's chat format. */
export function encodeChatMessage(m: Message): ChatMessage {
  const out: Json = { role: m.role };
  let blocks = m.content;
  if (m.role === "tool") {
    const r = blocks[0];
    if (r?.kind === "tool_result") {
      blocks = r.content;
      out["tool_call_id"] = r.toolCallId;
    }
  }
  const parts = blocks.filter((b) => !outsideContent(b));
  if (m.plain === true && parts.length === 1 && parts[0]!.kind === "text") out["content"] = parts[0]!.text;
  else if (parts.length > 0 || m.role !== "assistant") out["content"] = parts.map(encodePart);
  const calls: Json[] = [];
  for (const b of blocks) {
    if (b.kind === "reasoning") out[(b.extra?.["field"] as string | undefined) ?? "reasoning_content"] = b.text;
    else if (b.kind === "refusal" && b.extra?.["message"] === true) out["refusal"] = b.text;
    else if (b.kind === "tool_call") {
      const { legacy, ...rest } = b.extra ?? {};
      if (legacy === true) out["function_call"] = { ...rest, name: b.name, arguments: b.arguments };
      else calls.push({ ...rest, id: b.id, function: { name: b.name, arguments: b.arguments } });
    }
  }
  if (calls.length > 0) out["tool_calls"] = calls;
  if (m.name !== undefined) out["name"] = m.name;
  return { ...out, ...m.extra } as ChatMessage;
}

/** Blocks an OpenAI message carries in its own fields rather than in `content`. */
function outsideContent(b: ContentBlock): boolean {
  return b.kind === "tool_call" || b.kind === "reasoning" || (b.kind === "refusal" && b.extra?.["message"] === true);
}

function decodePart(p: ContentPart): ContentBlock {
  if (!wellFormed(p)) return { kind: "text", text: "", extra: { part: p } };
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
      // A part type this gateway does not know (validation refuses them in requests): kept whole for the same wire.
      return { kind: "text", text: "", extra: { part: p } };
  }
}

/** Whether a part has the shape its type says (a request's are validated; a completion's may be anything). */
function wellFormed(p: ContentPart): boolean {
  const o = p as unknown as Json;
  const field = o[o["type"] as string];
  switch (p.type) {
    case "text":
    case "refusal":
      return typeof field === "string";
    case "image_url":
      return typeof field === "object" && field !== null && typeof (field as Json)["url"] === "string";
    case "input_audio":
      return typeof field === "object" && field !== null && typeof (field as Json)["data"] === "string" && typeof (field as Json)["format"] === "string";
    case "file":
      return typeof field === "object" && field !== null;
    default:
      return false;
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
      // tool calls, tool results and reasoning live outside `content` (outsideContent); a nested tool result's text is text
      return { type: "text", text: "" };
  }
}

/** The fields of `wire` other than `known`; undefined when there are none. */
export function extraOf(wire: object, known: readonly string[]): Json | undefined {
  let extra: Json | undefined;
  for (const k in wire) {
    if (!Object.hasOwn(wire, k) || known.includes(k)) continue;
    put((extra ??= {}), k, (wire as Json)[k]);
  }
  return extra;
}

/** An own data property, even for `__proto__` (a JSON key, not the prototype). */
export function put(o: Json, k: string, v: unknown): void {
  if (k === "__proto__") Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
  else o[k] = v;
}

function withExtra<B extends ContentBlock>(block: B, wire: object, known: readonly string[]): B {
  const extra = extraOf(wire, known);
  return extra === undefined ? block : { ...block, extra: { ...block.extra, ...extra } as Extra };
}

/** `o` without its undefined fields (so optional properties stay absent, not `undefined`). */
export function pick<T extends object>(o: T): T {
  const out: Json = {};
  for (const k in o) if (Object.hasOwn(o, k) && o[k] !== undefined) out[k] = o[k];
  return out as T;
}
