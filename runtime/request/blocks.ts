/**
 * The canonical request model, first piece: a chat message's content as
 * typed blocks, whatever wire shape it arrived in. Every consumer that needs
 * "what the model will read" (facts, guardrails, explain, adapters) starts
 * from these blocks rather than walking OpenAI's union of shapes itself: a
 * part type one walker forgot is how guardrails were bypassed.
 *
 * Each block carries `at`, the JSON path of the field it was read from in
 * the request body, so a rewrite (a redaction) can be put back exactly
 * there. Pure: reads plain JSON, never throws; a malformed field is
 * skipped (validation refuses it before the pipeline reaches here).
 */

/** A JSON path into the request body: object keys and array indexes. */
export type JsonPath = readonly (string | number)[];

/** The content part types of an OpenAI chat message the gateway understands. */
export const KNOWN_PART_TYPES: ReadonlySet<string> = new Set(["text", "image_url", "input_audio", "file", "refusal"]);

/** One block of a message's content, typed by what the model receives. */
export type ContentBlock =
  | { readonly kind: "text"; readonly text: string; readonly at: JsonPath }
  | { readonly kind: "refusal"; readonly text: string; readonly at: JsonPath }
  | { readonly kind: "reasoning"; readonly text: string; readonly at: JsonPath }
  | { readonly kind: "image"; readonly url: string; readonly at: JsonPath }
  | { readonly kind: "audio"; readonly format: string; readonly at: JsonPath }
  | {
      readonly kind: "file";
      /** The file name the model may be shown (at `[...at, "file", "filename"]`). */
      readonly filename: string | undefined;
      /** The file inline, as a data URL; or a reference to an uploaded file. */
      readonly data: string | undefined;
      readonly fileId: string | undefined;
      readonly at: JsonPath;
    }
  | {
      readonly kind: "tool_call";
      readonly id: string;
      readonly name: string;
      /** The arguments as the caller sent them: a JSON text (or, malformed, any text). */
      readonly arguments: string;
      /** `at` of the call's object; the name is at `[...at, "name"]`, the arguments at `[...at, "arguments"]`. */
      readonly at: JsonPath;
    }
  | { readonly kind: "tool_result"; readonly toolCallId: string; readonly content: readonly ContentBlock[]; readonly at: JsonPath }
  | { readonly kind: "unknown"; readonly type: string; readonly at: JsonPath };

/** A message as blocks; `name` is the participant name the model also reads. */
export interface CanonicalMessage {
  readonly role: string;
  readonly name: string | undefined;
  readonly blocks: readonly ContentBlock[];
  /** The message's path in the body: `["messages", i]`. */
  readonly at: JsonPath;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The messages of a chat request body as canonical messages (non-objects skipped). */
export function canonicalMessages(messages: unknown): CanonicalMessage[] {
  if (!Array.isArray(messages)) return [];
  const out: CanonicalMessage[] = [];
  for (let i = 0; i < messages.length; i++) {
    const m = canonicalMessage(messages[i], ["messages", i]);
    if (m !== undefined) out.push(m);
  }
  return out;
}

/**
 * One message (of a request, or a completion's choice) as blocks, `at` being
 * its path; undefined for a non-object.
 */
export function canonicalMessage(m: unknown, at: JsonPath): CanonicalMessage | undefined {
  if (!isObject(m)) return undefined;
  const role = typeof m.role === "string" ? m.role : "";
  const name = typeof m.name === "string" ? m.name : undefined;
  const blocks = contentBlocks(m.content, [...at, "content"]);
  if (role === "tool") {
    const id = typeof m.tool_call_id === "string" ? m.tool_call_id : "";
    return { role, name, blocks: [{ kind: "tool_result", toolCallId: id, content: blocks, at: [...at, "content"] }], at };
  }
  if (role === "assistant") {
    // OpenAI-compatible reasoning models (DeepSeek, vLLM) send the chain of thought back in these fields.
    for (const field of ["reasoning_content", "reasoning"] as const) {
      const r = m[field];
      if (typeof r === "string") blocks.push({ kind: "reasoning", text: r, at: [...at, field] });
    }
    if (typeof m.refusal === "string") blocks.push({ kind: "refusal", text: m.refusal, at: [...at, "refusal"] });
    if (Array.isArray(m.tool_calls)) {
      for (let j = 0; j < m.tool_calls.length; j++) {
        const call = toolCall(m.tool_calls[j], [...at, "tool_calls", j]);
        if (call !== undefined) blocks.push(call);
      }
    }
    // The legacy single `function_call` (before `tool_calls`): the model reads it the same way.
    if (isObject(m.function_call)) {
      const f = m.function_call;
      blocks.push({
        kind: "tool_call",
        id: "",
        name: typeof f.name === "string" ? f.name : "",
        arguments: typeof f.arguments === "string" ? f.arguments : "",
        at: [...at, "function_call"],
      });
    }
  }
  return { role, name, blocks, at };
}

function toolCall(v: unknown, at: JsonPath): ContentBlock | undefined {
  if (!isObject(v) || !isObject(v.function)) return undefined;
  const f = v.function;
  return {
    kind: "tool_call",
    id: typeof v.id === "string" ? v.id : "",
    name: typeof f.name === "string" ? f.name : "",
    arguments: typeof f.arguments === "string" ? f.arguments : "",
    at: [...at, "function"],
  };
}

/** A message `content` (a string or an array of parts) as blocks. */
export function contentBlocks(content: unknown, at: JsonPath): ContentBlock[] {
  if (typeof content === "string") return [{ kind: "text", text: content, at }];
  if (!Array.isArray(content)) return [];
  const out: ContentBlock[] = [];
  for (let j = 0; j < content.length; j++) {
    const p: unknown = content[j];
    if (!isObject(p)) continue;
    const b = partBlock(p, [...at, j]);
    if (b !== undefined) out.push(b);
  }
  return out;
}

function partBlock(p: Json, at: JsonPath): ContentBlock | undefined {
  const type = typeof p.type === "string" ? p.type : "";
  switch (type) {
    case "text":
      return typeof p.text === "string" ? { kind: "text", text: p.text, at: [...at, "text"] } : undefined;
    case "refusal":
      return typeof p.refusal === "string" ? { kind: "refusal", text: p.refusal, at: [...at, "refusal"] } : undefined;
    case "image_url": {
      const url = isObject(p.image_url) && typeof p.image_url.url === "string" ? p.image_url.url : "";
      return { kind: "image", url, at };
    }
    case "input_audio": {
      const format = isObject(p.input_audio) && typeof p.input_audio.format === "string" ? p.input_audio.format : "";
      return { kind: "audio", format, at };
    }
    case "file": {
      const f = isObject(p.file) ? p.file : {};
      const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
      return { kind: "file", filename: str(f.filename), data: str(f.file_data), fileId: str(f.file_id), at };
    }
    default:
      return { kind: "unknown", type, at };
  }
}

/** Whether any message holds an image part (the `images` fact); no blocks are built. */
export function hasImages(messages: unknown): boolean {
  if (!Array.isArray(messages)) return false;
  for (const m of messages) {
    const content: unknown = isObject(m) ? m.content : undefined;
    if (!Array.isArray(content)) continue;
    for (const p of content) if (isObject(p) && p.type === "image_url") return true;
  }
  return false;
}
