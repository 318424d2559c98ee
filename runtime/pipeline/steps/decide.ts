/**
 * decide: the pure `decide` on the prepared graph. Nothing is read from the
 * store on the hot path: a fresh view says nothing is spent, and the admit
 * step's atomic admission refuses what is used up and re-plans exactly as a
 * decide on the counters would. When the decision record is kept (the
 * explain step), the matched route's counters are read once and the
 * decision is made again on them, traced, so the record shows them.
 * No route is a 404 naming the accepted models; a route that says
 * `reject STATUS "…"` answers with that status and message, before any
 * guardrail, cache, budget or upstream.
 */
import { decide as evaluate, lackParam, unfitMessage, type Decision, type RoutedDecision, type StateView } from "../../engine/index.js";
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
  // The candidate's decision on the same view, its health read without taking a probe (never throws, sends nothing).
  rt.shadow?.observe(rt.graph, ctx.facts, d, view, ctx.health?.peek, (prepared, v) => evaluate(prepared, ctx.facts, v));
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
  if (d.kind === "refused") {
    if (d.code !== undefined) throw new GatewayError(d.code, d.message, { param: "model" });
    throw new GatewayError("rejected_by_route", d.message, { status: d.status, type: openaiErrorType(d.status) });
  }
  if (d.kind === "route") refuseUnfit(ctx, d);
  return next();
}

/**
 * Records the targets that cannot take the request, and refuses it (400,
 * naming the field) when none of its route's can: the admit step calls this
 * too, for a downgrade's plan.
 */
export function refuseUnfit(ctx: ChatContext, d: RoutedDecision): void {
  const unfit = d.unfit;
  if (unfit === undefined) return;
  ctx.meta.unfit = unfit;
  ctx.record.add({ kind: "unfit", unfit });
  if (d.plan.targets.length > 0) return;
  throw new GatewayError("unsupported_by_targets", unfitMessage(d.route.name, unfit, ctx.facts), { param: lackParam(unfit[0]!.lacks[0]!) });
}

const zero = (): number => 0;

/** OpenAI's error `type` for a status a route rejects with (Anthropic's shape maps the status itself). */
function openaiErrorType(status: number): string {
  if (status === 401) return "authentication_error";
  if (status === 403 || status === 451) return "permission_error";
  if (status === 404) return "not_found_error";
  if (status === 429) return "rate_limit_error";
  if (status === 503) return "server_error";
  return "invalid_request_error";
}
