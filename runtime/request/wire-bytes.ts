/**
 * The bytes a request came in as, remembered with the canonical request
 * decoded from them, so an upstream of the caller's own wire can be sent
 * those very bytes (`model` replaced) while nothing changed the request:
 * a rewrite (a redaction) makes a new request object, which has no bytes.
 * Used for Anthropic Messages to an Anthropic upstream; the chat codec
 * keeps its body itself (chat.ts). Pure.
 */
import type { CanonicalRequest } from "./model.js";
import { memo } from "./memo.js";

const BYTES = memo<CanonicalRequest, Uint8Array>();

/** `req`, remembered as decoded from `bytes`. */
export function withWireBytes(req: CanonicalRequest, bytes: Uint8Array): CanonicalRequest {
  BYTES.set(req, bytes);
  return req;
}

/** The caller's bytes with the top-level `model` set to `model`, if `req` is the very request decoded from them. */
export function wireBytesFor(req: CanonicalRequest, model: string): string | undefined {
  const bytes = BYTES.get(req);
  if (bytes === undefined) return undefined;
  const text = new TextDecoder().decode(bytes);
  return req.model === model ? text : replaceTopLevel(text, "model", JSON.stringify(model));
}

/**
 * `json` (one object) with the value of every top-level `key` replaced by
 * `value` (JSON text), every other byte as it was; undefined when the text
 * is not what it should be (the caller's body was parsed before, so never).
 */
export function replaceTopLevel(json: string, key: string, value: string): string | undefined {
  let out = "";
  let from = 0;
  let i = skipSpace(json, 0);
  if (json[i] !== "{") return undefined;
  i = skipSpace(json, i + 1);
  if (json[i] === "}") return json;
  for (;;) {
    const keyEnd = stringEnd(json, i);
    if (keyEnd < 0) return undefined;
    const name = JSON.parse(json.slice(i, keyEnd)) as string;
    i = skipSpace(json, keyEnd);
    if (json[i] !== ":") return undefined;
    const start = skipSpace(json, i + 1);
    const end = valueEnd(json, start);
    if (end < 0) return undefined;
    if (name === key) {
      out += json.slice(from, start) + value;
      from = end;
    }
    i = skipSpace(json, end);
    if (json[i] === "}") return out + json.slice(from);
    if (json[i] !== ",") return undefined;
    i = skipSpace(json, i + 1);
  }
}

function skipSpace(s: string, i: number): number {
  while (s[i] === " " || s[i] === "\n" || s[i] === "\r" || s[i] === "\t") i++;
  return i;
}

/** The index after the string starting at `i`, or -1. */
function stringEnd(s: string, i: number): number {
  if (s[i] !== '"') return -1;
  for (let j = i + 1; j < s.length; j++) {
    if (s[j] === "\\") j++;
    else if (s[j] === '"') return j + 1;
  }
  return -1;
}

/** The index after the value starting at `i` (strings, nesting and literals), or -1. */
function valueEnd(s: string, i: number): number {
  if (s[i] === '"') return stringEnd(s, i);
  let depth = 0;
  for (let j = i; j < s.length; j++) {
    const c = s[j];
    if (c === '"') {
      j = stringEnd(s, j) - 1;
      if (j < 0) return -1;
    } else if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") {
      if (depth === 0) return j;
      depth--;
      if (depth === 0) return j + 1;
    } else if (depth === 0 && (c === "," || c === " " || c === "\n" || c === "\r" || c === "\t")) return j;
  }
  return depth === 0 ? s.length : -1;
}
