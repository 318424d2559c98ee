/** facts: what conditions read about the request (the tokenizer is awaited only when some condition counts tokens). */
import { withoutCredentials } from "../../engine/bearer.js";
import { factsFromChatRequest, loadedTokenizer, loadTokenizer } from "../../engine/index.js";
import type { ChatStep } from "../context.js";

export const facts: ChatStep = async (ctx, next) => {
  const tokenizer = ctx.rt.needsTokenizer ? (loadedTokenizer() ?? (await loadTokenizer())) : undefined;
  ctx.facts = factsFromChatRequest(ctx.body, withoutCredentials(ctx.input.headers), ctx.caller, tokenizer, ctx.input.path);
  return next();
};
