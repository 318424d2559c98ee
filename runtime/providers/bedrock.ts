/**
 * The Amazon Bedrock adapter: the Converse API (`POST /model/{modelId}/converse`)
 * and ConverseStream (`/converse-stream`, AWS's binary event stream), SigV4-
 * signed per request (bedrock-sign.ts); embeddings through InvokeModel for
 * Titan and Cohere embedding models (bedrock-embed.ts). The model id is the model's upstream
 * name, URL-encoded whole, so inference profile ids
 * (`us.anthropic.claude-3-7-sonnet-20250219-v1:0`) and ARNs work. The body
 * is encoded from the canonical request (bedrock-request.ts); replies and
 * events are translated to OpenAI's shape (bedrock-translate.ts). Errors
 * keep AWS's status and exception name (`upstreamType`) with four changes,
 * so a policy's `fallback … on` reasons mean the same as for other
 * providers: `ModelNotReadyException` is a 503 (AWS: 429, but it is the
 * model warming up, not the caller's rate), `ModelErrorException` and a
 * mid-stream `modelStreamErrorException` a 502 (AWS: 424), a
 * `ModelTimeoutException` a 504 (AWS: 408), and a `ValidationException`
 * about the input being too long keeps its 400 but is typed
 * `context_length_exceeded`, OpenAI's name for it.
 */

import type { ProviderNode } from "../../compiler/graph.js";
import { TranslationError } from "./anthropic-translate.js";
import { EVENT_STREAM_TYPE, EventStreamFramingError, parseEventStream } from "./bedrock-eventstream.js";
import { toConverseRequest } from "./bedrock-request.js";
import { signRequest } from "./bedrock-sign.js";
import { ConverseStreamTranslator, fromConverseResponse } from "./bedrock-translate.js";
import type { BedrockStreamEvent } from "./bedrock-wire.js";
import { ProviderRequestError, UpstreamProtocolError, UpstreamStatusError, originOf, type ErrorOrigin } from "./errors.js";
import {
  completeOverHttp,
  endpointOf,
  endpointUrl,
  streamOverHttp,
  type ChunkTranslator,
  type HttpDeps,
  type HttpRequestSpec,
  type JsonReply,
  type StreamFraming,
} from "./http-attempt.js";
import { excerpt, redact } from "./redact.js";
import { portable } from "../request/portable.js";
import { usageFromWire, type AwsCredentials, type Completion, type Embedded, type ProviderAdapter, type ProviderCall } from "./types.js";
import { embeddingBodies, embeddingFamily, embeddingReply, openaiEmbeddings } from "./bedrock-embed.js";

/** The runtime endpoint of `region` (unless the policy names another: a VPC endpoint, a test) for `operation` on `modelId`. */
export function bedrockUrl(provider: ProviderNode, region: string, modelId: string, operation: "converse" | "converse-stream" | "invoke"): URL {
  const base = provider.baseUrl ?? `https://bedrock-runtime.${region}.amazonaws.com`;
  return endpointUrl(base, `/model/${encodeURIComponent(modelId)}/${operation}`);
}

const FRAMING: StreamFraming<BedrockStreamEvent> = { contentType: EVENT_STREAM_TYPE, parse: parseEventStream };

/** AWS's exception name (either casing: JSON errors say `ThrottlingException`, stream events `throttlingException`) → the status a policy sees. */
const STATUS_BY_EXCEPTION: Readonly<Record<string, number>> = {
  throttlingexception: 429,
  servicequotaexceededexception: 429,
  serviceunavailableexception: 503,
  modelnotreadyexception: 503,
  modelerrorexception: 502,
  modelstreamerrorexception: 502,
  modeltimeoutexception: 504,
  internalserverexception: 500,
  validationexception: 400,
  accessdeniedexception: 403,
  resourcenotfoundexception: 404,
};

/** A ValidationException that says the input does not fit the model's context. */
const TOO_LONG = /too long|too many (input )?tokens|context (length|window)|maximum (context|input)|exceeds? the (maximum|max)/i;

/** AWS's error, in the terms the rest of the gateway uses (see the header). */
export function bedrockError(origin: ErrorOrigin, status: number, type: string | undefined, message: string | undefined, retryAfterMs?: number): UpstreamStatusError {
  const name = type?.toLowerCase();
  const mapped = (name !== undefined ? STATUS_BY_EXCEPTION[name] : undefined) ?? status;
  const contextTooLong = name === "validationexception" && message !== undefined && TOO_LONG.test(message);
  const detail: { message?: string; retryAfterMs?: number; upstreamType?: string } = {};
  if (message) detail.message = message;
  if (retryAfterMs !== undefined) detail.retryAfterMs = retryAfterMs;
  if (contextTooLong) detail.upstreamType = "context_length_exceeded";
  else if (type !== undefined) detail.upstreamType = type;
  return new UpstreamStatusError(origin, mapped, detail);
}

function remap(err: unknown): unknown {
  if (!(err instanceof UpstreamStatusError)) return err;
  const origin = { provider: err.provider, ...(err.requestId !== undefined ? { requestId: err.requestId } : {}) };
  return bedrockError(origin, err.status, err.upstreamType, err.upstreamMessage, err.retryAfterMs);
}

function credentialsOf(call: ProviderCall): AwsCredentials {
  if (call.aws === undefined) {
    // Nothing to sign with: refused here (a 400 naming why) rather than sent unsigned; the load warned already.
    throw new ProviderRequestError(originOf(call), "no AWS region and credentials: set the environment variables the provider reads");
  }
  return call.aws;
}

/** A POST of `body` for `operation` on the call's model, signed: a new signature per request (it covers the body and the time). */
async function signedSpec(deps: HttpDeps, call: ProviderCall, operation: "converse" | "converse-stream" | "invoke", body: string): Promise<HttpRequestSpec> {
  const creds = credentialsOf(call);
  const url = bedrockUrl(call.provider, creds.region, call.model.upstream, operation);
  const accept = operation === "converse-stream" ? EVENT_STREAM_TYPE : "application/json";
  const signed = await signRequest(creds, url, { "content-type": "application/json", accept }, body, deps.now());
  const headers: string[] = [];
  for (const [k, v] of Object.entries(signed.headers)) headers.push(k, v);
  return { endpoint: endpointOf(url), headers, body, secrets: signed.secrets };
}

/** The Converse body of a call, signed; what Converse cannot honour is a 400 naming it. */
async function spec(deps: HttpDeps, call: ProviderCall, stream: boolean): Promise<HttpRequestSpec> {
  let body: string;
  try {
    // A Messages or Responses request without the hints of its own wire (request/portable.ts), as for every other wire.
    body = JSON.stringify(toConverseRequest(portable(call.request)));
  } catch (err) {
    if (err instanceof TranslationError) throw new ProviderRequestError(originOf(call), err.message);
    throw err;
  }
  return signedSpec(deps, call, stream ? "converse-stream" : "converse", body);
}

/** Embeddings through InvokeModel (bedrock-embed.ts): the calls of one request run together; any failure fails it. */
async function embed(deps: HttpDeps, call: ProviderCall): Promise<Embedded> {
  const family = embeddingFamily(call.model.upstream);
  let bodies: Record<string, unknown>[];
  try {
    if (family === undefined) throw new TranslationError(`model \`${call.model.upstream}\` is not a Titan or Cohere embedding model`);
    bodies = embeddingBodies(call.request, family, call.model.upstream);
  } catch (err) {
    if (err instanceof TranslationError) throw new ProviderRequestError(originOf(call), err.message);
    throw err;
  }
  const read = (reply: JsonReply, origin: ErrorOrigin) => {
    try {
      return embeddingReply(family, reply.json);
    } catch (err) {
      if (err instanceof TranslationError) throw new UpstreamProtocolError(origin, err.message);
      throw err;
    }
  };
  const replies = await Promise.all(bodies.map(async (b) => completeOverHttp(deps, call, await signedSpec(deps, call, "invoke", JSON.stringify(b)), read)));
  const vectors = replies.flatMap((r) => r.vectors);
  const tokens = replies.every((r) => r.tokens !== undefined) ? replies.reduce((n, r) => n + r.tokens!, 0) : undefined;
  const body = openaiEmbeddings(call.request, call.model.upstream, vectors, tokens);
  return { body, usage: tokens === undefined ? undefined : { promptTokens: tokens, completionTokens: 0 } };
}

/** ConverseStream's events as OpenAI chunks; exception events become the status errors a JSON reply would have given. */
function converseChunks(meta: { id: string; model: string; createdSec: number }): ChunkTranslator<BedrockStreamEvent> {
  return async function* (events, { origin, secrets, onUsage }) {
    const translator = new ConverseStreamTranslator(meta);
    try {
      for await (const event of events) {
        if (translator.done) continue;
        if (event.kind === "exception") throw bedrockError(origin, 500, event.type, excerpt(redact(event.message, secrets)) || undefined);
        const chunks = translator.push(event.type, event.payload);
        const usage = usageFromWire(translator.usage);
        if (translator.done && usage) onUsage(usage);
        yield* chunks;
      }
    } catch (err) {
      if (err instanceof EventStreamFramingError || err instanceof TranslationError) throw new UpstreamProtocolError(origin, err.message);
      throw err;
    }
    if (!translator.done) throw new UpstreamProtocolError(origin, "the event stream ended before `metadata`");
  };
}

/** Creates the Bedrock adapter over the shared pools. */
export function createBedrockAdapter(deps: HttpDeps): ProviderAdapter {
  const meta = (call: ProviderCall) => ({ id: `chatcmpl-${call.requestId}`, model: call.model.upstream, createdSec: Math.floor(deps.now() / 1000) });
  return {
    api: "bedrock",
    async complete(call) {
      const toCompletion = (reply: JsonReply, origin: ErrorOrigin): Completion => {
        try {
          const completion = fromConverseResponse(reply.json, meta(call));
          return { completion, usage: usageFromWire(completion.usage) };
        } catch (err) {
          if (err instanceof TranslationError) throw new UpstreamProtocolError(origin, err.message);
          throw err;
        }
      };
      try {
        return await completeOverHttp(deps, call, await spec(deps, call, false), toCompletion);
      } catch (err) {
        throw remap(err);
      }
    },
    async stream(call) {
      try {
        return await streamOverHttp(deps, call, await spec(deps, call, true), converseChunks(meta(call)), FRAMING);
      } catch (err) {
        throw remap(err);
      }
    },
    async embed(call) {
      try {
        return await embed(deps, call);
      } catch (err) {
        throw remap(err);
      }
    },
  };
}
