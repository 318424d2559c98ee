/**
 * Everything a model will read from a canonical request (or a completion's
 * messages), in reading order: the one extractor behind the `text` fact,
 * input and output guardrails, `aigw explain` and the body log. Guardrails
 * can only be as good as this list, so it takes every piece of a request a
 * provider turns into model input:
 *
 * - per message, in order: its `name`; then its blocks: text, refusal and
 *   reasoning, a file's name, a tool call's name and then every key and
 *   string value of its parsed arguments (or the raw arguments when they
 *   are not JSON, or nest deeper than a body may), a tool result's blocks;
 * - the tools (legacy `functions` included): name, description, and every
 *   key and string value of the parameter schema;
 * - a `json_schema` response format: name, description and schema.
 *
 * Images, audio and file bytes are not text and are not listed.
 *
 * Reading and rewriting are one walk ({@link mapRequestTexts}): a redaction
 * hands it the new texts in the same order and gets a new request with
 * exactly those texts replaced (tool-call arguments serialised again, so
 * they stay valid JSON); the original is never touched, and a request with
 * no change comes back as the very same object.
 */
import { put, type Json } from "./chat-message.js";
import type { CanonicalRequest, ContentBlock, Message, Tool } from "./model.js";
import { memo } from "./memo.js";

/** Called on each text in reading order; answers the text to put in its place. */
export type TextMap = (text: string) => string;

/** The texts of a request, in reading order. */
export function requestTexts(req: CanonicalRequest): string[] {
  const out: string[] = [];
  mapRequestTexts(req, collect(out));
  return out;
}

/** The texts of messages (a completion's choices), in reading order. */
export function messagesTexts(messages: readonly Message[]): string[] {
  const out: string[] = [];
  mapMessages(messages, collect(out));
  return out;
}

/** The requests {@link withRequestTexts} made, with the request each was made from. */
const ORIGINS = memo<CanonicalRequest, CanonicalRequest>();

/** `req` with its i-th text replaced by `texts[i]` (the same object when none differs). */
export function withRequestTexts(req: CanonicalRequest, texts: readonly string[]): CanonicalRequest {
  const out = mapRequestTexts(req, replaceInOrder(texts));
  if (out !== req) ORIGINS.set(out, req);
  return out;
}

/**
 * The request `req` was made from by {@link withRequestTexts} (a
 * redaction), if it was: an encoder can then write the original's body
 * with only the changed texts replaced (request/chat.ts).
 */
export function textOrigin(req: CanonicalRequest): CanonicalRequest | undefined {
  return ORIGINS.get(req);
}

/** A block whose whole content is one text. */
export type TextBlock = Extract<ContentBlock, { kind: "text" | "refusal" | "reasoning" }>;

/** One text a redaction replaced: block `block` of message `message`, from `was` to `now`. */
export interface TextChange {
  readonly message: number;
  readonly block: number;
  readonly was: TextBlock;
  readonly now: TextBlock;
}

/**
 * The texts in which `req` differs from `original`, when it differs in
 * nothing else (the same tools, output, message names and block counts,
 * only text, refusal or reasoning blocks replaced by blocks of their kind);
 * undefined when anything else changed. The budget's size measure and the
 * chat encoder both read a redaction this way.
 */
export function textChanges(req: CanonicalRequest, original: CanonicalRequest): TextChange[] | undefined {
  if (req.tools !== original.tools || req.output !== original.output || req.messages.length !== original.messages.length) return undefined;
  const changes: TextChange[] = [];
  for (let i = 0; i < req.messages.length; i++) {
    const m = req.messages[i]!;
    const o = original.messages[i]!;
    if (m === o) continue;
    if (m.name !== o.name || m.content.length !== o.content.length) return undefined;
    for (let j = 0; j < m.content.length; j++) {
      const now = m.content[j]!;
      const was = o.content[j]!;
      if (now === was) continue;
      if (!(now.kind === "text" || now.kind === "refusal" || now.kind === "reasoning") || now.kind !== was.kind) return undefined;
      changes.push({ message: i, block: j, was: was as TextBlock, now });
    }
  }
  return changes;
}

/** `messages` with their i-th text replaced by `texts[i]`. */
export function withMessagesTexts(messages: readonly Message[], texts: readonly string[]): readonly Message[] {
  return mapMessages(messages, replaceInOrder(texts));
}

/** Every text of `req` through `f`, in reading order; a new request where `f` changed one. */
export function mapRequestTexts(req: CanonicalRequest, f: TextMap): CanonicalRequest {
  const messages = mapMessages(req.messages, f);
  const tools = mapList(req.tools, (t) => mapTool(t, f));
  const format = req.output.format;
  const schema = format?.["json_schema"];
  const mapped = isObject(schema) ? mapDefinition(schema, "schema", f) : schema;
  if (messages === req.messages && tools === req.tools && mapped === schema) return req;
  const output = mapped === schema ? req.output : { ...req.output, format: { ...format, json_schema: mapped } };
  return { ...req, messages, tools, output };
}

function collect(out: string[]): TextMap {
  return (t) => {
    out.push(t);
    return t;
  };
}

function replaceInOrder(texts: readonly string[]): TextMap {
  let i = 0;
  return (t) => texts[i++] ?? t;
}

function mapMessages(messages: readonly Message[], f: TextMap): readonly Message[] {
  return mapList(messages, (m) => {
    const name = m.name === undefined ? undefined : f(m.name);
    const content = mapBlocks(m.content, f);
    if (name === m.name && content === m.content) return m;
    return name === undefined ? { ...m, content } : { ...m, name, content };
  });
}

function mapBlocks(blocks: readonly ContentBlock[], f: TextMap): readonly ContentBlock[] {
  return mapList(blocks, (b): ContentBlock => {
    switch (b.kind) {
      case "text":
        // a part type the codec kept whole (never in a validated request) has no text
        if (b.extra !== undefined && "part" in b.extra) return b;
        return same(b, "text", f(b.text));
      case "refusal":
      case "reasoning":
        return same(b, "text", f(b.text));
      case "file":
        return b.filename === undefined ? b : same(b, "filename", f(b.filename));
      case "tool_call": {
        const name = f(b.name);
        const args = mapArguments(b.arguments, f);
        return name === b.name && args === b.arguments ? b : { ...b, name, arguments: args };
      }
      case "tool_result": {
        const content = mapBlocks(b.content, f);
        return content === b.content ? b : { ...b, content };
      }
      case "image":
      case "audio":
        return b;
    }
  });
}

/** `b` with `field` set to `v`, or `b` itself when it already holds `v`. */
function same<B extends ContentBlock, K extends keyof B>(b: B, field: K, v: B[K]): B {
  return b[field] === v ? b : { ...b, [field]: v };
}

/**
 * How deep the walk follows a JSON value: as deep as validation lets a body
 * nest (runtime/pipeline/json-body.ts). Tool-call arguments are a string
 * whose nesting nothing bounded; deeper ones are read as one raw text.
 */
const MAX_WALK_DEPTH = 128;

/** Tool-call arguments: the parsed JSON's keys and strings, or the raw text when it is not JSON or nests too deep. */
function mapArguments(args: string, f: TextMap): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(args);
  } catch {
    return f(args);
  }
  if (deeperThan(parsed, MAX_WALK_DEPTH)) return f(args);
  const mapped = mapJson(parsed, f);
  return mapped === parsed ? args : JSON.stringify(mapped);
}

function mapTool(t: Tool, f: TextMap): Tool {
  const name = f(t.name);
  const description = t.description === undefined ? undefined : f(t.description);
  const parameters = t.parameters === undefined ? undefined : (mapJson(t.parameters, f) as Json);
  if (name === t.name && description === t.description && parameters === t.parameters) return t;
  const out: { -readonly [K in keyof Tool]: Tool[K] } = { ...t, name };
  if (description !== undefined) out.description = description;
  if (parameters !== undefined) out.parameters = parameters;
  return out;
}

/** A `json_schema` response format's name, description and `schemaField`. */
function mapDefinition(def: Json, schemaField: string, f: TextMap): Json {
  const name = typeof def["name"] === "string" ? f(def["name"]) : def["name"];
  const description = typeof def["description"] === "string" ? f(def["description"]) : def["description"];
  const schema = def[schemaField] === undefined ? undefined : mapJson(def[schemaField], f);
  if (name === def["name"] && description === def["description"] && schema === def[schemaField]) return def;
  const out: Json = {};
  for (const k of Object.keys(def)) put(out, k, k === "name" ? name : k === "description" ? description : k === schemaField ? schema : def[k]);
  return out;
}

/**
 * Every object key and string value of a JSON value through `f`, in
 * document order (a key just before its value); copies only what changed.
 * A renamed key keeps its position: a schema's property order can matter
 * to a model. Recursive: callers bound the depth (validation, or
 * {@link deeperThan}).
 */
function mapJson(v: unknown, f: TextMap): unknown {
  if (typeof v === "string") return f(v);
  if (Array.isArray(v)) return mapList(v, (x) => mapJson(x, f));
  if (!isObject(v)) return v;
  const keys = Object.keys(v);
  let out: Json | undefined;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const nk = f(k);
    const nv = mapJson(v[k], f);
    if (out === undefined && (nk !== k || nv !== v[k])) {
      out = Object.create(Object.getPrototypeOf(v) as object | null) as Json;
      for (let j = 0; j < i; j++) put(out, keys[j]!, v[keys[j]!]);
    }
    if (out !== undefined) put(out, nk, nv);
  }
  return out ?? v;
}

/** Whether a JSON value nests deeper than `max` (iterative: the value may nest arbitrarily deep). */
function deeperThan(root: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[root, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (typeof v !== "object" || v === null) continue;
    if (d >= max) return true;
    for (const x of Array.isArray(v) ? v : Object.values(v)) if (typeof x === "object" && x !== null) stack.push([x, d + 1]);
  }
  return false;
}

/** `f` over a list: the same list when `f` returned every element unchanged. */
function mapList<T>(xs: readonly T[], f: (x: T) => T): readonly T[] {
  let out: T[] | undefined;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!;
    const y = f(x);
    if (out === undefined && y !== x) out = xs.slice(0, i);
    if (out !== undefined) out.push(y);
  }
  return out ?? xs;
}

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
