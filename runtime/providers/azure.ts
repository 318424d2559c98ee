/**
 * The Azure OpenAI adapter. Azure serves OpenAI's chat and embeddings wire
 * per deployment: `{base_url}/openai/deployments/{deployment}/chat/completions?api-version=…`,
 * the deployment being the model's upstream name. The body is the OpenAI
 * adapter's without `model` (the path names the deployment), the replies
 * are OpenAI's (plus Azure's content-filter annotations, passed on as they
 * came; a stream's opening filter-only chunk rides on the next one) and
 * go through the OpenAI adapter's checks. Auth is the `api-key`
 * header, or an Entra ID token as `Authorization: Bearer` (`token`).
 * Content filtering needs no mapping of its own: a filtered reply already
 * says `finish_reason: "content_filter"`, and a filtered prompt is a 400
 * whose `error.code` is `content_filter` (the status error's `upstreamType`).
 */

import type { ModelNode, ProviderNode } from "../../compiler/graph.js";
import { encodeEmbeddings } from "../request/embeddings.js";
import { completeOverHttp, endpointOf, endpointUrl, streamOverHttp, type ChunkTranslator, type HttpDeps, type HttpRequestSpec } from "./http-attempt.js";
import { chatRequest, openaiBody, openaiChunks, toCompletion, toEmbedded } from "./openai.js";
import type { ProviderAdapter, ProviderCall } from "./types.js";

/** compiler/settings.ts's default, repeated so serving never loads the compiler; graphs always carry it. */
const DEFAULT_API_VERSION = "2024-10-21";

/** The deployment's URL for `operation` (`chat/completions`, `embeddings`). */
export function deploymentUrl(provider: ProviderNode, deployment: string, operation: string): URL {
  // Compiled policies always have a base URL (E203); a hand-built graph without one fails here, not at a stranger's host.
  if (provider.baseUrl === undefined) throw new Error("an azure provider needs `base_url`");
  const url = endpointUrl(provider.baseUrl, `/openai/deployments/${encodeURIComponent(deployment)}/${operation}`);
  url.searchParams.set("api-version", provider.azure?.apiVersion ?? DEFAULT_API_VERSION);
  return url;
}

interface Prepared {
  key: string | undefined;
  endpoint: HttpRequestSpec["endpoint"];
  json: readonly string[];
  stream: readonly string[];
}

/** Endpoint and header lists per deployment (model) and key, built once: the URL names the deployment. */
function specsFor(operation: string): (call: ProviderCall, stream: boolean, body: string) => HttpRequestSpec {
  const cache = new WeakMap<ModelNode, Prepared>();
  return (call, stream, body) => {
    let p = cache.get(call.model);
    if (p === undefined || p.key !== call.key) {
      const auth = call.key === undefined ? [] : call.provider.azure?.auth === "bearer" ? ["authorization", `Bearer ${call.key}`] : ["api-key", call.key];
      p = {
        key: call.key,
        endpoint: endpointOf(deploymentUrl(call.provider, call.model.upstream, operation)),
        json: ["content-type", "application/json", "accept", "application/json", ...auth],
        stream: ["content-type", "application/json", "accept", "text/event-stream", ...auth],
      };
      cache.set(call.model, p);
    }
    return { endpoint: p.endpoint, headers: stream ? p.stream : p.json, body, secrets: call.key === undefined ? [] : [call.key] };
  };
}

/** `body` without `model`: Azure takes the deployment from the path. */
function withoutModel(body: object): string {
  const { model: _model, ...rest } = body as Record<string, unknown>;
  return JSON.stringify(rest);
}

/**
 * OpenAI's chunks, except that Azure opens a stream with a chunk of its own
 * (no choices, empty `id`/`object`/`model`, only `prompt_filter_results`),
 * which the OpenAI wire has no place for: its results ride on the next chunk.
 */
const azureChunks: ChunkTranslator = async function* (events, ctx) {
  let filters: unknown;
  for await (const chunk of openaiChunks(events, ctx)) {
    if (chunk.choices.length === 0 && chunk.usage == null && chunk["prompt_filter_results"] !== undefined) {
      filters = chunk["prompt_filter_results"];
      continue;
    }
    if (filters !== undefined) {
      yield { ...chunk, prompt_filter_results: filters };
      filters = undefined;
    } else yield chunk;
  }
};

/** Creates the Azure OpenAI adapter over the shared pools. */
export function createAzureAdapter(deps: HttpDeps): ProviderAdapter {
  const chat = specsFor("chat/completions");
  const embeddings = specsFor("embeddings");
  const chatSpec = (call: ProviderCall, stream: boolean) => chat(call, stream, withoutModel(openaiBody(chatRequest(call), call.model.upstream, stream)));
  return {
    api: "azure",
    complete: (call) => {
      // Not `async`: building the request may throw (a refused field), so reject instead.
      try {
        return completeOverHttp(deps, call, chatSpec(call, false), toCompletion);
      } catch (err) {
        return Promise.reject(err);
      }
    },
    stream: async (call) => streamOverHttp(deps, call, chatSpec(call, true), azureChunks),
    embed: (call) => {
      try {
        return completeOverHttp(deps, call, embeddings(call, false, withoutModel(encodeEmbeddings(call.request, call.model.upstream) as object)), toEmbedded);
      } catch (err) {
        return Promise.reject(err);
      }
    },
  };
}
