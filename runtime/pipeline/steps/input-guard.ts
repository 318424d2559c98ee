/**
 * input guard: the route's input guardrails, before budgets and limits
 * (lang/SPEC.md): a request that would be blocked is a 400 even when it is
 * also over budget. A redaction changes the request that is sent (pipeline/guard.ts).
 */
import type { ChatStep } from "../context.js";
import { guardInput } from "../guard.js";

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
  });
  ctx.sent = guarded.request;
  return next();
};
