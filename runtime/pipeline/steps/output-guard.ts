/**
 * output guard (present when the policy has guardrails): the route's output
 * guardrails on a non-streaming completion (pipeline/guard.ts). A block
 * withholds the text (`content_filter`) and the reply is still a 200; a
 * changed completion is serialised anew instead of forwarding the
 * upstream's bytes. Streams are not inspected (lang/SPEC.md §7.5).
 */
import { routed, type ChatStep } from "../context.js";
import { guardOutput } from "../guard.js";

export const outputGuard: ChatStep = async (ctx, next) => {
  const reply = await next();
  const a = ctx.answered;
  if (a?.kind !== "completion" || reply?.kind !== "json") return reply;
  const out = await guardOutput(ctx.rt.prepared, routed(ctx).guardrails, ctx.facts, a.completion.completion, ctx.rt.applyGuard);
  if (out.redacted.length > 0 || out.flagged.length > 0 || out.blocked !== undefined) {
    ctx.record.add({ kind: "guarded", direction: "output", redacted: out.redacted, flagged: out.flagged, blocked: out.blocked });
  }
  if (!out.changed) return reply;
  ctx.delivered = out.completion;
  reply.body = JSON.stringify(out.completion);
  return reply;
};
