/**
 * The Anthropic Messages API adapter: encodes the canonical request
 * (`anthropic-request.ts`; a request that came in on the Messages API with
 * its own codec, so `top_k`, `thinking`, `cache_control` … reach
 * Anthropic as the caller sent them, and while nothing rewrote it as the
 * caller's very bytes, `model` replaced), posts it to `/v1/messages` with `x-api-key`
 * and `anthropic-version`, and translates the reply or the event stream
 * (`anthropic-events.ts`) back into OpenAI format; for a Messages caller
 * the reply also keeps the upstream's bytes (`Completion.wire`) and a
 * stream's chunks its events (`WIRE_EVENTS`), relayed as they came.
 */

import type { ProviderNode } from "../../compiler/graph.js";
import { AnthropicStreamError, AnthropicStreamTranslator } from "./anthropic-events.js";
import { withCacheBreakpoints } from "./anthropic-cache.js";
import { toAnthropicRequest } from "./anthropic-request.js";
import { encodeMessages } from "../request/anthropic-messages.js";
import type { CanonicalRequest } from "../request/model.js";
import { portable } from "../request/portable.js";
import { wireBytesFor } from "../request/wire-bytes.js";
import { TranslationError, fromAnthropicResponse } from "./anthropic-translate.js";
import type { AnthropicStreamEvent } from "./anthropic-wire.js";
import { ProviderRequestError, originOf, UpstreamProtocolError, UpstreamStatusError, type ErrorOrigin } from "./errors.js";
import {
  completeOverHttp,
  endpointOf,
  endpointUrl,
  requestSpecs,
  streamOverHttp,
  type ChunkTranslator,
  type HttpDeps,
  type JsonReply,
  type PreparedRequest,
} from "./http-attempt.js";
import { excerpt, redact } from "./redact.js";
import { WireRelay } from "./wire-relay.js";
import { usageFromWire, type Completion, type ProviderAdapter, type ProviderCall } from "./types.js";
import { TranslatedRules, Verdict } from "./wire-pass.js";

export const ANTHROPIC_DEFAULT_BASE_URL = "https://api.anthropic.com";
export const ANTHROPIC_VERSION = "2023-06-01";
/** `max_tokens` when neither the request nor the model declares one. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096;

/** The messages endpoint; a base URL that already ends in `/v1` is accepted too. */
export function messagesUrl(base: string): URL {
  const url = new URL(base);
  return endpointUrl(base, /\/v1\/?$/.test(url.pathname) ? "/messages" : "/v1/messages");
}

/** The Messages body of a call, as JSON text; what the Messages API cannot honour is a 400 naming it. */
export function translateRequest(call: ProviderCall, stream: boolean): string {
  try {
    // A Messages request is already this wire: everything it says is sent (runtime/request/anthropic-messages.ts).
    // (while nothing rewrote it, its very bytes: wire-bytes.ts).
    const cache = call.model.promptCache === "auto";
    if (call.request.api === "anthropic.messages") {
      if (!cache) return wireBytesFor(call.request, call.model.upstream) ?? JSON.stringify(messagesBody(call.request, call.model.upstream, stream));
      const body = messagesBody(call.request, call.model.upstream, stream);
      const marked = withCacheBreakpoints(body);
      return marked === body ? (wireBytesFor(call.request, call.model.upstream) ?? JSON.stringify(body)) : JSON.stringify(marked);
    }
    const request = toAnthropicRequest(portable(call.request), call.model.upstream, {
      defaultMaxTokens: call.model.maxOutput ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
      stream,
    });
    return JSON.stringify(cache ? withCacheBreakpoints(request) : request);
  } catch (err) {
    if (err instanceof TranslationError) throw new ProviderRequestError(originOf(call), err.message);
    throw err;
  }
}

/** The Messages body of a request that came in on the Messages API, for `upstream`. */
function messagesBody(req: CanonicalRequest, upstream: string, stream: boolean): Record<string, unknown> {
  const body = encodeMessages(req, upstream);
  if (stream) body["stream"] = true;
  else if (body["stream"] === true) delete body["stream"];
  return body;
}

/**
 * The chunks of an Anthropic event stream; with `relay` (the caller speaks
 * Messages) the chunks also carry the events they came from (wire-relay.ts).
 */
export function anthropicChunks(createdSec: number, model: string, relaying: boolean): ChunkTranslator {
  return async function* (events, { origin, secrets, onUsage }) {
    const translator = new AnthropicStreamTranslator(createdSec, model);
    const relay = relaying ? new WireRelay() : undefined;
    for await (const event of events) {
      // Read to the end of the body after message_stop so the connection is reused.
      if (translator.done) continue;
      let data: AnthropicStreamEvent;
      try {
        data = JSON.parse(event.data) as AnthropicStreamEvent;
      } catch {
        throw new UpstreamProtocolError(origin, `the \`${excerpt(event.event, 40)}\` event is not JSON`);
      }
      if (typeof data !== "object" || data === null || typeof data.type !== "string") {
        throw new UpstreamProtocolError(origin, "a stream event has no `type`");
      }
      const chunks = translateEvent(translator, data, origin, secrets);
      if (data.type === "message_delta" || data.type === "message_stop") {
        const usage = usageFromWire(translator.usage);
        if (usage) onUsage(usage);
      }
      relay?.carry(event, chunks, translator.done, () => ({ id: "", object: "chat.completion.chunk", created: createdSec, model, choices: [] }));
      yield* chunks;
    }
    if (!translator.done) throw new UpstreamProtocolError(origin, "the event stream ended before message_stop");
  };
}

/** Events a Messages caller's relay relays unread: the content (checked to be a JSON object) and the pings. */
const CONTENT_EVENTS = new Set(["content_block_start", "content_block_delta", "content_block_stop"]);

/**
 * What a Messages caller's relay reads of an Anthropic stream
 * (wire-pass.ts): the content events are relayed unread; message_start,
 * message_delta and message_stop (the usage and the end) and an `error`
 * event go through the same translator as on the chunk path, so usage and
 * errors are read the same way.
 */
export class AnthropicRelayRules extends TranslatedRules<AnthropicStreamTranslator> {
  readonly api = "anthropic.messages";

  constructor(
    createdSec: number,
    model: string,
    origin: ErrorOrigin,
    private readonly secrets: readonly string[],
  ) {
    super(new AnthropicStreamTranslator(createdSec, model), origin, "message_stop");
  }

  event(name: string, data: Buffer): Verdict {
    this.object(name, data);
    if (CONTENT_EVENTS.has(name)) return Verdict.Relay;
    if (name === "ping") return Verdict.Keep;
    const event = this.typed(name, data) as unknown as AnthropicStreamEvent;
    // An unnamed content event is still content: the translator is only told what it needs for usage and the end.
    if (CONTENT_EVENTS.has(event.type)) return Verdict.Relay;
    if (event.type === "ping") return Verdict.Keep;
    translateEvent(this.translator, event, this.origin, this.secrets);
    return Verdict.Relay;
  }
}

function translateEvent(
  translator: AnthropicStreamTranslator,
  event: AnthropicStreamEvent,
  origin: ErrorOrigin,
  secrets: readonly string[],
) {
  try {
    return translator.push(event);
  } catch (err) {
    if (err instanceof AnthropicStreamError) {
      const message = excerpt(redact(err.message, secrets));
      throw new UpstreamStatusError(origin, err.status, { message, upstreamType: err.errorType });
    }
    if (err instanceof TranslationError) throw new UpstreamProtocolError(origin, err.message);
    throw err;
  }
}

function prepare(provider: ProviderNode, key: string | undefined): Omit<PreparedRequest, "key" | "secrets"> {
  const auth = key === undefined ? [] : ["x-api-key", key];
  const common = ["content-type", "application/json", "anthropic-version", ANTHROPIC_VERSION, ...auth];
  return {
    endpoint: endpointOf(messagesUrl(provider.baseUrl ?? ANTHROPIC_DEFAULT_BASE_URL)),
    jsonHeaders: [...common, "accept", "application/json"],
    streamHeaders: [...common, "accept", "text/event-stream"],
  };
}

/** A Messages reply as a completion; a reply that is not one is a protocol error. */
export function anthropicCompletion(reply: JsonReply, origin: ErrorOrigin, createdSec: number): Completion {
  try {
    const completion = fromAnthropicResponse(reply.json, createdSec);
    return { completion, usage: usageFromWire(completion.usage) };
  } catch (err) {
    if (err instanceof TranslationError) throw new UpstreamProtocolError(origin, err.message);
    throw err;
  }
}

/** Creates the Anthropic adapter over the shared pools. */
export function createAnthropicAdapter(deps: HttpDeps): ProviderAdapter {
  const spec = requestSpecs(prepare, translateRequest);

  const toCompletion = (reply: JsonReply, origin: ErrorOrigin): Completion => anthropicCompletion(reply, origin, Math.floor(deps.now() / 1000));
  // The caller speaks Messages too: it gets the upstream's own reply (see Completion.wire).
  const toWireCompletion = (reply: JsonReply, origin: ErrorOrigin): Completion => ({ ...toCompletion(reply, origin), wire: { api: "anthropic.messages", bytes: reply.bytes } });

  return {
    api: "anthropic",
    complete: (call) => {
      // Not `async`: one promise less per request; a request that cannot be translated must reject, not throw.
      try {
        return completeOverHttp(deps, call, spec(call, false), call.request.api === "anthropic.messages" ? toWireCompletion : toCompletion);
      } catch (err) {
        return Promise.reject(err);
      }
    },
    stream: async (call) => {
      const s = spec(call, true);
      const created = Math.floor(deps.now() / 1000);
      const messages = call.request.api === "anthropic.messages";
      // A Messages caller is relayed the upstream's own events (wire-pass.ts) unless a step needs the chunks.
      const relay = messages ? new AnthropicRelayRules(created, call.model.upstream, originOf(call), s.secrets) : undefined;
      return streamOverHttp(deps, call, s, anthropicChunks(created, call.model.upstream, messages), undefined, relay);
    },
  };
}
