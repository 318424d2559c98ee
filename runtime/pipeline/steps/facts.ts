/**
 * facts: what conditions read about the canonical request, and the texts
 * the model will read (computed here once: the input guard reads the same
 * list). The tokenizer is awaited only when some condition counts tokens.
 * A large text is analysed on a guard pass worker (pipeline/offloaded.ts:
 * its token count, normal form and `matches` verdicts); otherwise a long
 * text that reaches the smallest count a comparison uses is counted here in
 * steps, so `decide`
 * (synchronous) never tokenizes it in one go.
 */
import { withoutCredentials } from "../../engine/bearer.js";
import { countAhead, factsFromRequest, loadedTokenizer, loadTokenizer, type RequestTime } from "../../engine/index.js";
import { requestTexts } from "../../request/index.js";
import type { ChatContext, ChatStep } from "../context.js";
import type { Reply } from "../respond.js";
import { analyseAhead } from "../offloaded.js";
import { primeBudgetUse } from "../../engine/facts.js";
import { readBudgetUse } from "../../budget/counters.js";
import { unlessUnavailable } from "../refusals.js";

export const facts: ChatStep = (ctx, next) => {
  const rt = ctx.rt;
  // Without a tokenizer to load, an offload pass to wait for or budgets to read, the step stays synchronous: no promise of its own.
  if (rt.needsTokenizer || rt.offload !== undefined || rt.prepared.budgetsUsed.length > 0) return factsAhead(ctx, next);
  ctx.facts = factsFromRequest(ctx.request, (ctx.texts = requestTexts(ctx.request)), withoutCredentials(ctx.input.headers), ctx.caller, undefined, ctx.input.path, timeOf(ctx));
  return next();
};

/** The request's arrival on the World's clock, read in the policy's zone (the time facts). */
function timeOf(ctx: ChatContext): RequestTime {
  const zone = ctx.rt.graph.gateway.timezone;
  return zone === undefined ? { atMs: ctx.started } : { atMs: ctx.started, timezone: zone };
}

async function factsAhead(ctx: ChatContext, next: () => Promise<Reply | null>): Promise<Reply | null> {
  const rt = ctx.rt;
  const tokenizer = rt.needsTokenizer ? countAhead(loadedTokenizer() ?? (await loadTokenizer()), rt.tokenFloor) : undefined;
  const texts = (ctx.texts = requestTexts(ctx.request));
  ctx.facts = factsFromRequest(ctx.request, texts, withoutCredentials(ctx.input.headers), ctx.caller, tokenizer, ctx.input.path, timeOf(ctx));
  await analyseAhead(rt, ctx.facts);
  const used = rt.prepared.budgetsUsed;
  // `budget_used` in a condition: this caller's counters of the budgets it names, read once before deciding.
  if (used.length > 0) primeBudgetUse(ctx.facts, await unlessUnavailable(readBudgetUse(rt.budgets.store, rt.graph, used, ctx.facts), rt.budgets.log));
  if (tokenizer !== undefined && !ctx.facts.tokensCounted) await tokenizer.ahead(ctx.facts.text, ctx.facts.inputBytes);
  return next();
}
