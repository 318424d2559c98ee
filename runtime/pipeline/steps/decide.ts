/**
 * decide: the pure `decide` on the prepared graph. Nothing is read from the
 * store on the hot path: a fresh view says nothing is spent, and the admit
 * step's atomic admission refuses what is used up and re-plans exactly as a
 * decide on the counters would. When the decision record is kept (the
 * explain step), the matched route's counters are read once and the
 * decision is made again on them, traced, so the record shows them.
 * No route is a 404 naming the accepted models.
 */
import { decide as evaluate, type Decision, type StateView } from "../../engine/index.js";
import { countedView, readCounters } from "../../budget/counters.js";
import type { ChatContext, ChatStep } from "../context.js";
import type { Reply } from "../respond.js";
import { GatewayError } from "../errors.js";
import { unlessUnavailable } from "../refusals.js";

export const decide: ChatStep = (ctx, next) => {
  const { rt, world } = ctx;
  const startMs = rt.timeSteps ? world.monotonic() : 0;
  let drawn: number | undefined;
  // One draw per request, whether it is decided once or twice.
  const draw = (): number => (drawn ??= world.random());
  const tracker = rt.health;
  const health = tracker?.request(rt.graph, rt.graph.gateway.deadlineMs);
  const view: StateView = health === undefined ? { budgetSpent: zero, limitUsed: zero, draw } : { budgetSpent: zero, limitUsed: zero, draw, health: health.read, latency: tracker!.latencyOf };
  ctx.view = view;
  ctx.health = health;
  if (health === undefined) return decided(ctx, view, startMs, next);
  return withHealth(health, () => decided(ctx, view, startMs, next));
};

/** Runs the rest of the chain; probes this request took but never sent go back, whatever happened after. */
async function withHealth(health: NonNullable<ChatContext["health"]>, rest: () => Promise<Reply | null>): Promise<Reply | null> {
  try {
    return await rest();
  } finally {
    health.finish();
  }
}

/** Decides and runs the rest of the chain: synchronously up to `next` unless the decision is traced (its counters are read first). */
function decided(ctx: ChatContext, view: StateView, startMs: number, next: () => Promise<Reply | null>): Promise<Reply | null> {
  const { rt } = ctx;
  const d: Decision = evaluate(rt.prepared, ctx.facts, view);
  if (d.kind === "route") ctx.planned = d;
  if (ctx.trace !== undefined) return traced(ctx, d, view, startMs, next);
  return routedOn(ctx, d, startMs, next);
}

/** Decides again, traced, on the matched route's counters (the decision record shows them). */
async function traced(ctx: ChatContext, first: Decision, view: StateView, startMs: number, next: () => Promise<Reply | null>): Promise<Reply | null> {
  const { rt } = ctx;
  const trace = ctx.trace!;
  const tracer = { tracer: (e: (typeof trace)[number]) => void trace.push(e) };
  if (first.kind === "route" && (first.budgets.length > 0 || first.limits.length > 0)) {
    ctx.counters = await unlessUnavailable(readCounters(rt.budgets.store, first), rt.budgets.log);
    ctx.view = countedView(view, ctx.counters);
  }
  return routedOn(ctx, evaluate(rt.prepared, ctx.facts, ctx.view, tracer), startMs, next);
}

function routedOn(ctx: ChatContext, d: Decision, startMs: number, next: () => Promise<Reply | null>): Promise<Reply | null> {
  const { rt, world } = ctx;
  ctx.decision = d;
  const endMs = rt.timeSteps ? world.monotonic() : 0;
  if (d.kind === "no-route") {
    if (rt.timeSteps) ctx.record.add({ kind: "unrouted", startMs, endMs });
    throw new GatewayError("model_not_found", d.message, { param: "model" });
  }
  ctx.meta.route = d.route.name;
  if (d.kind === "route" && d.skipped !== undefined) {
    ctx.meta.skipped = d.skipped;
    ctx.record.add({ kind: "skipped", skipped: d.skipped });
  }
  ctx.record.add(rt.timeSteps ? { kind: "routed", route: d.route.name, span: d.route.span, startMs, endMs } : { kind: "routed", route: d.route.name, span: d.route.span });
  return next();
}

const zero = (): number => 0;
