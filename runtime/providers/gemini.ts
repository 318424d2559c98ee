/**
 * The Gemini API (Google AI Studio) adapter: `models/{model}:generateContent`
 * and `:streamGenerateContent?alt=sse` under `base_url` (by default
 * `https://generativelanguage.googleapis.com/v1beta`), the key in the
 * `x-goog-api-key` header (never in the URL, where it would end up in
 * access logs), and embeddings through `:batchEmbedContents`.
 */

import type { ProviderNode } from "../../compiler/graph.js";
import { TranslationError } from "./anthropic-translate.js";
import { UpstreamProtocolError, type ErrorOrigin } from "./errors.js";
import { createGoogleAdapter, modelPath, type GoogleMethod } from "./google-adapter.js";
import { endpointUrl, type HttpDeps, type JsonReply } from "./http-attempt.js";
import type { Embedded, ProviderAdapter, ProviderCall } from "./types.js";

export const GEMINI_DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com/v1beta";

/** The URL of `method` for `model` under `base`. */
export function geminiUrl(base: string, model: string, method: GoogleMethod): URL {
  const name = model.includes("/") ? model : `models/${model}`;
  return endpointUrl(base, `/${modelPath(name)}:${method}`);
}

/**
 * The `batchEmbedContents` body: one request per input text. Token-array
 * inputs are refused (Gemini takes text only); `dimensions` is
 * `outputDimensionality`.
 */
export function embedBody(call: ProviderCall): string {
  const req = call.request;
  const options = req.embedding;
  if (options?.tokens !== undefined) throw new TranslationError("`input` as token arrays is not supported by Gemini: send text");
  const name = call.model.upstream.includes("/") ? call.model.upstream : `models/${call.model.upstream}`;
  const fields = req.passthrough.fields;
  for (const k of Object.keys(fields)) if (fields[k] !== null && fields[k] !== undefined) throw new TranslationError(`\`${k}\` is not supported by Gemini embeddings`);
  if (req.user !== undefined) throw new TranslationError("`user` is not supported by Gemini embeddings");
  const requests = req.messages.map((m) => {
    const text = m.content.map((b) => (b.kind === "text" ? b.text : "")).join("");
    const one: Record<string, unknown> = { model: name, content: { parts: [{ text }] } };
    if (options?.dimensions !== undefined) one["outputDimensionality"] = options.dimensions;
    return one;
  });
  return JSON.stringify({ requests });
}

/** `{ embeddings: [{ values }] }` as OpenAI's list; Gemini reports no usage (the gateway estimates it). */
export function toEmbedded(reply: JsonReply, origin: ErrorOrigin, call: ProviderCall): Embedded {
  const json = reply.json as { embeddings?: unknown };
  if (!Array.isArray(json?.embeddings)) throw new UpstreamProtocolError(origin, "the reply has no `embeddings`");
  const base64 = call.request.embedding?.encodingFormat === "base64";
  const data = json.embeddings.map((e: unknown, index: number) => {
    const values = (e as { values?: unknown } | null)?.values;
    if (!Array.isArray(values) || !values.every((v) => typeof v === "number")) throw new UpstreamProtocolError(origin, `embedding ${index} has no \`values\``);
    // OpenAI's base64 format: the little-endian float32 bytes.
    const embedding = base64 ? Buffer.from(new Float32Array(values).buffer).toString("base64") : values;
    return { object: "embedding", index, embedding };
  });
  return { body: { object: "list", data, model: call.model.upstream }, usage: undefined };
}

/** Creates the Gemini API adapter over the shared pools. */
export function createGeminiAdapter(deps: HttpDeps): ProviderAdapter {
  return createGoogleAdapter(deps, {
    api: "gemini",
    url: (provider: ProviderNode, model, method) => geminiUrl(provider.baseUrl ?? GEMINI_DEFAULT_BASE_URL, model, method),
    credentials: (call) => (call.key === undefined ? { headers: [], secrets: [] } : { headers: ["x-goog-api-key", call.key], secrets: [call.key] }),
    embed: embedBody,
    toEmbedded,
  });
}
