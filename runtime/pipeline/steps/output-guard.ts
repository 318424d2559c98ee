/**
 * output guard (present when the policy has guardrails): the route's output
 * guardrails on the answer. A non-streaming completion is inspected whole
 * (pipeline/guard.ts): a block withholds the text (`content_filter`) and the
 * reply is still a 200; a changed completion is serialised anew instead of
 * forwarding the upstream's bytes. A stream is inspected as it flows
 * (pipeline/stream-guard.ts), through a hold-back window as long as its
 * rules need, unless no output rule applies to streams (lang/SPEC.md §7.5).
 */
import { streamGuardPlan } from "../../engine/stream-guard.js";
import { routed, type ChatStep } from "../context.js";
import { guardOutput } from "../guard.js";
import { guardStream } from "../stream-guard.js";

export const outputGuard: ChatStep = async (ctx, next) => {
  const reply = await next();
  const a = ctx.answered;
  if (a?.kind === "stream" && reply?.kind === "stream") {
    const plan = streamGuardPlan(ctx.rt.prepared, routed(ctx).guardrails, ctx.facts);
    if (plan === undefined) return reply;
    reply.stream = guardStream(reply.stream, plan, (out) => {
      if (out.redacted.length > 0 || out.flagged.length > 0 || out.blocked !== undefined) ctx.record.add({ kind: "guarded", direction: "output", ...out });
    });
    return reply;
  }
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
