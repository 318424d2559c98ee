/**
 * read + decode: the body, checked (validate.ts: a 400 naming the field at
 * fault); the canonical request is decoded from it when a step first reads
 * `ctx.request` (context.ts). Another inbound API is another decode step in
 * front of the same chain.
 */
import type { ChatStep } from "../context.js";
import { parseChatRequest } from "../validate.js";

export const decode: ChatStep = async (ctx, next) => {
  ctx.body = parseChatRequest(await ctx.input.body());
  ctx.record.add({ kind: "request", model: ctx.body.model, stream: ctx.body.stream === true, body: ctx.body });
  return next();
};
