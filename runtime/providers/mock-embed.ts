/**
 * The mock provider's embeddings: a deterministic unit vector per input
 * (xorshift seeded by the input's hash), of the requested `dimensions`
 * (256 when none is asked), as floats or base64 as asked, with usage (a
 * text's characters / 4, a token array's length). Read from the canonical
 * request (runtime/request/embeddings.ts): string inputs are its messages.
 */
import type { CanonicalRequest } from "../request/model.js";
import { vectorToBase64 } from "../request/embeddings.js";
import type { Embedded } from "./types.js";

/** The mock's embedding size when the request names no `dimensions`. */
export const MOCK_EMBEDDING_DIMENSIONS = 256;

/** FNV-1a, 32 bits, as hex: a stable id from the request. */
export function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, "0");
}

/** Tokens as the mock counts them: characters / 4, rounded up. */
export function mockTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** A deterministic unit vector of `dimensions` for `text`. */
export function mockVector(text: string, dimensions: number): number[] {
  let x = parseInt(hash(text), 16) || 1;
  const v: number[] = [];
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const f = ((x >>> 0) / 0xffffffff) * 2 - 1;
    v.push(f);
    norm += f * f;
  }
  const n = Math.sqrt(norm) || 1;
  return v.map((f) => Math.fround(f / n));
}

/** The mock's embeddings reply to `req`, `model` being the upstream's name. */
export function mockEmbeddings(req: CanonicalRequest, model: string): Embedded {
  const e = req.embedding ?? { single: false };
  const dims = e.dimensions ?? MOCK_EMBEDDING_DIMENSIONS;
  const base64 = e.encodingFormat === "base64";
  const inputs: readonly (string | readonly number[])[] = e.tokens ?? req.messages.map((m) => m.content.map((b) => (b.kind === "text" ? b.text : "")).join(""));
  let prompt = 0;
  const data = inputs.map((x, index) => {
    const text = typeof x === "string" ? x : JSON.stringify(x);
    prompt += typeof x === "string" ? mockTokens(text) : x.length;
    const v = mockVector(text, dims);
    return { object: "embedding", index, embedding: base64 ? vectorToBase64(v) : v };
  });
  return { body: { object: "list", data, model, usage: { prompt_tokens: prompt, total_tokens: prompt } }, usage: { promptTokens: prompt, completionTokens: 0 } };
}
