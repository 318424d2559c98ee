/**
 * Everything a model will read from a chat request (or a completion), as a
 * list of located texts: the one extractor behind the `text` fact, input
 * and output guardrails, `aigw explain` and the body log. Guardrails can
 * only be as good as this list, so it takes every field a provider turns
 * into model input:
 *
 * - per message, in order: its `name`; then its content blocks (text and
 *   refusal parts, a file's name, reasoning); an assistant's `refusal`, its
 *   tool calls (the function name, then every key and string value of the
 *   parsed `arguments`, or the raw `arguments` when they are not JSON) and
 *   its legacy `function_call`; a tool message's content;
 * - the tool definitions (`tools[].function` and the legacy `functions[]`):
 *   name, description, and every key and string value of the parameter
 *   schema;
 * - `response_format.json_schema`: name, description and schema.
 *
 * Images, audio and file bytes are not text and are not listed.
 *
 * Each text knows where it came from, so {@link withTexts} can write a
 * rewritten (redacted) text back to exactly that place: inside a JSON
 * string field such as tool-call arguments, the arguments are parsed,
 * changed and serialised again, so they stay valid JSON.
 */
import { canonicalMessage, canonicalMessages, type CanonicalMessage, type ContentBlock, type JsonPath } from "./blocks.js";

/** One text the model reads, and where it lives. */
export interface ReadableText {
  readonly text: string;
  /** The path of the field in the body: a string field, or (for `key`) the object holding the key. */
  readonly at: JsonPath;
  /**
   * For text inside a field holding JSON as a string (tool-call arguments):
   * the path inside the parsed JSON, `at` being the string field.
   */
  readonly inner?: JsonPath;
  /** The text is an object key (in a schema or arguments), not a value. */
  readonly key?: boolean;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The readable texts of a chat completion request body, in reading order. */
export function requestTexts(body: unknown): ReadableText[] {
  const out: ReadableText[] = [];
  if (!isObject(body)) return out;
  for (const m of canonicalMessages(body.messages)) messageTexts(m, out);
  if (Array.isArray(body.tools)) {
    for (let i = 0; i < body.tools.length; i++) {
      const t: unknown = body.tools[i];
      if (isObject(t) && isObject(t.function)) definitionTexts(t.function, ["tools", i, "function"], "parameters", out);
    }
  }
  if (Array.isArray(body.functions)) {
    for (let i = 0; i < body.functions.length; i++) {
      const f: unknown = body.functions[i];
      if (isObject(f)) definitionTexts(f, ["functions", i], "parameters", out);
    }
  }
  const rf = body.response_format;
  if (isObject(rf) && isObject(rf.json_schema)) definitionTexts(rf.json_schema, ["response_format", "json_schema"], "schema", out);
  return out;
}

/** The readable texts of a completion: each choice's message, in choice order. */
export function completionTexts(completion: unknown): ReadableText[] {
  const out: ReadableText[] = [];
  if (!isObject(completion) || !Array.isArray(completion.choices)) return out;
  for (let i = 0; i < completion.choices.length; i++) {
    const c: unknown = completion.choices[i];
    if (!isObject(c)) continue;
    const m = canonicalMessage(c.message, ["choices", i, "message"]);
    if (m !== undefined) messageTexts(m, out);
  }
  return out;
}

/** The texts joined by newlines: the `text` fact. */
export function joinTexts(texts: readonly ReadableText[]): string {
  let s = "";
  for (let i = 0; i < texts.length; i++) s = i === 0 ? texts[i]!.text : s + "\n" + texts[i]!.text;
  return s;
}

function messageTexts(m: CanonicalMessage, out: ReadableText[]): void {
  if (m.name !== undefined) out.push({ text: m.name, at: [...m.at, "name"] });
  blockTexts(m.blocks, out);
}

function blockTexts(blocks: readonly ContentBlock[], out: ReadableText[]): void {
  for (const b of blocks) {
    switch (b.kind) {
      case "text":
      case "refusal":
      case "reasoning":
        out.push({ text: b.text, at: b.at });
        break;
      case "file":
        if (b.filename !== undefined) out.push({ text: b.filename, at: [...b.at, "file", "filename"] });
        break;
      case "tool_call":
        out.push({ text: b.name, at: [...b.at, "name"] });
        argumentTexts(b.arguments, [...b.at, "arguments"], out);
        break;
      case "tool_result":
        blockTexts(b.content, out);
        break;
      case "image":
      case "audio":
      case "unknown":
        break;
    }
  }
}

/** Tool-call arguments: the parsed JSON's keys and strings, or the raw text when it is not JSON. */
function argumentTexts(args: string, at: JsonPath, out: ReadableText[]): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(args);
  } catch {
    out.push({ text: args, at });
    return;
  }
  const inner: ReadableText[] = [];
  // Too deep to walk by path (the body's own nesting is bounded at validation, this string's is not): read it whole.
  if (jsonTexts(parsed, at, true, inner)) out.push(...inner);
  else out.push({ text: args, at });
}

/**
 * How deep the walk follows a JSON value: as deep as validation lets a body
 * nest (runtime/pipeline/validate.ts). Each text carries its path, so an
 * unbounded depth would cost depth × texts.
 */
const MAX_WALK_DEPTH = 128;

/** A function (or schema) definition: name, description and its schema field's keys and strings. */
function definitionTexts(def: Json, at: JsonPath, schemaField: string, out: ReadableText[]): void {
  if (typeof def.name === "string") out.push({ text: def.name, at: [...at, "name"] });
  if (typeof def.description === "string") out.push({ text: def.description, at: [...at, "description"] });
  const schema = def[schemaField];
  if (schema !== undefined) jsonTexts(schema, [...at, schemaField], false, out);
}

/** A step of the JSON walk: a value to visit, or a key to report (just before its value). */
type Step = { readonly value: unknown; readonly path: JsonPath } | { readonly key: string; readonly path: JsonPath };

/**
 * Every object key and string value of a JSON value, in document order.
 * Iterative: parsed tool-call arguments are not depth-checked, and a deep
 * nesting must not overflow the stack. `inside` says whether `root` was
 * parsed from the string field at `at` (paths go into `inner`) or is the
 * field itself. A key's path is the path of the object holding it. Returns
 * false, having listed only part of it, for a value nesting deeper than
 * {@link MAX_WALK_DEPTH}.
 */
function jsonTexts(root: unknown, at: JsonPath, inside: boolean, out: ReadableText[]): boolean {
  const stack: Step[] = [{ value: root, path: [] }];
  const place = (p: JsonPath): Pick<ReadableText, "at" | "inner"> => (inside ? { at, inner: p } : { at: [...at, ...p] });
  while (stack.length > 0) {
    const step = stack.pop()!;
    if ("key" in step) {
      out.push({ text: step.key, ...place(step.path), key: true });
      continue;
    }
    const { value: v, path: p } = step;
    if (p.length > MAX_WALK_DEPTH) return false;
    if (typeof v === "string") out.push({ text: v, ...place(p) });
    else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], path: [...p, i] });
    } else if (isObject(v)) {
      // Pushed in reverse so they pop in document order.
      const keys = Object.keys(v);
      for (let i = keys.length - 1; i >= 0; i--) {
        const k = keys[i]!;
        stack.push({ value: v[k], path: [...p, k] }, { key: k, path: p });
      }
    }
  }
  return true;
}
