/**
 * What the Gemini API and Vertex AI adapters share: one wire
 * (`generateContent`, `streamGenerateContent?alt=sse`), encoded by
 * gemini-request.ts and read back by gemini-translate.ts. An adapter
 * differs only in where a model's methods live and how a call is
 * authenticated ({@link GoogleTarget}).
 */

import type { ProviderNode } from "../../compiler/graph.js";
import type { ChatCompletionChunk } from "../request/openai-wire.js";
import { TranslationError } from "./anthropic-translate.js";
import { ProviderRequestError, UpstreamProtocolError, UpstreamStatusError, originOf, type ErrorOrigin } from "./errors.js";
import { toGeminiRequest } from "./gemini-request.js";
import { fromGeminiResponse, GeminiStreamError, GeminiStreamTranslator } from "./gemini-translate.js";
import { completeOverHttp, endpointOf, streamOverHttp, type ChunkTranslator, type Endpoint, type HttpDeps, type HttpRequestSpec, type JsonReply } from "./http-attempt.js";
import { excerpt, redact } from "./redact.js";
import { usageFromWire, type Completion, type Embedded, type ProviderAdapter, type ProviderCall } from "./types.js";

export type GoogleMethod = "generateContent" | "streamGenerateContent" | "batchEmbedContents";

/** The headers that authenticate one call, and the values to scrub from upstream text. */
export interface GoogleCredentials {
  headers: readonly string[];
  secrets: readonly string[];
}

/** Where one Google API lives and how it is authenticated. */
export interface GoogleTarget {
  readonly api: "gemini" | "vertex";
  /** The URL of `method` for `model` (the upstream's name); streams add `?alt=sse` themselves. */
  url(provider: ProviderNode, model: string, method: GoogleMethod): URL;
  credentials(call: ProviderCall): GoogleCredentials | Promise<GoogleCredentials>;
  /** Embeddings, when the API has `batchEmbedContents`. */
  embed?: (call: ProviderCall) => string;
  toEmbedded?: (reply: JsonReply, origin: ErrorOrigin, call: ProviderCall) => Embedded;
}

/** A path segment for a model name; `models/…` and `tunedModels/…` names keep their slash. */
export function modelPath(model: string): string {
  return model.split("/").map(encodeURIComponent).join("/");
}

/** The body of a chat call; what Gemini cannot honour is a 400 naming it. */
function chatBody(call: ProviderCall): string {
  try {
    return JSON.stringify(toGeminiRequest(call.request));
  } catch (err) {
    if (err instanceof TranslationError) throw new ProviderRequestError(originOf(call), err.message);
    throw err;
  }
}

/** Translates the event stream; each event is one partial `GenerateContentResponse`, and the stream ends with the connection. */
function geminiChunks(createdSec: number, call: ProviderCall): ChunkTranslator {
  return async function* (events, { origin, secrets, onUsage }) {
    const t = new GeminiStreamTranslator({ createdSec, model: call.model.upstream, fallbackId: call.requestId });
    for await (const event of events) {
      let data: unknown;
      try {
        data = JSON.parse(event.data);
      } catch {
        throw new UpstreamProtocolError(origin, "a stream event is not JSON");
      }
      let chunks: ChatCompletionChunk[];
      try {
        chunks = t.push(data);
      } catch (err) {
        if (err instanceof GeminiStreamError) throw new UpstreamStatusError(origin, err.status, { message: excerpt(redact(err.message, secrets)), ...(err.errorStatus ? { upstreamType: err.errorStatus } : {}) });
        if (err instanceof TranslationError) throw new UpstreamProtocolError(origin, err.message);
        throw err;
      }
      yield* chunks;
    }
    if (!t.done) throw new UpstreamProtocolError(origin, "the event stream ended before a finish reason");
    const usage = usageFromWire(t.wireUsage);
    if (usage) onUsage(usage);
    yield* t.end();
  };
}

/** Creates an adapter for `target` over the shared pools. */
export function createGoogleAdapter(deps: HttpDeps, target: GoogleTarget): ProviderAdapter {
  /** Endpoints by provider, then by model and method: URLs are parsed once. */
  const endpoints = new WeakMap<ProviderNode, Map<string, Endpoint>>();
  const endpoint = (provider: ProviderNode, model: string, method: GoogleMethod): Endpoint => {
    let byName = endpoints.get(provider);
    if (byName === undefined) endpoints.set(provider, (byName = new Map()));
    const name = `${method} ${model}`;
    let e = byName.get(name);
    if (e === undefined) {
      const url = target.url(provider, model, method);
      if (method === "streamGenerateContent") url.searchParams.set("alt", "sse");
      byName.set(name, (e = endpointOf(url)));
    }
    return e;
  };

  const spec = async (call: ProviderCall, method: GoogleMethod, body: string): Promise<HttpRequestSpec> => {
    const creds = await target.credentials(call);
    const accept = method === "streamGenerateContent" ? "text/event-stream" : "application/json";
    return { endpoint: endpoint(call.provider, call.model.upstream, method), headers: ["content-type", "application/json", "accept", accept, ...creds.headers], body, secrets: creds.secrets };
  };

  const toCompletion = (call: ProviderCall) => (reply: JsonReply, origin: ErrorOrigin): Completion => {
    try {
      const completion = fromGeminiResponse(reply.json, { createdSec: Math.floor(deps.now() / 1000), model: call.model.upstream, fallbackId: call.requestId });
      return { completion, usage: usageFromWire(completion.usage) };
    } catch (err) {
      if (err instanceof TranslationError) throw new UpstreamProtocolError(origin, err.message);
      throw err;
    }
  };

  const adapter: ProviderAdapter = {
    api: target.api,
    complete: async (call) => {
      const body = chatBody(call);
      return completeOverHttp(deps, call, await spec(call, "generateContent", body), toCompletion(call));
    },
    stream: async (call) => {
      const body = chatBody(call);
      return streamOverHttp(deps, call, await spec(call, "streamGenerateContent", body), geminiChunks(Math.floor(deps.now() / 1000), call));
    },
  };
  const { embed, toEmbedded } = target;
  if (embed !== undefined && toEmbedded !== undefined) {
    adapter.embed = async (call) => {
      let body: string;
      try {
        body = embed(call);
      } catch (err) {
        if (err instanceof TranslationError) throw new ProviderRequestError(originOf(call), err.message);
        throw err;
      }
      return completeOverHttp(deps, call, await spec(call, "batchEmbedContents", body), (reply, origin) => toEmbedded(reply, origin, call));
    };
  }
  return adapter;
}
