/**
 * shape (present when a route shapes requests): the matched route's `set`,
 * `default` and `cap max_tokens` applied to the request to send, after the
 * input guardrails and before the cache and admission, so the budget
 * reserves the shaped request's worst case (lang/SPEC.md §4.8.2). Facts and
 * the route were read from the request as the caller sent it. What changed
 * is recorded and named in `x-aigw-shaped`; the route's upstream headers
 * ride with every try (steps/execute.ts).
 */
import { shapeRequest } from "../../request/index.js";
import type { ChatContext, ChatStep } from "../context.js";

export const shape: ChatStep = (ctx, next) => {
  const d = ctx.decision;
  if (d.kind !== "route") return next();
  const shaping = ctx.rt.graph.routes[d.route.index]?.shaping;
  if (shaping === undefined) return next();
  const { request, changes } = shapeRequest(ctx.sent, shaping);
  ctx.sent = request;
  if (changes.length > 0) {
    ctx.meta.shaped = changes.map((c) => c.param);
    ctx.record.add({ kind: "shaped", changes });
  }
  return next();
};

/** The route's upstream headers as the provider call takes them (name, value, name, value …). */
export function upstreamHeaders(ctx: ChatContext, route: number): readonly string[] | undefined {
  const headers = ctx.rt.graph.routes[route]?.shaping?.headers;
  return headers === undefined ? undefined : headers.flatMap((h) => [h.name, h.value]);
}
