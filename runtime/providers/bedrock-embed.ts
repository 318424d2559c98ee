/**
 * Embeddings on Bedrock through InvokeModel (`POST /model/{modelId}/invoke`),
 * whose body is the model family's own: Amazon Titan Text Embeddings
 * (`amazon.titan-embed-text-*`: one `inputText` per call, `dimensions` 256,
 * 512 or 1024 on v2, `inputTextTokenCount` in the reply) and Cohere Embed
 * (`cohere.embed-*`: up to 96 `texts` per call, an `input_type`, no token
 * count in the body). The canonical request's inputs become those bodies;
 * the replies become OpenAI's `{ object: "list", data, model, usage }`.
 * Refused by name: token-array inputs (these models take text),
 * `dimensions` a model does not offer, `user`, and any other field, except
 * Cohere's own `input_type` (default `search_document`). Pure.
 */

import { TranslationError } from "./anthropic-translate.js";
import type { CanonicalRequest } from "../request/model.js";
import { vectorToBase64 } from "../request/embeddings.js";

export type EmbeddingFamily = "titan" | "cohere";

/** Cohere Embed's limit on texts per call. */
const COHERE_MAX_TEXTS = 96;
const TITAN_V2_DIMENSIONS = [256, 512, 1024];
const COHERE_INPUT_TYPES = ["search_document", "search_query", "classification", "clustering"];

/** The family of an embedding model id (a profile prefix like `us.` or an ARN's last part allowed), or undefined. */
export function embeddingFamily(modelId: string): EmbeddingFamily | undefined {
  const id = modelId.slice(modelId.lastIndexOf("/") + 1);
  if (/(^|\.)amazon\.titan-embed-text-/.test(id)) return "titan";
  if (/(^|\.)cohere\.embed-/.test(id)) return "cohere";
  return undefined;
}

/** The InvokeModel bodies for `req` (one per call), throwing `TranslationError` for what the model cannot take. */
export function embeddingBodies(req: CanonicalRequest, family: EmbeddingFamily, modelId: string): Record<string, unknown>[] {
  const e = req.embedding ?? { single: false };
  if (e.tokens !== undefined) throw new TranslationError("token-array `input` is not supported (Bedrock's embedding models take text)");
  if (req.user !== undefined && req.user !== "") throw new TranslationError("`user` is not supported");
  const fields = req.passthrough.api === "openai.embeddings" ? req.passthrough.fields : {};
  const texts = req.messages.map((m) => m.content.map((b) => (b.kind === "text" ? b.text : "")).join(""));
  if (family === "titan") {
    for (const k of Object.keys(fields)) if (fields[k] != null) throw new TranslationError(`\`${k}\` is not supported`);
    const v2 = /titan-embed-text-v2/.test(modelId);
    if (e.dimensions !== undefined && (!v2 || !TITAN_V2_DIMENSIONS.includes(e.dimensions))) {
      throw new TranslationError(`\`dimensions\` ${e.dimensions} is not supported (${v2 ? "256, 512 or 1024" : "this Titan model has one size"})`);
    }
    return texts.map((inputText) => (e.dimensions !== undefined ? { inputText, dimensions: e.dimensions } : { inputText }));
  }
  for (const k of Object.keys(fields)) if (k !== "input_type" && fields[k] != null) throw new TranslationError(`\`${k}\` is not supported`);
  if (e.dimensions !== undefined) throw new TranslationError("`dimensions` is not supported (Cohere Embed has one size)");
  const inputType = fields["input_type"] ?? "search_document";
  if (typeof inputType !== "string" || !COHERE_INPUT_TYPES.includes(inputType)) throw new TranslationError(`\`input_type\` must be one of ${COHERE_INPUT_TYPES.join(", ")}`);
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < texts.length; i += COHERE_MAX_TEXTS) out.push({ texts: texts.slice(i, i + COHERE_MAX_TEXTS), input_type: inputType });
  return out;
}

function numbers(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((x) => typeof x === "number");
}

/** The vectors and token count of one InvokeModel reply, in input order. */
export function embeddingReply(family: EmbeddingFamily, reply: unknown): { vectors: number[][]; tokens: number | undefined } {
  const r = typeof reply === "object" && reply !== null ? (reply as Record<string, unknown>) : {};
  if (family === "titan") {
    if (!numbers(r["embedding"])) throw new TranslationError("the reply has no `embedding`");
    return { vectors: [r["embedding"]], tokens: typeof r["inputTextTokenCount"] === "number" ? r["inputTextTokenCount"] : undefined };
  }
  const embeddings = r["embeddings"];
  if (!Array.isArray(embeddings) || !embeddings.every(numbers)) throw new TranslationError("the reply has no `embeddings`");
  return { vectors: embeddings, tokens: undefined };
}

/** OpenAI's embeddings body from the vectors of every call. */
export function openaiEmbeddings(req: CanonicalRequest, model: string, vectors: number[][], tokens: number | undefined): Record<string, unknown> {
  const base64 = req.embedding?.encodingFormat === "base64";
  const data = vectors.map((v, index) => ({ object: "embedding", index, embedding: base64 ? vectorToBase64(v) : v }));
  const body: Record<string, unknown> = { object: "list", data, model };
  if (tokens !== undefined) body["usage"] = { prompt_tokens: tokens, total_tokens: tokens };
  return body;
}
