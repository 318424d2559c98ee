/**
 * The one small interface every provider adapter implements. No framework
 * types: an adapter encodes its upstream's request from the canonical
 * request (runtime/request/model.ts), replies are OpenAI-format plain
 * objects, failures are the typed errors of `errors.ts`. The server picks
 * `complete` or `stream` from the caller's `stream` flag; the adapter does
 * the rest.
 */

import type { ModelNode, ProviderApi, ProviderNode } from "../../compiler/graph.js";
import type { CanonicalRequest, InboundApi } from "../request/model.js";
import type { ChatCompletion, ChatCompletionChunk } from "../request/openai-wire.js";

/**
 * What an attempt needs of the caller's cancellation. An `AbortSignal` is
 * one; the server passes a cheaper object per request (an AbortController
 * costs more than the rest of a request's bookkeeping), see
 * runtime/server/client-signal.ts.
 */
export interface AbortSignalLike {
  readonly aborted: boolean;
  /** Why it aborted; what a sleep rejects with. */
  readonly reason?: unknown;
  addEventListener(type: "abort", listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: "abort", listener: () => void): void;
}

/** Token counts the provider reported, used to settle budgets and limits. */
export interface Usage {
  /** Every input token, those read from or written to the provider's prompt cache included (OpenAI's `prompt_tokens`). */
  promptTokens: number;
  completionTokens: number;
  /** Of `promptTokens`, read from the provider's prompt cache (OpenAI's `cached_tokens`, Anthropic's `cache_read_input_tokens`). */
  cacheReadTokens?: number;
  /** Of `promptTokens`, written to it (Anthropic's `cache_creation_input_tokens`). */
  cacheWriteTokens?: number;
}

/** One attempt against one target. */
export interface ProviderCall {
  /** What to ask, as sent (after the input guardrails); never mutated. Its passthrough fields go only to an upstream of their own API. */
  request: CanonicalRequest;
  /** The target model; the adapter names `model.upstream`, never `request.model` (the caller's name). */
  model: ModelNode;
  provider: ProviderNode;
  /** The provider's name in the policy, for error messages. */
  providerName: string;
  /** The provider's resolved key, sent only to this provider; absent for keyless providers. */
  key: string | undefined;
  /** A `bedrock` provider's resolved region and credentials; absent when a variable they need is unset. */
  aws?: AwsCredentials;
  /** Aborts the attempt (client gone, overall deadline); the upstream request is cancelled. */
  signal: AbortSignalLike | undefined;
  /**
   * Per-attempt timeout: until the whole reply for `complete`, until the
   * first chunk for `stream`; after that, the longest silence allowed
   * between two chunks.
   */
  timeoutMs: number;
  /** The gateway's request id, carried on errors for correlation. */
  requestId: string;
  /**
   * Headers the route adds (`upstream_header`, lang/SPEC.md §4.8.2), name and
   * value alternating; the compiler refused credential and hop-by-hop names.
   */
  upstreamHeaders?: readonly string[];
}

/** What SigV4 signs with, resolved from the environment at graph load. */
export interface AwsCredentials {
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** A finished non-streaming completion. */
export interface Completion {
  /** OpenAI format, `model` as the upstream named it. */
  completion: ChatCompletion;
  /** Absent when the upstream reported none (the caller estimates instead). */
  usage: Usage | undefined;
  /**
   * The reply exactly as the upstream sent it (UTF-8 JSON), set when those
   * bytes already are the OpenAI completion that `completion` was parsed
   * from (OpenAI-compatible upstreams). The server forwards them instead of
   * serialising `completion` again, so the caller gets the upstream's reply
   * byte for byte, `model` included. Whoever changes `completion` must
   * drop `raw`.
   */
  raw?: Uint8Array;
  /**
   * The reply exactly as the upstream sent it when its wire is the caller's
   * inbound API's (an Anthropic reply to a Messages request): the respond
   * step forwards these bytes as long as nothing changed `completion`.
   */
  wire?: { api: InboundApi; bytes: Uint8Array };
}

/**
 * The upstream's own events (SSE text) a chunk was translated from, set on
 * the chunks of a stream whose wire is the caller's inbound API's (an
 * Anthropic stream for a Messages request): the respond step relays them
 * instead of encoding the chunk. Every event is on some chunk, in order.
 */
export const WIRE_EVENTS: unique symbol = Symbol("aigw.wireEvents");

/** The upstream events a chunk carries (see {@link WIRE_EVENTS}). */
export function wireEventsOf(chunk: ChatCompletionChunk): string | undefined {
  return (chunk as ChatCompletionChunk & { [WIRE_EVENTS]?: string })[WIRE_EVENTS];
}

/**
 * A streaming completion whose first chunk has already arrived: any failure
 * before that rejects `stream()` itself, so the caller may still fall back.
 * Iterate it once, to the end, or call `cancel()`; a failure while iterating
 * throws a typed `UpstreamError`. The last chunk carries `usage` (with empty
 * `choices`) when the upstream reported it; the caller forwards that chunk
 * only if its own client asked for `stream_options.include_usage`.
 */
export interface ChatStream extends AsyncIterable<ChatCompletionChunk> {
  /** Milliseconds from the start of the attempt to the first chunk. */
  readonly firstChunkMs: number;
  /** The reported usage, known once iteration has finished. */
  readonly usage: Usage | undefined;
  /** Stops reading and releases the upstream connection; safe to call twice. */
  cancel(): Promise<void>;
  /**
   * Present when the upstream speaks the caller's own API (an OpenAI-
   * compatible upstream to a chat caller, Anthropic to Messages, Responses
   * to Responses): the stream can be relayed as the upstream's own event
   * bytes instead of its chunks. A wrapper that must read or change the
   * chunks (an output guardrail, the cache, `log_bodies`) leaves it off;
   * one that only needs the usage or a byte count passes it on.
   */
  readonly wire?: WireBytes;
}

/** A stream's upstream events as bytes (see {@link ChatStream.wire}): iterate this or the stream's chunks, never both. */
export interface WireBytes {
  /** The inbound API whose event format the bytes are. */
  readonly api: InboundApi;
  /**
   * The events as they came, whole events only, a batch per upstream read;
   * what the gateway must add or drop is added or dropped (OpenAI's usage
   * chunk a caller did not ask for, a missing `[DONE]`). Throws a typed
   * `UpstreamError` after the events before the failure.
   */
  frames(): AsyncIterable<Uint8Array>;
  /** UTF-8 bytes of the data of the events relayed so far: what settlement counts when no usage came (at least the deltas' bytes). */
  readonly dataBytes: number;
}

/** A finished embeddings request, in OpenAI's format (`{ object: "list", data, model, usage }`). */
export interface Embedded {
  body: Readonly<Record<string, unknown>>;
  usage: Usage | undefined;
  /** The upstream's bytes when they are that body (OpenAI-compatible upstreams): forwarded as they came. */
  raw?: Uint8Array;
}

/** A provider adapter: one per `api` kind, stateless across calls. */
export interface ProviderAdapter {
  readonly api: ProviderApi;
  complete(call: ProviderCall): Promise<Completion>;
  stream(call: ProviderCall): Promise<ChatStream>;
  /** Embeddings, for providers that have them. */
  embed?(call: ProviderCall): Promise<Embedded>;
}

/** Sleeps `ms` or until `signal` aborts (then rejects with the signal's reason). */
export type Sleep = (ms: number, signal?: AbortSignalLike) => Promise<void>;

/** Converts OpenAI's wire usage to ours; `undefined` if absent or malformed. */
export function usageFromWire(usage: unknown): Usage | undefined {
  if (typeof usage !== "object" || usage === null) return undefined;
  const u = usage as { prompt_tokens?: unknown; completion_tokens?: unknown; prompt_tokens_details?: unknown; cache_creation_input_tokens?: unknown };
  if (typeof u.prompt_tokens !== "number" || typeof u.completion_tokens !== "number") return undefined;
  const out: Usage = { promptTokens: u.prompt_tokens, completionTokens: u.completion_tokens };
  const details = u.prompt_tokens_details;
  const read = typeof details === "object" && details !== null ? (details as { cached_tokens?: unknown }).cached_tokens : undefined;
  // Settlement checks every count (budget/settle.ts): what is not a number here is simply not reported.
  if (typeof read === "number" && read > 0) out.cacheReadTokens = read;
  if (typeof u.cache_creation_input_tokens === "number" && u.cache_creation_input_tokens > 0) out.cacheWriteTokens = u.cache_creation_input_tokens;
  return out;
}
