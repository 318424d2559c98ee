/**
 * explain (present when decisions are logged): collects the decide step's
 * trace events and, once the decision and the input guardrails' verdict are
 * known, records the decision record — the same record as `aigw explain`'s,
 * built from the same events.
 */
import { bearerToken } from "../../engine/bearer.js";
import { explainDecision, type GuardOutcome } from "../../engine/index.js";
import type { ChatContext, ChatStep } from "../context.js";

/** The verdict of a route without guardrails, as the decision record shows it. */
const NO_GUARDRAILS: GuardOutcome = Object.freeze({ blocked: undefined, texts: Object.freeze([]), redacted: Object.freeze([]), flagged: Object.freeze([]) });

export const explain: ChatStep = async (ctx, next) => {
  ctx.trace = [];
  try {
    return await next();
  } finally {
    record(ctx);
  }
};

function record(ctx: ChatContext): void {
  const d = ctx.decision as ChatContext["decision"] | undefined;
  if (d === undefined || ctx.trace === undefined) return;
  // A matched route always went through the input guard step; no route never does.
  const guard = d.kind === "no-route" ? undefined : (ctx.guard ?? NO_GUARDRAILS);
  const keyPresented = bearerToken(ctx.input.headers["authorization"]) !== undefined;
  const decision = explainDecision(ctx.rt.graph, ctx.facts, d, ctx.trace, guard, keyPresented);
  const c = ctx.record.events.find((e) => e.kind === "cache");
  const cache = c?.kind === "cache" ? { name: c.cache, result: c.result, ...(c.entry !== undefined ? { entry: c.entry } : {}) } : undefined;
  ctx.record.add({ kind: "explained", decision: cache === undefined ? decision : { ...decision, cache } });
}
