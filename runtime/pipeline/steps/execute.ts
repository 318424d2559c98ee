/**
 * execute (the last step): runs the plan against the upstreams
 * (pipeline/execute.ts) and answers: the upstream's own bytes for a
 * completion, the stream for a stream, the embeddings for an embeddings
 * request. A used-up plan is thrown as its
 * error; a client that left gets nothing.
 */
import { routed, type ChatStep } from "../context.js";
import { execute as run } from "../execute.js";
import { answerFromEntry } from "./cache.js";
import { upstreamHeaders } from "./shape.js";

export const execute: ChatStep = async (ctx) => {
  if (ctx.cached !== undefined) return answerFromEntry(ctx, ctx.cached);
  const { rt, world, meta, record } = ctx;
  const result = await run(rt, routed(ctx), {
    request: ctx.sent,
    stream: ctx.sent.stream !== undefined,
    requestId: meta.requestId,
    upstreamHeaders: upstreamHeaders(ctx, routed(ctx).route.index),
    signal: ctx.input.signal,
    deadlineAt: ctx.started + rt.graph.gateway.deadlineMs,
    now: world.now,
    sleep: world.sleep,
    random: world.random,
    clock: world.monotonic,
    onTry: (timing) => record.add({ kind: "try", timing }),
    ...(ctx.health === undefined ? {} : { onOutcome: ctx.health.tried }),
  });
  meta.attempts = result.attempts;
  switch (result.kind) {
    case "aborted":
      record.add({ kind: "attempts", attempts: result.attempts });
      return null;
    case "failed":
      record.add({ kind: "attempts", attempts: result.attempts });
      throw result.error;
    case "completion": {
      const c = result.completion;
      const target = (meta.target = result.target.model);
      record.add(c.usage ? { kind: "attempts", attempts: result.attempts, target, usage: c.usage, completion: c.completion } : { kind: "attempts", attempts: result.attempts, target, completion: c.completion });
      ctx.answered = { kind: "completion", target, completion: c };
      ctx.delivered = c.completion;
      return { kind: "json", status: 200, headers: [], body: c.raw ?? JSON.stringify(c.completion) };
    }
    case "embedding": {
      const e = result.embedded;
      const target = (meta.target = result.target.model);
      record.add(e.usage ? { kind: "attempts", attempts: result.attempts, target, usage: e.usage } : { kind: "attempts", attempts: result.attempts, target });
      ctx.answered = { kind: "embedding", target, embedded: e };
      return { kind: "json", status: 200, headers: [], body: e.raw ?? JSON.stringify(e.body) };
    }
    case "stream": {
      const target = (meta.target = result.target.model);
      record.add({ kind: "attempts", attempts: result.attempts, target });
      ctx.answered = { kind: "stream", target, stream: result.stream };
      return { kind: "stream", headers: [], stream: result.stream, includeUsage: ctx.sent.stream?.includeUsage === true };
    }
  }
};
