/**
 * The codec of OpenAI's embeddings request (`POST /v1/embeddings`):
 * `decodeEmbeddings` checks a parsed body (`input` as a string, a list of
 * strings, a token array or a list of token arrays; `dimensions`;
 * `encoding_format` float or base64; `user`) and turns it into the
 * canonical request, `encodeEmbeddings` writes it back for an
 * OpenAI-compatible upstream. String inputs are the request's messages, one
 * plain user text each, so facts, guardrails and budgets read them as they
 * read a chat (a redaction changes what is embedded); token arrays travel
 * in `embedding.tokens`, their JSON text standing in as a message (a byte
 * bound of their tokens for the budgets). The helpers at the end write
 * vectors as base64 (little-endian float32, what OpenAI sends).
 */
import { CodecError, need, pick } from "./codec-error.js";
import type { CanonicalRequest, EmbeddingOptions, Message } from "./model.js";

type Json = Record<string, unknown>;

/** OpenAI's limit on inputs per request. */
export const MAX_EMBEDDING_INPUTS = 2048;

const MODELED = ["model", "input", "dimensions", "encoding_format", "user"];

/** The canonical request of an embeddings body; throws a {@link CodecError} naming a malformed field. */
export function decodeEmbeddings(v: unknown): CanonicalRequest {
  const body = need.object(v, "body");
  const model = need.string(body.model, "model");
  if (model === "") throw new CodecError("model", "`model` must be a non-empty string");
  const input = body.input;
  const fields: Json = {};
  for (const k of Object.keys(body)) if (!MODELED.includes(k)) fields[k] = body[k];
  let options: EmbeddingOptions;
  let texts: string[];
  if (typeof input === "string") {
    options = { single: true };
    texts = [input];
  } else if (Array.isArray(input) && input.length > 0 && input.every((x) => typeof x === "number")) {
    options = { single: true, tokens: [tokens(input, "input")] };
    texts = [JSON.stringify(input)];
  } else {
    const list = need.array(input, "input");
    if (list.length === 0) throw new CodecError("input", "`input` must not be empty");
    if (list.length > MAX_EMBEDDING_INPUTS) throw new CodecError("input", `\`input\` may hold at most ${MAX_EMBEDDING_INPUTS} items`);
    if (list.every((x) => typeof x === "string")) {
      options = { single: false };
      texts = list as string[];
    } else {
      const arrays = list.map((x, i) => tokens(x, `input[${i}]`));
      options = { single: false, tokens: arrays };
      texts = arrays.map((a) => JSON.stringify(a));
    }
  }
  const dimensions = need.optInt(body.dimensions, "dimensions", 1, 65_536);
  const format = body.encoding_format;
  if (format != null && format !== "float" && format !== "base64") throw new CodecError("encoding_format", "`encoding_format` must be `float` or `base64`");
  options = { ...options, ...pick({ dimensions, encodingFormat: format ?? undefined }) };
  const messages: Message[] = texts.map((text) => ({ role: "user", content: [{ kind: "text", text }], plain: true }));
  const user = need.optString(body.user, "user");
  return {
    operation: "embeddings",
    api: "openai.embeddings",
    model,
    messages,
    tools: [],
    // An embedding writes no tokens: the budgets' worst case is its input alone.
    output: { maxTokens: 0 },
    sampling: {},
    embedding: options,
    ...(user !== undefined ? { user } : {}),
    passthrough: { api: "openai.embeddings", fields },
  };
}

/** An embeddings body for `model` (the upstream's name) from a canonical request. */
export function encodeEmbeddings(req: CanonicalRequest, model = req.model): Json {
  const e = req.embedding ?? { single: false };
  const own = req.passthrough.api === "openai.embeddings" ? req.passthrough.fields : {};
  const inputs: unknown[] = e.tokens !== undefined ? e.tokens.map((t) => [...t]) : req.messages.map((m) => m.content.map((b) => (b.kind === "text" ? b.text : "")).join(""));
  const body: Json = { model, input: e.single ? inputs[0] : inputs };
  if (e.dimensions !== undefined) body["dimensions"] = e.dimensions;
  if (e.encodingFormat !== undefined) body["encoding_format"] = e.encodingFormat;
  if (req.user !== undefined) body["user"] = req.user;
  return { ...body, ...own };
}

function tokens(v: unknown, at: string): number[] {
  const a = need.array(v, at);
  if (a.length === 0) throw new CodecError(at, `\`${at}\` must not be empty`);
  for (const t of a) if (typeof t !== "number" || !Number.isInteger(t) || t < 0) throw new CodecError(at, `\`${at}\` must hold token ids (non-negative integers)`);
  return a as number[];
}

/** A vector as OpenAI's base64: its float32 values, little-endian. */
export function vectorToBase64(v: readonly number[]): string {
  const f = new Float32Array(v);
  const bytes = new Uint8Array(f.buffer);
  if (!LITTLE_ENDIAN) for (let i = 0; i < bytes.length; i += 4) bytes.subarray(i, i + 4).reverse();
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** The vector of a base64 embedding. */
export function vectorFromBase64(s: string): number[] {
  const bin = atob(s);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return Array.from(new Float32Array(bytes.buffer, 0, bytes.length >> 2));
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
