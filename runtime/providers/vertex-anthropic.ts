/**
 * Anthropic's models on Vertex AI: the Messages wire (anthropic.ts's
 * encoder, reply and event-stream translation) posted to
 * `publishers/anthropic/models/{model}:rawPredict` (`:streamRawPredict`
 * for a stream) with the Vertex provider's bearer token. Vertex takes the
 * model from the URL and the API version in the body
 * (`anthropic_version: "vertex-2023-10-16"`), so the body has no `model`.
 */

import { anthropicChunks, anthropicCompletion, translateRequest } from "./anthropic.js";
import type { GoogleCredentials } from "./google-adapter.js";
import { completeOverHttp, endpointOf, streamOverHttp, type HttpDeps, type HttpRequestSpec } from "./http-attempt.js";
import type { ChatStream, Completion, ProviderCall } from "./types.js";

export const VERTEX_ANTHROPIC_VERSION = "vertex-2023-10-16";

/** Claude models are Anthropic's publisher on Vertex; everything else is Google's. */
export function isAnthropicModel(model: string): boolean {
  return /^claude-/.test(model);
}

/** The Messages body Vertex takes: the encoder's, without `model`, with Vertex's version. */
function vertexBody(call: ProviderCall, stream: boolean): string {
  // Parsed back from the one Messages encoder rather than encoded a second way.
  const body = JSON.parse(translateRequest(call, stream)) as Record<string, unknown>;
  delete body["model"];
  return JSON.stringify({ anthropic_version: VERTEX_ANTHROPIC_VERSION, ...body });
}

export interface VertexAnthropicLeg {
  complete(call: ProviderCall): Promise<Completion>;
  stream(call: ProviderCall): Promise<ChatStream>;
}

/** The Anthropic leg of the Vertex adapter, given how to reach a method and authenticate a call. */
export function vertexAnthropic(deps: HttpDeps, url: (call: ProviderCall, method: "rawPredict" | "streamRawPredict") => URL, credentials: (call: ProviderCall) => Promise<GoogleCredentials>): VertexAnthropicLeg {
  const spec = async (call: ProviderCall, stream: boolean): Promise<HttpRequestSpec> => {
    const body = vertexBody(call, stream);
    const creds = await credentials(call);
    const accept = stream ? "text/event-stream" : "application/json";
    return { endpoint: endpointOf(url(call, stream ? "streamRawPredict" : "rawPredict")), headers: ["content-type", "application/json", "accept", accept, ...creds.headers], body, secrets: creds.secrets };
  };
  return {
    complete: async (call) => completeOverHttp(deps, call, await spec(call, false), (reply, origin) => anthropicCompletion(reply, origin, Math.floor(deps.now() / 1000))),
    // The caller's Messages events are not relayed: Vertex's stream is Anthropic's, but the reply is translated like any other.
    stream: async (call) => streamOverHttp(deps, call, await spec(call, true), anthropicChunks(Math.floor(deps.now() / 1000), call.model.upstream, false)),
  };
}
