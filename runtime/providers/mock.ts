/**
 * The built-in `mock` provider: no network, deterministic replies derived
 * from the request, configurable latency and failures (from the policy's
 * `provider … { api mock latency … }`). Sleep, randomness and the clock are
 * passed in, so tests and benchmarks decide time and luck.
 *
 * The reply: if the request offers tools (and `tool_choice` is not `none`)
 * and the last message is the user's, a call of the named tool (else the
 * first) with `{}` arguments; otherwise `mock: ` and the text of the last
 * user or tool message. Tokens are counted as characters / 4, rounded up.
 */

import { openChatStream } from "./chat-stream.js";
import { UpstreamAbortedError, UpstreamStatusError, UpstreamTimeoutError, originOf, type ErrorOrigin } from "./errors.js";
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest, ChatMessage, ChunkDelta, FinishReason, ToolCall } from "../request/openai-wire.js";
import type { ChatStream, Completion, EmbedCall, Embedded, ProviderAdapter, ProviderCall, Sleep, Usage } from "./types.js";
import { vectorToBase64 } from "../request/embeddings.js";

/** The mock's embedding size when the request names no `dimensions`. */
export const MOCK_EMBEDDING_DIMENSIONS = 256;

/** A deterministic unit vector of `dimensions` for `text` (xorshift seeded by its hash). */
export function mockVector(text: string, dimensions: number): number[] {
  let x = parseInt(hash(text), 16) || 1;
  const v: number[] = [];
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const f = ((x >>> 0) / 0xffffffff) * 2 - 1;
    v.push(f);
    norm += f * f;
  }
  const n = Math.sqrt(norm) || 1;
  return v.map((f) => Math.fround(f / n));
}

/** The mock's embeddings reply: one vector per input, usage by its characters / 4. */
export function mockEmbeddings(input: Readonly<Record<string, unknown>>, model: string): Embedded {
  const raw = input["input"];
  const list: unknown[] = typeof raw === "string" || (Array.isArray(raw) && typeof raw[0] === "number") ? [raw] : Array.isArray(raw) ? raw : [];
  const dims = typeof input["dimensions"] === "number" ? input["dimensions"] : MOCK_EMBEDDING_DIMENSIONS;
  const base64 = input["encoding_format"] === "base64";
  let prompt = 0;
  const data = list.map((x, index) => {
    const text = typeof x === "string" ? x : JSON.stringify(x);
    prompt += typeof x === "string" ? mockTokens(text) : (x as unknown[]).length;
    const v = mockVector(text, dims);
    return { object: "embedding", index, embedding: base64 ? vectorToBase64(v) : v };
  });
  return { body: { object: "list", data, model, usage: { prompt_tokens: prompt, total_tokens: prompt } }, usage: { promptTokens: prompt, completionTokens: 0 } };
}

export interface MockDeps {
  sleep: Sleep;
  /** Uniform in [0, 1): decides the failures. */
  random: () => number;
  /** Wall clock in milliseconds. */
  now: () => number;
}

/** What the mock will answer to a request, before it is shaped as a completion or chunks. */
export interface MockReply {
  text: string | null;
  toolCall: ToolCall | undefined;
  finish: FinishReason;
  usage: Usage;
}

/** Tokens as the mock counts them: characters / 4, rounded up. */
export function mockTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

function textOf(message: ChatMessage | undefined): string {
  const content = message?.content;
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((part) => (part.type === "text" ? part.text : "")).filter(Boolean).join(" ");
}

/** The deterministic reply to `body`. */
export function mockReply(body: ChatCompletionRequest): MockReply {
  const promptTokens = mockTokens(body.messages.map(textOf).join("\n"));
  const last = body.messages[body.messages.length - 1];
  const tools = body.tools ?? [];
  if (tools.length > 0 && body.tool_choice !== "none" && last?.role === "user") {
    const choice = body.tool_choice;
    const name = typeof choice === "object" ? choice.function.name : tools[0]!.function.name;
    const args = "{}";
    const toolCall: ToolCall = { id: `call_mock_${hash(name + JSON.stringify(body.messages)).slice(0, 8)}`, type: "function", function: { name, arguments: args } };
    return { text: null, toolCall, finish: "tool_calls", usage: { promptTokens, completionTokens: mockTokens(name + args) } };
  }
  const lastText = [...body.messages].reverse().find((m) => m.role === "user" || m.role === "tool");
  let text = `mock: ${textOf(lastText)}`;
  let finish: FinishReason = "stop";
  const max = body.max_completion_tokens ?? body.max_tokens;
  if (typeof max === "number" && mockTokens(text) > max) {
    text = text.slice(0, max * 4);
    finish = "length";
  }
  return { text, toolCall: undefined, finish, usage: { promptTokens, completionTokens: mockTokens(text) } };
}

/** FNV-1a, 32 bits, as hex: a stable id from the request. */
function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, "0");
}

function wireUsage(usage: Usage) {
  return { prompt_tokens: usage.promptTokens, completion_tokens: usage.completionTokens, total_tokens: usage.promptTokens + usage.completionTokens };
}

/** Creates the mock adapter. */
export function createMockAdapter(deps: MockDeps): ProviderAdapter {
  /** Waits the configured latency, then fails or not as configured. */
  async function begin(call: Omit<ProviderCall, "body">, origin: ErrorOrigin): Promise<void> {
    const settings = call.provider.mock ?? { latencyMs: 0, failRate: 0, failStatus: 500 };
    if (call.signal?.aborted) throw new UpstreamAbortedError(origin);
    const wait = Math.min(settings.latencyMs, call.timeoutMs);
    if (wait > 0) {
      try {
        await deps.sleep(wait, call.signal);
      } catch (err) {
        if (call.signal?.aborted) throw new UpstreamAbortedError(origin);
        throw err;
      }
    }
    if (settings.latencyMs > call.timeoutMs) throw new UpstreamTimeoutError(origin, call.timeoutMs, "waiting for the reply");
    if (settings.failRate > 0 && deps.random() * 100 < settings.failRate) {
      throw new UpstreamStatusError(origin, settings.failStatus, { message: "mock failure" });
    }
  }

  const idOf = (call: ProviderCall) => `chatcmpl-mock-${hash(call.model.upstream + JSON.stringify(call.body.messages))}`;

  async function embed(call: EmbedCall): Promise<Embedded> {
    await begin(call, originOf(call));
    return mockEmbeddings(call.input, call.model.upstream);
  }

  async function complete(call: ProviderCall): Promise<Completion> {
    await begin(call, originOf(call));
    const reply = mockReply(call.body);
    const completion: ChatCompletion = {
      id: idOf(call),
      object: "chat.completion",
      created: Math.floor(deps.now() / 1000),
      model: call.model.upstream,
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: reply.text, refusal: null, ...(reply.toolCall ? { tool_calls: [reply.toolCall] } : {}) },
          finish_reason: reply.finish,
          logprobs: null,
        },
      ],
      usage: wireUsage(reply.usage),
    };
    return { completion, usage: reply.usage };
  }

  async function stream(call: ProviderCall): Promise<ChatStream> {
    const origin = originOf(call);
    const startedAt = deps.now();
    let cancelled = false;
    let usage: Usage | undefined;

    async function* chunks(): AsyncGenerator<ChatCompletionChunk, void, undefined> {
      await begin(call, origin);
      const reply = mockReply(call.body);
      const base = { id: idOf(call), object: "chat.completion.chunk" as const, created: Math.floor(deps.now() / 1000), model: call.model.upstream };
      const chunk = (delta: ChunkDelta, finish: FinishReason | null = null): ChatCompletionChunk => ({
        ...base,
        choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
      });
      const deltas: ChunkDelta[] = [{ role: "assistant", content: "" }];
      if (reply.toolCall) {
        const { id, type, function: fn } = reply.toolCall;
        deltas.push({ tool_calls: [{ index: 0, id, type, function: { name: fn.name, arguments: "" } }] });
        deltas.push({ tool_calls: [{ index: 0, function: { arguments: fn.arguments } }] });
      }
      // Word by word (spaces kept), so streams have several chunks.
      for (const piece of (reply.text ?? "").split(/(?<=\s)/)) if (piece) deltas.push({ content: piece });
      for (const delta of deltas) {
        if (call.signal?.aborted || cancelled) throw new UpstreamAbortedError(origin);
        yield chunk(delta);
      }
      yield chunk({}, reply.finish);
      usage = reply.usage;
      yield { ...base, choices: [], usage: wireUsage(reply.usage) };
    }

    return openChatStream({
      chunks: chunks(),
      startedAt,
      now: deps.now,
      onFirstChunk: () => undefined,
      abort: () => (cancelled = true),
      usage: () => usage,
      emptyError: () => new Error("the mock stream is never empty"),
    });
  }

  return { api: "mock", complete, stream, embed };
}
