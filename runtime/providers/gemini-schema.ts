/**
 * JSON Schema (what OpenAI tools and `response_format.json_schema` carry)
 * to Google's Schema object, the OpenAPI 3.0 subset that both the Gemini
 * API and Vertex AI accept in `functionDeclarations[].parameters` and
 * `generationConfig.responseSchema`. A keyword the subset has no place for
 * is refused with its path (`TranslationError`, a 400), never dropped;
 * the exceptions change nothing Gemini would generate: `$schema`, and
 * `additionalProperties: false` (Gemini only generates the properties a
 * schema declares). Pure.
 */

import { TranslationError } from "./anthropic-translate.js";
import type { GeminiSchema } from "./gemini-wire.js";

const TYPES: Readonly<Record<string, GeminiSchema["type"]>> = {
  string: "STRING",
  number: "NUMBER",
  integer: "INTEGER",
  boolean: "BOOLEAN",
  array: "ARRAY",
  object: "OBJECT",
  null: "NULL",
};

/** Keywords copied as they are (same name, same meaning in the subset). */
const SAME = new Set(["description", "title", "format", "minItems", "maxItems", "minLength", "maxLength", "pattern", "minimum", "maximum", "minProperties", "maxProperties", "required", "default", "example", "nullable"]);

/** Deeper schemas are refused: nothing real nests this far, and recursion must stay bounded. */
const MAX_DEPTH = 64;

/** `schema` in Google's subset; `path` names it in errors (`tool \`weather\` parameters`). */
export function toGeminiSchema(schema: unknown, path: string, depth = 0): GeminiSchema {
  if (!isObject(schema)) throw new TranslationError(`${path} is not a JSON Schema object`);
  if (depth > MAX_DEPTH) throw new TranslationError(`${path} nests deeper than ${MAX_DEPTH} levels`);
  const out: GeminiSchema = {};
  for (const [k, v] of Object.entries(schema)) {
    if (SAME.has(k)) out[k] = v;
    else if (k === "type") Object.assign(out, typeOf(v, `${path}.type`));
    else if (k === "enum") out["enum"] = stringEnum(v, `${path}.enum`);
    else if (k === "const") out["enum"] = stringEnum([v], `${path}.const`);
    else if (k === "properties") out["properties"] = mapValues(v, `${path}.properties`, depth + 1);
    else if (k === "items") out["items"] = toGeminiSchema(v, `${path}.items`, depth + 1);
    else if (k === "anyOf") out["anyOf"] = list(v, `${path}.anyOf`, depth + 1);
    else if (k === "additionalProperties" && v === false) continue;
    else if (k === "$schema") continue;
    else throw new TranslationError(`\`${k}\` in ${path} is not supported by Gemini's schema subset`);
  }
  return out;
}

/** `"string"` or `["string", "null"]`: one type, nullable when `null` is among them. */
function typeOf(v: unknown, path: string): Pick<GeminiSchema, "type"> & { nullable?: true } {
  const names = Array.isArray(v) ? v : [v];
  const kept = names.filter((n) => n !== "null");
  if (kept.length === 0 && names.length > 0) return { type: "NULL" };
  if (kept.length !== 1 || typeof kept[0] !== "string" || TYPES[kept[0]] === undefined) {
    throw new TranslationError(`${path} must be one JSON type (optionally with \`null\`), found \`${JSON.stringify(v)}\``);
  }
  const type = TYPES[kept[0]];
  return kept.length < names.length ? { type, nullable: true } : { type };
}

function stringEnum(v: unknown, path: string): string[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) throw new TranslationError(`${path} must list strings only (Gemini's enums are strings)`);
  return v as string[];
}

function mapValues(v: unknown, path: string, depth: number): Record<string, GeminiSchema> {
  if (!isObject(v)) throw new TranslationError(`${path} is not an object`);
  const out: Record<string, GeminiSchema> = {};
  for (const [name, s] of Object.entries(v)) out[name] = toGeminiSchema(s, `${path}.${name}`, depth);
  return out;
}

function list(v: unknown, path: string, depth: number): GeminiSchema[] {
  if (!Array.isArray(v)) throw new TranslationError(`${path} is not a list`);
  return v.map((s, i) => toGeminiSchema(s, `${path}[${i}]`, depth));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
