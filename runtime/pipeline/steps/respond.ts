/**
 * The outermost step: turns what the chain answered or threw into the
 * reply. Every reply carries the decision headers (errors.ts maps a thrown
 * failure to its status and OpenAI-style body, in one place); a successful
 * one also the headers the steps added (budget warnings, `x-ratelimit-*`).
 * A client that left gets nothing (null). Another inbound API is
 * `respondAs(shape)`: the same, with the completion, the stream and the
 * error written in that API's format (apis.ts).
 */
import { errorInfo, GatewayError, toErrorReply } from "../errors.js";
import { decisionHeaders } from "../headers.js";
import { RefusalError } from "../refusals.js";
import type { InboundShape } from "../apis.js";
import type { ChatContext, ChatStep } from "../context.js";
import type { Reply } from "../respond.js";

export const respond: ChatStep = (ctx, next) => answer(ctx, next, undefined);

/** The respond step of another inbound API. */
export function respondAs(shape: InboundShape): ChatStep {
  return (ctx, next) => answer(ctx, next, shape);
}

async function answer(ctx: ChatContext, next: () => Promise<Reply | null>, shape: InboundShape | undefined): Promise<Reply | null> {
  try {
    const reply = await next();
    if (reply === null) return null;
    const headers = decisionHeaders(ctx.meta);
    for (const h of ctx.headers) headers.push(h);
    reply.headers = headers;
    if (shape !== undefined) reshape(ctx, reply, shape);
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
    return { kind: "json", status: e.status, headers, body: shape?.error ? shape.error(errorInfo(err)) : e.body };
  }
}

/** The completion or the stream in the caller's API's format. */
function reshape(ctx: ChatContext, reply: Reply, shape: InboundShape): void {
  if (reply.kind === "json") {
    const a = ctx.answered;
    // The upstream answered in the caller's own wire, and nothing changed its answer: its bytes, as they came.
    const wire = a?.kind === "completion" && a.completion.completion === ctx.delivered ? a.completion.wire : undefined;
    if (wire?.api === shape.api) reply.body = wire.bytes;
    else if (shape.reply !== undefined && ctx.delivered !== undefined) reply.body = shape.reply(ctx.delivered, ctx.request, ctx.raw);
  } else if (shape.encoder !== undefined) reply.encoder = shape.encoder(ctx.request, ctx.raw, ctx.world.now());
}
