/**
 * The outermost step: turns what the chain answered or threw into the
 * reply. Every reply carries the decision headers (errors.ts maps a thrown
 * failure to its status and OpenAI-style body, in one place); a successful
 * one also the headers the steps added (budget warnings, `x-ratelimit-*`).
 * A client that left gets nothing (null).
 */
import { GatewayError, toErrorReply } from "../errors.js";
import { decisionHeaders } from "../headers.js";
import { RefusalError } from "../refusals.js";
import type { ChatStep } from "../context.js";

export const respond: ChatStep = async (ctx, next) => {
  try {
    const reply = await next();
    if (reply === null) return null;
    const headers = decisionHeaders(ctx.meta);
    for (const h of ctx.headers) headers.push(h);
    reply.headers = headers;
    return reply;
  } catch (err) {
    if (ctx.input.signal.aborted) return null;
    const e = toErrorReply(err);
    ctx.record.add({
      kind: "failed",
      status: e.status,
      ...(err instanceof GatewayError ? { code: err.code } : {}),
      // Every 429 from a budget or limit (decided on the counters or refused at admission) names it.
      ...(err instanceof RefusalError ? { by: err.by } : {}),
      ...(e.internal !== undefined ? { internal: e.internal } : {}),
    });
    const headers = decisionHeaders(ctx.meta);
    for (const h of e.headers) headers.push(h);
    return { kind: "json", status: e.status, headers, body: e.body };
  }
};
