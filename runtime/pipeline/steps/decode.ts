/**
 * read + decode: the body, checked (validate.ts: a 400 naming the field at
 * fault), decoded into the canonical request (runtime/request/chat.ts) that
 * every later step and the adapters read. Another inbound API is
 * `decodeAs(shape)`: its codec (runtime/request, named by apis.ts) checks
 * the body and decodes the canonical request the same chain then reads; a
 * field the target cannot honour is refused by the target's adapter.
 */
import { CodecError, decodeChat, type CanonicalRequest } from "../../request/index.js";
import type { InboundShape } from "../apis.js";
import type { ChatStep } from "../context.js";
import { GatewayError } from "../errors.js";
import { parseChatRequest, parseJsonBody } from "../validate.js";

export const decode: ChatStep = async (ctx, next) => {
  const request = (ctx.request = decodeChat(parseChatRequest(await ctx.input.body())));
  ctx.record.add({ kind: "request", model: request.model, stream: request.stream !== undefined, request });
  return next();
};

/** The decode step of another inbound API. */
export function decodeAs(shape: InboundShape): ChatStep {
  return async (ctx, next) => {
    const bytes = await ctx.input.body();
    const raw = parseJsonBody(bytes);
    let request: CanonicalRequest;
    try {
      request = shape.decode(raw, bytes);
    } catch (err) {
      if (err instanceof CodecError) throw new GatewayError("invalid_request", err.message, { param: err.param });
      throw err;
    }
    ctx.raw = raw as Record<string, unknown>;
    ctx.request = request;
    ctx.record.add({ kind: "request", model: request.model, stream: request.stream !== undefined, request });
    return next();
  };
}
