/**
 * facts: what conditions read about the canonical request, and the texts
 * the model will read (computed here once: the input guard reads the same
 * list). The tokenizer is awaited
 * only when some condition counts tokens, and a long text that reaches the
 * smallest count a comparison uses is counted here in steps, so `decide`
 * (synchronous) never tokenizes it in one go.
 */
import { withoutCredentials } from "../../engine/bearer.js";
import { countAhead, factsFromRequest, loadedTokenizer, loadTokenizer } from "../../engine/index.js";
import { requestTexts } from "../../request/index.js";
import type { ChatStep } from "../context.js";

export const facts: ChatStep = async (ctx, next) => {
  const rt = ctx.rt;
  const tokenizer = rt.needsTokenizer ? countAhead(loadedTokenizer() ?? (await loadTokenizer()), rt.tokenFloor) : undefined;
  const texts = (ctx.texts = requestTexts(ctx.request));
  ctx.facts = factsFromRequest(ctx.request, texts, withoutCredentials(ctx.input.headers), ctx.caller, tokenizer, ctx.input.path);
  if (tokenizer !== undefined && !ctx.facts.tokensCounted) await tokenizer.ahead(ctx.facts.text, ctx.facts.inputBytes);
  return next();
};
