/**
 * The adapter for any OpenAI-compatible API (OpenAI, Azure OpenAI, vLLM,
 * Ollama, Groq, DeepSeek …): the body is the canonical request encoded for
 * OpenAI's chat wire (runtime/request/chat.ts; for a request that came in on
 * that wire and was not rewritten, the caller's own body, key order and
 * all) with `model` replaced by the upstream name, and replies pass back as
 * they came: a JSON
 * reply is parsed (to check it and read its usage) but its bytes are what
 * the caller gets (`Completion.raw`), `model` being the one the upstream
 * reported, as in a stream's chunks. Streams ask for usage
 * (`stream_options.include_usage`) so budgets can be settled. A Responses
 * request to a provider with `responses true` goes to its Responses
 * endpoint instead, as the caller sent it (openai-responses.ts).
 */

import type { ProviderNode } from "../../compiler/graph.js";
import { originOf, ProviderRequestError, UpstreamProtocolError, UpstreamStatusError, type ErrorOrigin } from "./errors.js";
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
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest } from "../request/openai-wire.js";
import { encodeEmbeddings } from "../request/embeddings.js";
import { TranslationError } from "./anthropic-translate.js";
import { openaiChatRequest } from "./openai-request.js";
import { passesResponses, responsesLeg } from "./openai-responses.js";
import { excerpt, redact } from "./redact.js";
import { usageFromWire, type Completion, type Embedded, type ProviderAdapter, type ProviderCall, type Usage } from "./types.js";
import { looksLikeObject, mayHave, mayHaveIn, quoted, Verdict, type WireRules } from "./wire-pass.js";

export const OPENAI_DEFAULT_BASE_URL = "https://api.openai.com/v1";

/** The header that carries `key`: Azure OpenAI wants `api-key`, everyone else a bearer token. */
export function authHeader(url: URL, key: string): [name: string, value: string] {
  const azure = url.hostname.endsWith(".openai.azure.com") || url.hostname.endsWith(".cognitiveservices.azure.com");
  return azure ? ["api-key", key] : ["authorization", `Bearer ${key}`];
}

/**
 * The upstream request body: the caller's, with the target model and the
 * stream settings we need. One pass over the caller's keys (their order is
 * kept; `model` stays where the caller put it) instead of a rest copy and a
 * spread.
 */
export function openaiBody(body: ChatCompletionRequest, upstreamModel: string, stream: boolean): ChatCompletionRequest {
  const out: Record<string, unknown> = {};
  for (const k in body) {
    if (k === "stream" || k === "stream_options" || !Object.hasOwn(body, k)) continue;
    out[k] = k === "model" ? upstreamModel : body[k];
  }
  out.model = upstreamModel;
  if (stream) {
    out.stream = true;
    out.stream_options = { ...(body.stream_options ?? {}), include_usage: true };
  }
  return out as ChatCompletionRequest;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Checks the reply and reads its usage; the caller gets the upstream's bytes (`raw`) unchanged. */
export function toCompletion(reply: JsonReply, origin: ErrorOrigin): Completion {
  const json = reply.json;
  if (!isObject(json) || !Array.isArray(json.choices)) {
    throw new UpstreamProtocolError(origin, "the reply has no `choices`");
  }
  const completion = json as ChatCompletion;
  return { completion, usage: usageFromWire(completion.usage), raw: reply.bytes };
}

/** An error object sent inside a stream (vLLM, OpenAI) becomes a status error. */
function streamedError(error: unknown, origin: ErrorOrigin, secrets: readonly string[]): UpstreamStatusError {
  const e = isObject(error) ? error : {};
  const code = typeof e.code === "number" && e.code >= 400 && e.code < 600 ? e.code : 500;
  const detail: { message?: string; upstreamType?: string } = {};
  if (typeof e.message === "string") detail.message = excerpt(redact(e.message, secrets));
  if (typeof e.type === "string") detail.upstreamType = e.type;
  return new UpstreamStatusError(origin, code, detail);
}

/** OpenAI events are already OpenAI chunks: parse, check, note usage, pass on. */
export const openaiChunks: ChunkTranslator = async function* (events, { origin, secrets, onUsage }) {
  let sawDone = false;
  let sawFinish = false;
  for await (const event of events) {
    // Keep reading after [DONE] so the body ends cleanly and the connection is reused.
    if (sawDone) continue;
    if (event.data === "[DONE]") {
      sawDone = true;
      continue;
    }
    let chunk: unknown;
    try {
      chunk = JSON.parse(event.data);
    } catch {
      throw new UpstreamProtocolError(origin, "a stream event is not JSON");
    }
    if (isObject(chunk) && chunk.error !== undefined) throw streamedError(chunk.error, origin, secrets);
    if (!isObject(chunk) || !Array.isArray(chunk.choices)) {
      throw new UpstreamProtocolError(origin, "a stream event has no `choices`");
    }
    const typed = chunk as ChatCompletionChunk;
    const usage = usageFromWire(typed.usage);
    if (usage) onUsage(usage);
    if (typed.choices.some((c) => c.finish_reason)) sawFinish = true;
    yield typed;
  }
  // Some compatible servers omit [DONE]; a finish reason is proof enough of a whole reply.
  if (!sawDone && !sawFinish) throw new UpstreamProtocolError(origin, "the event stream ended before [DONE]");
};

const DONE = Buffer.from("[DONE]");
const FINISH_KEY = quoted("finish_reason");
/** How many of the last events are kept to look for a finish reason when no `[DONE]` came. */
const RECENT = 3;

/**
 * What a chat caller's relay reads of an OpenAI-compatible stream
 * (wire-pass.ts): only an event that may carry an error or the usage is
 * parsed (the usage chunk, dropped when the caller did not ask for it, as
 * on the chunk path); every other one is checked to be a JSON object and
 * relayed unread. `[DONE]` ends it; a stream that ends without one but
 * with a finish reason in its last events gets it appended.
 */
export class OpenAIChatRules implements WireRules {
  readonly api = "openai.chat";
  done = false;
  usage: Usage | undefined;
  #recent: Buffer[] = [];

  constructor(
    private readonly origin: ErrorOrigin,
    private readonly secrets: readonly string[],
    private readonly includeUsage: boolean,
  ) {}

  event(_name: string, data: Buffer): Verdict {
    if (data.length === DONE.length && data.equals(DONE)) {
      this.done = true;
      return Verdict.Relay;
    }
    if (!looksLikeObject(data)) throw new UpstreamProtocolError(this.origin, "a stream event is not JSON");
    if (this.#recent.push(data) > RECENT) this.#recent.shift();
    // Keys are ASCII: a latin1 view finds them as fast as a search can, without decoding the text.
    const text = data.toString("latin1");
    if (!mayHaveIn(text, '"error"') && !mayHaveIn(text, '"usage"')) return Verdict.Relay;
    let chunk: unknown;
    try {
      chunk = JSON.parse(data.toString("utf8"));
    } catch {
      throw new UpstreamProtocolError(this.origin, "a stream event is not JSON");
    }
    if (isObject(chunk) && chunk.error !== undefined && chunk.error !== null) throw streamedError(chunk.error, this.origin, this.secrets);
    if (!isObject(chunk) || !Array.isArray(chunk.choices)) throw new UpstreamProtocolError(this.origin, "a stream event has no `choices`");
    const usage = usageFromWire(chunk.usage);
    if (usage === undefined) return Verdict.Relay;
    this.usage = usage;
    return chunk.choices.length === 0 && !this.includeUsage ? Verdict.Drop : Verdict.Relay;
  }

  end(): string {
    if (this.done) return "";
    // Some compatible servers omit [DONE]; a finish reason is proof enough of a whole reply.
    if (this.#recent.some((d) => mayHave(d, FINISH_KEY))) return "data: [DONE]\n\n";
    throw new UpstreamProtocolError(this.origin, "the event stream ended before [DONE]");
  }
}

function prepare(provider: ProviderNode, key: string | undefined): Omit<PreparedRequest, "key" | "secrets"> {
  const url = endpointUrl(provider.baseUrl ?? OPENAI_DEFAULT_BASE_URL, "/chat/completions");
  const auth = key === undefined ? [] : authHeader(url, key);
  return {
    endpoint: endpointOf(url),
    jsonHeaders: ["content-type", "application/json", "accept", "application/json", ...auth],
    streamHeaders: ["content-type", "application/json", "accept", "text/event-stream", ...auth],
  };
}

/** Checks an embeddings reply and reads its usage; the caller gets the upstream's bytes. */
export function toEmbedded(reply: JsonReply, origin: ErrorOrigin): Embedded {
  const json = reply.json;
  if (!isObject(json) || !Array.isArray(json.data)) throw new UpstreamProtocolError(origin, "the reply has no `data`");
  const u = isObject(json.usage) ? json.usage : {};
  const usage = typeof u.prompt_tokens === "number" ? { promptTokens: u.prompt_tokens, completionTokens: 0 } : undefined;
  return { body: json, usage, raw: reply.bytes };
}

function prepareEmbeddings(provider: ProviderNode, key: string | undefined): Omit<PreparedRequest, "key" | "secrets"> {
  const p = prepare(provider, key);
  const url = endpointUrl(provider.baseUrl ?? OPENAI_DEFAULT_BASE_URL, "/embeddings");
  return { ...p, endpoint: endpointOf(url) };
}

/** The chat body of a call; what the chat wire cannot honour is a 400 naming it. */
export function chatRequest(call: ProviderCall): ChatCompletionRequest {
  try {
    return openaiChatRequest(call.request);
  } catch (err) {
    if (err instanceof TranslationError) throw new ProviderRequestError(originOf(call), err.message);
    throw err;
  }
}

/** Creates the OpenAI-compatible adapter over the shared pools. */
export function createOpenAIAdapter(deps: HttpDeps): ProviderAdapter {
  const spec = requestSpecs(prepare, (call, stream) => JSON.stringify(openaiBody(chatRequest(call), call.model.upstream, stream)));
  const embedSpec = requestSpecs(prepareEmbeddings, (call) => JSON.stringify(encodeEmbeddings(call.request, call.model.upstream)));
  const responses = responsesLeg(deps, prepare, OPENAI_DEFAULT_BASE_URL);

  return {
    api: "openai",
    complete: (call) => {
      // Not `async`: one promise less per request; building the request may still throw, so reject instead.
      try {
        if (passesResponses(call)) return responses.complete(call);
        return completeOverHttp(deps, call, spec(call, false), toCompletion);
      } catch (err) {
        return Promise.reject(err);
      }
    },
    stream: async (call) => {
      if (passesResponses(call)) return responses.stream(call);
      const s = spec(call, true);
      // A chat caller is relayed the upstream's own events (wire-pass.ts) unless a step needs the chunks.
      const relay = call.request.api === "openai.chat" ? new OpenAIChatRules(originOf(call), s.secrets, call.request.stream?.includeUsage === true) : undefined;
      return streamOverHttp(deps, call, s, openaiChunks, undefined, relay);
    },
    embed: (call) => {
      try {
        return completeOverHttp(deps, call, embedSpec(call, false), toEmbedded);
      } catch (err) {
        return Promise.reject(err);
      }
    },
  };
}
