/**
 * read + decode: the body, checked (validate.ts: a 400 naming the field at
 * fault); the canonical request is decoded from it when a step first reads
 * `ctx.request` (context.ts). Another inbound API is `decodeAs(shape)`: its
 * codec (runtime/request) decodes the canonical request, and the chain
 * carries that request's chat body (unsent.ts).
 */
import { CodecError } from "../../request/index.js";
import type { InboundShape } from "../apis.js";
import type { ChatStep } from "../context.js";
import { GatewayError } from "../errors.js";
import { chatBodyOf } from "../unsent.js";
import { parseChatRequest, parseJsonBody } from "../validate.js";

export const decode: ChatStep = async (ctx, next) => {
  ctx.body = parseChatRequest(await ctx.input.body());
  ctx.record.add({ kind: "request", model: ctx.body.model, stream: ctx.body.stream === true, body: ctx.body });
  return next();
};

/** The decode step of another inbound API. */
export function decodeAs(shape: InboundShape): ChatStep {
  return async (ctx, next) => {
    const raw = parseJsonBody(await ctx.input.body());
    let request;
    try {
      request = shape.decode(raw);
    } catch (err) {
      if (err instanceof CodecError) throw new GatewayError("invalid_request", err.message, { param: err.param });
      throw err;
    }
    ctx.raw = raw as Record<string, unknown>;
    ctx.decoded(request);
    ctx.body = chatBodyOf(request);
    ctx.record.add({ kind: "request", model: request.model, stream: request.stream !== undefined, body: ctx.body });
    return next();
  };
}
