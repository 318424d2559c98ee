/**
 * The Responses leg of the OpenAI adapter: a request that came in on
 * `POST /v1/responses` and goes to an `openai` provider with `responses
 * true` is sent to `{base_url}/responses` as the caller wrote it — while
 * nothing rewrote it, the caller's very bytes with only `model` replaced
 * (runtime/request/wire-bytes.ts); after a redaction, re-encoded with the
 * Responses codec, every field of the caller's still there. The caller gets
 * the upstream's reply bytes (`Completion.wire`) or its own events
 * (wire-relay.ts); the gateway reads them as a chat completion
 * (responses-translate.ts, responses-events.ts) for usage, guardrails and
 * the access log.
 */
import type { ProviderNode } from "../../compiler/graph.js";
import { encodeResponses } from "../request/responses.js";
import { wireBytesFor } from "../request/wire-bytes.js";
import type { CanonicalRequest } from "../request/model.js";
import { TranslationError } from "./anthropic-translate.js";
import { originOf, UpstreamProtocolError, UpstreamStatusError, type ErrorOrigin } from "./errors.js";
import { completeOverHttp, endpointOf, endpointUrl, requestSpecs, streamOverHttp, type ChunkTranslator, type HttpDeps, type JsonReply, type PreparedRequest } from "./http-attempt.js";
import { excerpt, redact } from "./redact.js";
import { ResponsesStreamError, ResponsesStreamTranslator } from "./responses-events.js";
import { fromResponsesReply } from "./responses-translate.js";
import { usageFromWire, type ChatStream, type Completion, type ProviderCall } from "./types.js";
import { TranslatedRules, Verdict } from "./wire-pass.js";
import { WireRelay } from "./wire-relay.js";

/** The call goes to the upstream's Responses endpoint: a Responses request, a provider that serves that API. */
export function passesResponses(call: ProviderCall): boolean {
  return call.request.api === "openai.responses" && call.provider.responses === true;
}

/** The Responses body for `upstream`: the caller's bytes while nothing rewrote the request, else re-encoded. */
function responsesBody(req: CanonicalRequest, upstream: string, stream: boolean): string {
  const bytes = wireBytesFor(req, upstream);
  if (bytes !== undefined) return bytes;
  const body = encodeResponses(req, upstream);
  if (stream) body["stream"] = true;
  else if (body["stream"] === true) delete body["stream"];
  return JSON.stringify(body);
}

function toCompletion(reply: JsonReply, origin: ErrorOrigin): Completion {
  try {
    const completion = fromResponsesReply(reply.json);
    return { completion, usage: usageFromWire(completion.usage), wire: { api: "openai.responses", bytes: reply.bytes } };
  } catch (err) {
    if (err instanceof TranslationError) throw new UpstreamProtocolError(origin, err.message);
    throw err;
  }
}

/** The chunks of a Responses event stream, each carrying the events it came from. */
function responsesChunks(createdSec: number, model: string): ChunkTranslator {
  return async function* (events, { origin, secrets, onUsage }) {
    const translator = new ResponsesStreamTranslator(createdSec, model);
    const relay = new WireRelay();
    for await (const event of events) {
      // Read to the end of the body after the last event so the connection is reused.
      if (translator.done) continue;
      let data: unknown;
      try {
        data = JSON.parse(event.data);
      } catch {
        throw new UpstreamProtocolError(origin, `the \`${excerpt(event.event, 40)}\` event is not JSON`);
      }
      if (typeof data !== "object" || data === null || typeof (data as { type?: unknown }).type !== "string") throw new UpstreamProtocolError(origin, "a stream event has no `type`");
      const chunks = pushEvent(translator, data as Record<string, unknown>, secrets, origin);
      if (translator.done) {
        const usage = usageFromWire(translator.usage);
        if (usage) onUsage(usage);
      }
      relay.carry(event, chunks, translator.done, () => ({ id: "", object: "chat.completion.chunk", created: createdSec, model, choices: [] }));
      yield* chunks;
    }
    if (!translator.done) throw new UpstreamProtocolError(origin, "the event stream ended before response.completed");
  };
}

/** Events a Responses caller's relay reads: the start, the end and the errors; the rest is relayed unread. */
const READ_EVENTS = new Set(["response.created", "response.completed", "response.incomplete", "response.failed", "error", ""]);

/**
 * What a Responses caller's relay reads of a Responses stream
 * (wire-pass.ts): the deltas are relayed unread (checked to be JSON
 * objects); the start, the terminal event (the usage) and a failure go
 * through the same translator as on the chunk path.
 */
export class ResponsesRelayRules extends TranslatedRules<ResponsesStreamTranslator> {
  readonly api = "openai.responses";

  constructor(
    createdSec: number,
    model: string,
    origin: ErrorOrigin,
    private readonly secrets: readonly string[],
  ) {
    super(new ResponsesStreamTranslator(createdSec, model), origin, "response.completed");
  }

  event(name: string, data: Buffer): Verdict {
    this.object(name, data);
    if (!READ_EVENTS.has(name)) return Verdict.Relay;
    pushEvent(this.translator, this.typed(name, data), this.secrets, this.origin);
    return Verdict.Relay;
  }
}

/** Feeds one event to the translator; a failure event becomes a status error. */
function pushEvent(translator: ResponsesStreamTranslator, event: Record<string, unknown>, secrets: readonly string[], origin: ErrorOrigin) {
  try {
    return translator.push(event);
  } catch (err) {
    if (!(err instanceof ResponsesStreamError)) throw err;
    const status = err.errorCode === "rate_limit_exceeded" ? 429 : 500;
    throw new UpstreamStatusError(origin, status, { message: excerpt(redact(err.message, secrets)), ...(err.errorCode === undefined ? {} : { upstreamType: err.errorCode }) });
  }
}

/** The Responses leg over the OpenAI adapter's `prepare` (headers and key), pointed at `/responses`. */
export function responsesLeg(deps: HttpDeps, prepare: (provider: ProviderNode, key: string | undefined) => Omit<PreparedRequest, "key" | "secrets">, defaultBase: string) {
  const spec = requestSpecs(
    (provider, key) => ({ ...prepare(provider, key), endpoint: endpointOf(endpointUrl(provider.baseUrl ?? defaultBase, "/responses")) }),
    (call, stream) => responsesBody(call.request, call.model.upstream, stream),
  );
  return {
    complete: (call: ProviderCall): Promise<Completion> => completeOverHttp(deps, call, spec(call, false), toCompletion),
    stream: (call: ProviderCall): Promise<ChatStream> => {
      const s = spec(call, true);
      const created = Math.floor(deps.now() / 1000);
      // The caller speaks Responses: relayed the upstream's own events (wire-pass.ts) unless a step needs the chunks.
      return streamOverHttp(deps, call, s, responsesChunks(created, call.model.upstream), undefined, new ResponsesRelayRules(created, call.model.upstream, originOf(call), s.secrets));
    },
  };
}
