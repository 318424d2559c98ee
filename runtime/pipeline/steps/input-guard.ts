/**
 * input guard: the route's input guardrails, before budgets and limits
 * (lang/SPEC.md): a request that would be blocked is a 400 even when it is
 * also over budget. A redaction changes the request that is sent (pipeline/guard.ts).
 */
import type { ChatContext, ChatStep } from "../context.js";
import { guardInput, type GuardResult } from "../guard.js";
import type { Reply } from "../respond.js";

export const inputGuard: ChatStep = (ctx, next) => {
  const { rt, decision } = ctx;
  if (decision.kind === "no-route") return next();
  const guarded = guardInput(rt.prepared, decision.guardrails, ctx.facts, ctx.request, ctx.texts, (o) => {
    ctx.guard = o;
    ctx.record.add({
      kind: "guarded",
      direction: "input",
      redacted: o.redacted,
      flagged: o.flagged,
      blocked: o.blocked,
      ...(rt.timeSteps ? { endMs: ctx.world.monotonic() } : {}),
    });
  }, rt.applyGuard);
  // Synchronous unless the guard pass ran on a worker.
  if (guarded instanceof Promise) return guarded.then((g) => sendOn(ctx, g, next));
  return sendOn(ctx, guarded, next);
};

function sendOn(ctx: ChatContext, guarded: GuardResult, next: () => Promise<Reply | null>): Promise<Reply | null> {
  ctx.sent = guarded.request;
  return next();
}
