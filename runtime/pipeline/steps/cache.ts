/**
 * cache (present when a route has a `cache`): answers a request from the
 * route's response cache, or lets it through and stores the reply
 * (lang/SPEC.md §4.9). It runs after the input guardrails (a blocked
 * request is never answered from the cache) and before admission, so a hit
 * costs nothing against budgets and limits and calls no upstream; with
 * `charge hits` a hit goes through admission and the execute step answers
 * it from the entry (`ctx.cached`) instead of the upstream.
 *
 * A reply is stored only when it is whole and unfiltered: a 200, every
 * choice finished with `stop` or `tool_calls` (not `length`, not
 * `content_filter`), no output guardrail blocked, redacted or flagged it, a
 * stream read to its end (not cancelled, not failed), and its JSON within
 * `max_entry`. The output guard step sits after this one, so what is
 * stored is what the caller got. Identical misses in flight wait for the
 * first (request coalescing, cache/coalesce.ts).
 *
 * A semantic cache (`semantic MODEL`) adds one lookup between the exact
 * miss and coalescing (pipeline/semantic.ts): a close entry answers as a
 * hit (`x-aigw-cache: hit; semantic=S`, the record naming that entry);
 * otherwise the request's vector is filed under its own key once its reply
 * is stored. Identical requests in flight each embed before they coalesce:
 * waiting on the leader first would leave them no vector of their own.
 */
import type { CacheEntry } from "../../cache/entry.js";
import { cacheKey, decodeEntry, encodeEntry } from "../../cache/index.js";
import { cacheVerdict, type PreparedCache } from "../../engine/index.js";
import type { ChatCompletionChunk, ChatStream } from "../../providers/index.js";
import type { ChatContext, ChatStep } from "../context.js";
import type { Reply } from "../respond.js";
import { semanticLookup } from "../semantic.js";

/** Finish reasons of a whole reply. */
const WHOLE = new Set(["stop", "tool_calls", "function_call"]);

export const cache: ChatStep = async (ctx, next) => {
  // The decision before counters were read: decision logging (which reads them) never changes what the cache does.
  const d = ctx.planned;
  const rc = ctx.rt.cache;
  if (d === undefined || rc === undefined) return next();
  const verdict = cacheVerdict(ctx.rt.prepared.routes[d.route.index]!, ctx.facts);
  if (verdict.kind === "none") return next();
  const c = verdict.cache;
  if (verdict.kind === "ineligible") {
    ctx.record.add({ kind: "cache", cache: c.name, result: "ineligible" });
    return next();
  }
  const keyCtx = { target: d.plan.targets[0]?.model ?? "", scope: verdict.scope, cache: c.name, policy: ctx.rt.graph.policy };
  const key = cacheKey(ctx.request, keyCtx);
  const entryId = key.slice(0, 16);
  if (verdict.kind === "bypass") {
    ctx.headers.push(["x-aigw-cache", "bypass"]);
    ctx.record.add({ kind: "cache", cache: c.name, result: "bypass", entry: entryId });
    return verdict.store ? missAndStore(ctx, next, c, key) : next();
  }
  let entry = await lookup(ctx, c, key);
  let hitId = entryId;
  // Exact first; after an exact miss, a semantic cache looks for a stored request that differs only in a close enough last user text.
  const semantic = entry === undefined && c.node.semantic !== undefined ? await semanticLookup(ctx, c, keyCtx, rc.vectors.get(c.name, c.node.semantic.maxVectors), (k) => lookup(ctx, c, k)) : undefined;
  const embedding = semantic !== undefined ? { embedding: semantic.embedding } : {};
  if (semantic?.hit !== undefined) {
    entry = semantic.hit.entry;
    hitId = semantic.hit.key.slice(0, 16);
  }
  if (entry === undefined) {
    const remember = semantic?.remember;
    const joined = rc.coalescer.join(key);
    if (joined.leader) {
      ctx.headers.push(["x-aigw-cache", "miss"]);
      ctx.record.add({ kind: "cache", cache: c.name, result: "miss", entry: entryId, ...embedding });
      return missAndStore(ctx, next, c, key, joined.done, remember);
    }
    await untilSettledOrGone(ctx, joined.settled);
    entry = await lookup(ctx, c, key);
    if (entry === undefined) {
      // The leader stored nothing (a failure, a filtered or truncated reply): this request asks upstream itself.
      ctx.headers.push(["x-aigw-cache", "miss"]);
      ctx.record.add({ kind: "cache", cache: c.name, result: "miss", entry: entryId, ...embedding });
      return missAndStore(ctx, next, c, key, undefined, remember);
    }
  }
  const similarity = semantic?.hit !== undefined && entry === semantic.hit.entry ? semantic.hit.similarity : undefined;
  ctx.headers.push(["x-aigw-cache", similarity === undefined ? "hit" : `hit; semantic=${similarity.toFixed(3)}`], ["age", String(Math.max(0, Math.floor((ctx.world.now() - entry.storedAt) / 1000)))]);
  ctx.record.add({
    kind: "cache",
    cache: c.name,
    result: "hit",
    entry: similarity === undefined ? entryId : hitId,
    target: entry.target,
    ...(entry.usage ? { usage: entry.usage } : {}),
    ...(similarity !== undefined ? { similarity } : {}),
    ...embedding,
  });
  if (c.node.chargeHits) {
    ctx.cached = entry;
    return next();
  }
  return answerFromEntry(ctx, entry);
};

/** The entry under `key` if it is there, unexpired and of the request's kind; a store that fails is a miss. */
async function lookup(ctx: ChatContext, c: PreparedCache, key: string): Promise<CacheEntry | undefined> {
  let bytes: Uint8Array | undefined;
  try {
    bytes = await ctx.rt.cache!.store.get(key);
  } catch {
    return undefined;
  }
  const entry = bytes === undefined ? undefined : await decodeEntry(bytes);
  if (entry === undefined || entry.storedAt + c.node.ttlMs <= ctx.world.now()) return undefined;
  const wanted = ctx.request.operation === "embeddings" ? "embedding" : ctx.request.stream !== undefined ? "stream" : "completion";
  return entry.kind === wanted ? entry : undefined;
}

/** Waits for the leader, unless the client leaves first. */
function untilSettledOrGone(ctx: ChatContext, settled: Promise<void>): Promise<void> {
  const signal = ctx.input.signal;
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const gone = (): void => resolve();
    signal.addEventListener("abort", gone, { once: true });
    void settled.then(() => {
      signal.removeEventListener("abort", gone);
      resolve();
    });
  });
}

/** The reply an entry gives: the completion, a replayed stream, or the embeddings, as if upstream had answered. */
export function answerFromEntry(ctx: ChatContext, entry: CacheEntry): Reply {
  const target = (ctx.meta.target = entry.target);
  switch (entry.kind) {
    case "completion":
      ctx.answered = { kind: "completion", target, completion: { completion: entry.completion, usage: entry.usage } };
      ctx.delivered = entry.completion;
      return { kind: "json", status: 200, headers: [], body: JSON.stringify(entry.completion) };
    case "stream": {
      const stream = replay(entry.chunks, entry.usage);
      ctx.answered = { kind: "stream", target, stream };
      return { kind: "stream", headers: [], stream, includeUsage: ctx.request.stream?.includeUsage === true };
    }
    case "embedding":
      ctx.answered = { kind: "embedding", target, embedded: { body: entry.body, usage: entry.usage } };
      return { kind: "json", status: 200, headers: [], body: JSON.stringify(entry.body) };
  }
}

/** A stored stream played back: the same chunks in order, then its usage. */
function replay(chunks: readonly ChatCompletionChunk[], usage: CacheEntry["usage"]): ChatStream {
  return {
    firstChunkMs: 0,
    usage,
    cancel: async () => {},
    async *[Symbol.asyncIterator]() {
      yield* chunks;
    },
  };
}

/** Lets the request through and stores its reply if it is whole and unfiltered; `done` (coalescing) is called once, whatever happens. */
async function missAndStore(
  ctx: ChatContext,
  next: () => Promise<Reply | null>,
  c: PreparedCache,
  key: string,
  done: () => void = () => {},
  stored?: (key: string) => Promise<void>,
): Promise<Reply | null> {
  let once = false;
  const finish = (): void => {
    if (!once) (once = true), done();
  };
  let reply: Reply | null;
  try {
    reply = await next();
  } catch (err) {
    finish();
    throw err;
  }
  const a = ctx.answered;
  if (reply?.kind === "stream" && a?.kind === "stream") {
    reply.stream = recording(reply.stream, c.node.maxEntryBytes, (chunks) => {
      const last = chunks.findLast((ch) => ch.choices.length > 0);
      const whole = last !== undefined && last.choices.every((ch) => ch.finish_reason !== null && WHOLE.has(ch.finish_reason));
      if (!whole || filtered(ctx)) return finish();
      const usage = reply.stream.usage;
      void store(ctx, c, key, { kind: "stream", target: a.target, storedAt: ctx.world.now(), chunks, ...(usage ? { usage } : {}) }, stored).finally(finish);
    }, finish);
    return reply;
  }
  if (reply?.kind === "json" && reply.status === 200) {
    if (a?.kind === "completion" && ctx.delivered === a.completion.completion && !filtered(ctx)) {
      const completion = a.completion.completion;
      if (completion.choices.length > 0 && completion.choices.every((ch) => ch.finish_reason !== null && WHOLE.has(ch.finish_reason))) {
        await store(ctx, c, key, { kind: "completion", target: a.target, storedAt: ctx.world.now(), completion, ...(a.completion.usage ? { usage: a.completion.usage } : {}) }, stored);
      }
    } else if (a?.kind === "embedding") {
      await store(ctx, c, key, { kind: "embedding", target: a.target, storedAt: ctx.world.now(), body: a.embedded.body, ...(a.embedded.usage ? { usage: a.embedded.usage } : {}) });
    }
  }
  finish();
  return reply;
}

/** An output guardrail blocked, redacted or flagged the reply: it was written for this request only. */
function filtered(ctx: ChatContext): boolean {
  return ctx.record.events.some((e) => e.kind === "guarded" && e.direction === "output");
}

/** Stores an entry within `max_entry`; a store that fails stores nothing (a cache outage never fails a request). */
async function store(ctx: ChatContext, c: PreparedCache, key: string, entry: CacheEntry, stored?: (key: string) => Promise<void>): Promise<void> {
  try {
    const { bytes, jsonBytes } = await encodeEntry(entry);
    if (jsonBytes > c.node.maxEntryBytes) return;
    await ctx.rt.cache!.store.set(key, bytes, c.node.ttlMs);
    ctx.record.add({ kind: "cache-stored", cache: c.name, bytes: bytes.byteLength });
    await stored?.(key);
  } catch {
    // nothing stored
  }
}

/**
 * The stream as the caller reads it, keeping its chunks; `whole` hears them
 * once it ends normally, `abandoned` when it fails, is cancelled or grows
 * past `maxBytes` (then nothing more is kept).
 */
function recording(stream: ChatStream, maxBytes: number, whole: (chunks: ChatCompletionChunk[]) => void, abandoned: () => void): ChatStream {
  let chunks: ChatCompletionChunk[] | undefined = [];
  let size = 0;
  let ended = false;
  const end = (f: () => void): void => {
    if (!ended) (ended = true), f();
  };
  return {
    get firstChunkMs() {
      return stream.firstChunkMs;
    },
    get usage() {
      return stream.usage;
    },
    cancel: async () => {
      end(abandoned);
      await stream.cancel();
    },
    async *[Symbol.asyncIterator]() {
      try {
        for await (const chunk of stream) {
          if (chunks !== undefined) {
            size += JSON.stringify(chunk).length;
            if (size > maxBytes) chunks = undefined;
            else chunks.push(chunk);
          }
          yield chunk;
        }
        const kept = chunks;
        end(() => (kept === undefined ? abandoned() : whole(kept)));
      } finally {
        end(abandoned);
      }
    },
  };
}
