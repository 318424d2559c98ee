/**
 * Output guardrails on a stream (lang/SPEC.md §7.5): wraps the chat chunk
 * stream every provider yields, so every inbound API's encoder (chat,
 * Messages, Responses) writes guarded chunks. Each text a delta carries has
 * its own position and `TextGuard` (runtime/engine/stream-guard.ts): per
 * choice its `content`, `refusal`, `reasoning_content`, `reasoning`, and
 * each tool call's `arguments` (a tool call's name, which arrives whole, is
 * guarded on its own). A chunk goes out with what its positions released;
 * a choice's held-back text goes out with its finish chunk. A block ends
 * the stream: the text before the match, then a chunk giving every choice
 * `finish_reason: "content_filter"`, and nothing after (the upstream is
 * cancelled; its usage, if any came, still settles). An upstream's own
 * events (an Anthropic stream to a Messages caller) are not relayed: they
 * would carry the original text.
 */
import { StreamHits, TextGuard, type Released, type StreamGuardPlan } from "../engine/stream-guard.js";
import { WIRE_EVENTS, type ChatStream } from "../providers/index.js";
import type { ChatCompletionChunk, ChunkDelta, ToolCallDelta } from "../request/openai-wire.js";

type Choice = ChatCompletionChunk["choices"][number];
const TEXT_FIELDS = ["content", "refusal", "reasoning_content", "reasoning"] as const;

/** A stream whose deltas pass `plan`'s output rules; `done` receives the hits once it ends (a block included). */
export function guardStream(inner: ChatStream, plan: StreamGuardPlan, done: (hits: ReturnType<StreamHits["report"]>) => void): ChatStream {
  const hits = new StreamHits();
  const positions = new Map<string, TextGuard>();
  const seen = new Set<number>();
  let blocked = false;
  let reported = false;
  const report = (): void => {
    if (reported) return;
    reported = true;
    done(hits.report(plan));
  };
  const guard = (key: string): TextGuard => {
    let g = positions.get(key);
    if (g === undefined) positions.set(key, (g = new TextGuard(plan, hits)));
    return g;
  };
  /** Runs one text through its position; a block is remembered and ends the stream after this chunk. */
  const pass = (r: Released): string => {
    if (r.blocked !== undefined) blocked = true;
    return r.text;
  };

  /** The choice's delta with its texts guarded (and, when it finishes, everything its positions still hold). */
  function choice(c: Choice): Choice {
    seen.add(c.index);
    const d: ChunkDelta = { ...c.delta };
    const flush = c.finish_reason !== null && c.finish_reason !== undefined;
    for (const f of TEXT_FIELDS) {
      const text = d[f];
      if (typeof text === "string" && !blocked) d[f] = pass(guard(`${c.index}:${f}`).push(text));
    }
    if (d.tool_calls !== undefined) d.tool_calls = d.tool_calls.map((t) => toolCall(c.index, t));
    if (flush) {
      for (const f of TEXT_FIELDS) {
        const g = positions.get(`${c.index}:${f}`);
        if (g === undefined || blocked) continue;
        const rest = pass(g.end());
        if (rest !== "") d[f] = (typeof d[f] === "string" ? (d[f] as string) : "") + rest;
      }
      for (const [key, g] of positions) {
        if (blocked || !key.startsWith(`${c.index}:tool:`)) continue;
        const rest = pass(g.end());
        if (rest !== "") (d.tool_calls ??= []).push({ index: Number(key.slice(key.lastIndexOf(":") + 1)), function: { arguments: rest } });
      }
    }
    return { ...c, delta: d, finish_reason: blocked ? null : c.finish_reason };
  }

  function toolCall(index: number, t: ToolCallDelta): ToolCallDelta {
    if (t.function === undefined || blocked) return t;
    const fn = { ...t.function };
    if (typeof fn.name === "string" && fn.name !== "") {
      // A name arrives whole: guarded as a text of its own, like a whole reply's tool-call name.
      const g = new TextGuard(plan, hits);
      const head = pass(g.push(fn.name));
      fn.name = blocked ? head : head + pass(g.end());
    }
    if (typeof fn.arguments === "string" && !blocked) fn.arguments = pass(guard(`${index}:tool:${t.index}`).push(fn.arguments));
    return { ...t, function: fn };
  }

  function guarded(chunk: ChatCompletionChunk): ChatCompletionChunk {
    const out: ChatCompletionChunk = { ...chunk, choices: chunk.choices.map(choice) };
    delete (out as ChatCompletionChunk & { [WIRE_EVENTS]?: string })[WIRE_EVENTS];
    return out;
  }

  /** The chunk that ends a blocked stream, every choice filtered. */
  function filtered(like: ChatCompletionChunk): ChatCompletionChunk {
    const choices = [...seen].sort((a, b) => a - b).map((index): Choice => ({ index, delta: {}, finish_reason: "content_filter", logprobs: null }));
    return { id: like.id, object: "chat.completion.chunk", created: like.created, model: like.model, choices };
  }

  async function* run(): AsyncGenerator<ChatCompletionChunk> {
    let last: ChatCompletionChunk | undefined;
    try {
      for await (const chunk of inner) {
        last = chunk;
        const out = guarded(chunk);
        yield out;
        if (blocked) {
          yield filtered(chunk);
          return; // leaving the loop cancels the upstream
        }
      }
      // The upstream ended without finishing some choice: what those still hold goes out last.
      if (last !== undefined && positions.size > 0) {
        const open = [...seen].map((index): Choice => ({ index, delta: {}, finish_reason: "stop", logprobs: null }));
        const tail = guarded({ ...last, choices: open, usage: null });
        tail.choices = tail.choices.filter((c) => Object.values(c.delta).some((v) => v !== undefined)).map((c) => ({ ...c, finish_reason: null }));
        if (tail.choices.length > 0) yield tail;
        if (blocked) yield filtered(last);
      }
    } finally {
      report();
    }
  }

  return {
    get firstChunkMs() {
      return inner.firstChunkMs;
    },
    get usage() {
      return inner.usage;
    },
    [Symbol.asyncIterator]: () => run(),
    async cancel() {
      await inner.cancel();
      report();
    },
  };
}
