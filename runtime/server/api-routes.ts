/**
 * The endpoints of the inbound APIs beside chat: `POST /v1/messages`,
 * `/v1/responses` and `/v1/embeddings` run the runtime's chain of their API
 * (pipeline/apis.ts) exactly as chat does; `POST /v1/messages/count_tokens`
 * counts a Messages request with the gateway's tokenizer (o200k_base: exact
 * for OpenAI's models, an estimate for others); `GET /v1/models/{id}` is
 * one entry of the models list. Errors on the Messages paths are in
 * Anthropic's shape.
 */
import { anthropicError, CodecError, decodeMessages, requestTexts, type InboundApi } from "../request/index.js";
import { loadTokenizer } from "../engine/index.js";
import { identify, errorInfo, GatewayError, parseJsonBody, toErrorReply, type Runtime } from "../pipeline/index.js";
import type { HeaderList, HttpRequest, HttpResponse } from "./uws.js";

const JSON_HEADERS: HeaderList = [["content-type", "application/json"]];

/** The inbound API of each chain path. */
export const API_PATHS: Readonly<Record<string, InboundApi>> = {
  "/v1/messages": "anthropic.messages",
  "/v1/responses": "openai.responses",
  "/v1/embeddings": "openai.embeddings",
};

/** `POST /v1/messages/count_tokens`: `{ input_tokens }` of what the model would read. */
export async function countTokens(rt: Runtime, req: HttpRequest, res: HttpResponse): Promise<void> {
  try {
    await identify(rt, req.headers);
    let request;
    try {
      // count_tokens takes a Messages body without `max_tokens`
      const raw = parseJsonBody(await req.body()) as Record<string, unknown>;
      request = decodeMessages({ max_tokens: 1, ...raw });
    } catch (err) {
      if (err instanceof CodecError) throw new GatewayError("invalid_request", err.message, { param: err.param });
      throw err;
    }
    const tokenizer = await loadTokenizer();
    const text = requestTexts(request).join("\n");
    res.send(200, JSON_HEADERS, JSON.stringify({ input_tokens: tokenizer.count(text) }));
  } catch (err) {
    const e = toErrorReply(err);
    const info = errorInfo(err);
    res.send(e.status, [...JSON_HEADERS, ...e.headers], anthropicError(info.status, info.message));
  }
}

/** `GET /v1/models/{id}`: the entry of a model the policy accepts, else 404. */
export async function modelEntry(rt: Runtime, id: string, req: HttpRequest, res: HttpResponse): Promise<void> {
  try {
    await identify(rt, req.headers);
    const entry = rt.modelEntries.get(id);
    if (entry === undefined) throw new GatewayError("model_not_found", `the model \`${id}\` does not exist`, { param: "model" });
    res.send(200, JSON_HEADERS, entry);
  } catch (err) {
    const e = toErrorReply(err);
    res.send(e.status, [...JSON_HEADERS, ...e.headers], e.body);
  }
}
