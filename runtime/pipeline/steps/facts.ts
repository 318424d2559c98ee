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
import { analyseAhead } from "../offloaded.js";
import { primeBudgetUse } from "../../engine/facts.js";
import { readBudgetUse } from "../../budget/counters.js";
import { unlessUnavailable } from "../refusals.js";

export const facts: ChatStep = (ctx, next) => {
  const rt = ctx.rt;
  let tokenizer: ReturnType<typeof countAhead> | undefined;
  if (rt.needsTokenizer) {
    const loaded = loadedTokenizer();
    // Only the first requests wait for the tokenizer to load; then the step runs again.
    if (loaded !== undefined) tokenizer = countAhead(loaded, rt.tokenFloor);
    else if (rt.prepared.conditionsReadTokens) return loadTokenizer().then(() => facts(ctx, next));
  }
  const texts = (ctx.texts = requestTexts(ctx.request));
  const f = (ctx.facts = factsFromRequest(ctx.request, texts, withoutCredentials(ctx.input.headers), ctx.caller, tokenizer, ctx.input.path, timeOf(ctx)));
  // Only a model's `context` reads tokens: a count is needed only when the byte bound plus what may be
  // asked for output (the caller's `max_tokens` or a route's shaping) passes the smallest context.
  if (rt.needsTokenizer && tokenizer === undefined && f.maxInputTokens + Math.max(f.maxTokens ?? 0, rt.shapedAskCeiling) > rt.tokenFloor) {
    return loadTokenizer().then(() => facts(ctx, next));
  }
  // What may need a worker, the store or a stepped count comes as promises; without any (nearly always) the step stays synchronous.
  const analysed = analyseAhead(rt, f);
  const used = rt.prepared.budgetsUsed;
  if (analysed === undefined && used.length === 0) {
    const counted = tokenizer !== undefined && !f.tokensCounted ? tokenizer.ahead(f.text, f.inputBytes) : undefined;
    return counted === undefined ? next() : counted.then(next);
  }
  return ahead(ctx, analysed, tokenizer).then(next);
};

/** The facts' asynchronous part, in order: the worker's analysis, the `budget_used` counters, a stepped token count. */
async function ahead(ctx: ChatContext, analysed: Promise<void> | undefined, tokenizer: ReturnType<typeof countAhead> | undefined): Promise<void> {
  const rt = ctx.rt;
  const f = ctx.facts;
  await analysed;
  const used = rt.prepared.budgetsUsed;
  // `budget_used` in a condition: this caller's counters of the budgets it names, read once before deciding.
  if (used.length > 0) primeBudgetUse(f, await unlessUnavailable(readBudgetUse(rt.budgets.store, rt.graph, used, f), rt.budgets.log));
  if (tokenizer !== undefined && !f.tokensCounted) await tokenizer.ahead(f.text, f.inputBytes);
}

/** The request's arrival on the World's clock, read in the policy's zone (the time facts). */
function timeOf(ctx: ChatContext): RequestTime {
  const zone = ctx.rt.graph.gateway.timezone;
  return zone === undefined ? { atMs: ctx.started } : { atMs: ctx.started, timezone: zone };
}
