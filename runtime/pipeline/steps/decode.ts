/**
 * read + decode: the body, checked (validate.ts: a 400 naming the field at
 * fault), decoded into the canonical request (runtime/request/chat.ts) that
 * every later step and the adapters read. Another inbound API is another
 * decode step in front of the same chain.
 */
import { decodeChat } from "../../request/index.js";
import type { ChatStep } from "../context.js";
import { parseChatRequest } from "../validate.js";

export const decode: ChatStep = async (ctx, next) => {
  const request = (ctx.request = decodeChat(parseChatRequest(await ctx.input.body())));
  ctx.record.add({ kind: "request", model: request.model, stream: request.stream !== undefined, request });
  return next();
};
