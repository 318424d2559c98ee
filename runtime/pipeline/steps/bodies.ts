/**
 * bodies (present with `log_bodies true`): records the body as sent
 * upstream (after the input guardrails' redactions) and, once answered, the
 * completion as the caller got it, for the access log (observe/bodies.ts).
 * A blocked request never gets here, so its body is never logged.
 */
import type { ChatStep } from "../context.js";

export const bodies: ChatStep = async (ctx, next) => {
  const d = ctx.decision;
  if (d.kind !== "no-route") ctx.record.add({ kind: "bodies", request: ctx.sent, guardrails: d.guardrails, facts: ctx.facts });
  const reply = await next();
  if (ctx.delivered !== undefined) ctx.record.add({ kind: "completion", completion: ctx.delivered });
  return reply;
};
