/**
 * The inbound APIs the chain serves, each as the few things that differ
 * between them: how a body is decoded (runtime/request's codecs), how a
 * completion and a stream are written back, and the error shape its SDKs
 * parse. Everything between decode and respond — auth, facts, routing,
 * guardrails, budgets, limits, execution — is the same chain
 * (chain.ts), whichever API the caller used.
 *
 * The steps after decode read the canonical request the codec decoded; a
 * field the target cannot honour is refused by the target's adapter with a
 * 400 naming it (runtime/providers), never dropped.
 */
import { wireEventsOf, type ChatCompletion, type ChatCompletionChunk } from "../providers/index.js";
import { withWireBytes } from "../request/wire-bytes.js";
import {
  anthropicError,
  decodeEmbeddings,
  decodeMessages,
  decodeResponses,
  messagesReply,
  MessagesStreamEncoder,
  responseObject,
  ResponsesStreamEncoder,
  type CanonicalRequest,
  type InboundApi,
} from "../request/index.js";
import type { ErrorInfo } from "./errors.js";

/** Writes a stream in an API's event format. */
export interface StreamEncoder {
  chunk(c: ChatCompletionChunk): string;
  end(): string;
  /** The last event of a stream that failed after its first byte. */
  error(e: ErrorInfo): string;
}

/** What one inbound API adds around the chain. */
export interface InboundShape {
  readonly api: InboundApi;
  /** The canonical request of a parsed body, `bytes` as they came (throws a `CodecError` or a `GatewayError`). */
  decode(body: unknown, bytes: Uint8Array): CanonicalRequest;
  /** The reply body for a completion (unless the upstream's own bytes are of this API: `Completion.wire`); absent: the completion as OpenAI sent it. */
  reply?(c: ChatCompletion, req: CanonicalRequest, raw: Readonly<Record<string, unknown>>): string;
  /** A stream encoder for one reply; absent: OpenAI's `data:` chunks. */
  encoder?(req: CanonicalRequest, raw: Readonly<Record<string, unknown>>, now: number): StreamEncoder;
  /** An error body in this API's shape; absent: OpenAI's. */
  error?(e: ErrorInfo): string;
}

/**
 * `enc`, except that a stream whose chunks carry their upstream's own
 * events (an upstream of the caller's API: providers' WIRE_EVENTS) is
 * written as those events, its end included; every event rides on some
 * chunk, so the chunks without events are already written.
 */
function relaying(enc: StreamEncoder): StreamEncoder {
  let relayed = false;
  const chunk = (c: ChatCompletionChunk): string => {
    const events = wireEventsOf(c);
    if (events === undefined) return relayed ? "" : enc.chunk(c);
    relayed = true;
    return events;
  };
  return { chunk, end: () => (relayed ? "" : enc.end()), error: (e) => enc.error(e) };
}

export const messagesShape: InboundShape = {
  api: "anthropic.messages",
  // The bytes are remembered for an Anthropic upstream, which is sent them while nothing rewrites the request.
  decode: (body, bytes) => withWireBytes(decodeMessages(body), bytes),
  reply: (c) => JSON.stringify(messagesReply(c)),
  // An Anthropic upstream's chunks carry its own events: those are relayed as they came.
  encoder: () => {
    const enc = new MessagesStreamEncoder();
    return relaying({ chunk: (c) => enc.chunk(c), end: () => enc.end(), error: (e) => enc.error(e.status, e.message) });
  },
  error: (e) => anthropicError(e.status, e.message),
};

/** What a Response repeats of the request that asked for it. */
const ECHOED = ["instructions", "max_output_tokens", "temperature", "top_p", "tools", "tool_choice", "parallel_tool_calls", "text", "reasoning", "metadata", "user"];

function echoOf(raw: Readonly<Record<string, unknown>>, now: number) {
  const fields: Record<string, unknown> = {};
  for (const k of ECHOED) if (raw[k] !== undefined && raw[k] !== null) fields[k] = raw[k];
  return { fields, createdAt: Math.floor(now / 1000) };
}

export const responsesShape: InboundShape = {
  api: "openai.responses",
  // The bytes are remembered for an upstream that serves Responses (`responses true`), sent them while nothing rewrites the request.
  decode: (body, bytes) => withWireBytes(decodeResponses(body), bytes),
  reply: (c, _req, raw) => JSON.stringify(responseObject(c, echoOf(raw, c.created * 1000))),
  // Such an upstream's chunks carry its own events: relayed as they came.
  encoder: (_req, raw, now) => {
    const enc = new ResponsesStreamEncoder(echoOf(raw, now));
    return relaying({ chunk: (c) => enc.chunk(c), end: () => enc.end(), error: (e) => enc.error(e.code, e.message) });
  },
};

export const embeddingsShape: InboundShape = {
  api: "openai.embeddings",
  decode: decodeEmbeddings,
};
