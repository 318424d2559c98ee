/**
 * admit (present when the policy has budgets or limits): a decision
 * rejected on its counters is a 429; otherwise the worst case is reserved
 * and the limits taken in one atomic admission (runtime/budget). A refused
 * `downgrade` budget re-plans: it is shown to `decide` as spent (the same as
 * `given budget B spent $limit`), so the downgrade or reject happens exactly
 * as `aigw check` predicts, and the new plan is admitted in turn. The hold
 * is settled with the answer's usage or released, exactly once, on every
 * path: after a completion, when a stream ends, on any failure.
 */
import { budgetCap as capOf } from "../../../compiler/graph.js";
import { decide, type RoutedDecision, type StateView } from "../../engine/index.js";
import { requestSize } from "../../budget/cost.js";
import type { Hold } from "../../budget/hold.js";
import type { Reply } from "../respond.js";
import { refuseUnfit } from "./decide.js";
import { routed, type ChatContext, type ChatStep } from "../context.js";
import { admittedHeaders, budgetError, limitError, rejectedError, unlessUnavailable } from "../refusals.js";

export const admit: ChatStep = async (ctx, next) => {
  const d = ctx.decision;
  if (d.kind === "rejected") throw rejectedError(d, ctx.counters, ctx.world.now());
  const first = routed(ctx);
  if (first.budgets.length === 0 && first.limits.length === 0) return next();
  const hold = await admitted(ctx, first);
  let reply: Reply | null;
  try {
    reply = await next();
  } catch (err) {
    // A step after the answer can still fail (the output guard pass's worker): what upstream billed is charged.
    const a = ctx.answered;
    if (a?.kind === "completion") await hold.settleCompletion(a.target, a.completion);
    else await hold.settle(undefined, undefined);
    throw err;
  }
  const a = ctx.answered;
  if (a?.kind === "completion") await hold.settleCompletion(a.target, a.completion);
  else if (a?.kind === "stream" && reply?.kind === "stream") reply.stream = hold.wrap(reply.stream, a.target);
  // Embeddings are priced by their input alone (their worst case reserved no output).
  else if (a?.kind === "embedding") await hold.settle(a.target, a.embedded.usage);
  else await hold.settle(undefined, undefined);
  return reply;
};

/** Admits the decision, re-planning on refused downgrade budgets; sets the decision to execute and its headers. */
async function admitted(ctx: ChatContext, first: RoutedDecision): Promise<Hold> {
  const { rt, world } = ctx;
  const budgets = rt.budgets;
  // The bound is measured on the body as sent (after redaction), which is what the provider bills.
  const size = requestSize(ctx.sent, ctx.request);
  let spentOut: Set<string> | undefined;
  let decision = first;
  for (;;) {
    const admission = await unlessUnavailable(budgets.admit(rt.graph, decision, size, ctx.sent), budgets.log);
    const now = world.now();
    if (admission.admitted) {
      ctx.decision = decision;
      for (const h of admittedHeaders(admission.counted, admission.warnings, now)) ctx.headers.push(h);
      return admission.hold;
    }
    if (admission.limit !== undefined) throw limitError(admission.limit, now);
    const out = (spentOut ??= new Set());
    for (const b of admission.budgets) out.add(b.slot.name);
    const view = ctx.view;
    const over: StateView = { ...view, budgetSpent: (budget, scope) => (out.has(budget) ? capOf(rt.graph.budgets[budget]!, scope) : view.budgetSpent(budget, scope)) };
    const next = decide(rt.prepared, ctx.facts, over);
    if (next.kind === "rejected") {
      const r = next.reason;
      const at = r.kind === "budget" ? admission.budgets.find((b) => b.slot.name === r.budget)?.result.resetAt : undefined;
      throw budgetError(next.message, r.kind === "budget" ? r.budget : "", at, now);
    }
    if (next.kind !== "route" || next.downgrade === undefined) throw new Error("budgets: a refused budget neither rejected nor downgraded");
    refuseUnfit(ctx, next);
    decision = next;
  }
}
