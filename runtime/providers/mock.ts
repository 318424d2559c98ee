/**
 * The built-in `mock` provider: no network, deterministic replies derived
 * from the request, configurable latency and failures (from the policy's
 * `provider … { api mock latency … }`). Sleep, randomness and the clock are
 * passed in, so tests and benchmarks decide time and luck.
 *
 * It reads the canonical request (runtime/request/model.ts). The reply: if
 * the request offers tools and `tool_choice` asks for one (`required`, a
 * named tool) or is `auto` with the user's message last, a call of the
 * named tool (else the first) whose arguments are a JSON object with the
 * required keys of its parameter schema (mock-json.ts); otherwise `mock: `
 * and the text of the last user or tool message, or for a
 * `response_format` of `json_object` `{"reply": …}` and of `json_schema` a
 * value of its schema. `n` choices, all that reply. Tokens are counted as
 * characters / 4, rounded up; usage is reported on every reply (for a
 * stream, in a last chunk). Embeddings are mock-embed.ts.
 */

import { openChatStream } from "./chat-stream.js";
import { UpstreamAbortedError, UpstreamStatusError, UpstreamTimeoutError, originOf, type ErrorOrigin } from "./errors.js";
import type { CanonicalRequest, ContentBlock, Message } from "../request/model.js";
import type { ChatCompletion, ChatCompletionChunk, ChunkDelta, FinishReason, ToolCall } from "../request/openai-wire.js";
import type { ChatStream, Completion, Embedded, ProviderAdapter, ProviderCall, Sleep, Usage } from "./types.js";
import { hash, mockEmbeddings, mockTokens } from "./mock-embed.js";
import { sampleOf } from "./mock-json.js";

export { MOCK_EMBEDDING_DIMENSIONS, mockEmbeddings, mockTokens, mockVector } from "./mock-embed.js";

export interface MockDeps {
  sleep: Sleep;
  /** Uniform in [0, 1): decides the failures. */
  random: () => number;
  /** Wall clock in milliseconds. */
  now: () => number;
}

/** What the mock will answer to a request, before it is shaped as a completion or chunks: `n` equal choices. */
export interface MockReply {
  text: string | null;
  toolCall: ToolCall | undefined;
  finish: FinishReason;
  /** How many choices (the request's `n`), each this reply. */
  n: number;
  /** For all `n` choices. */
  usage: Usage;
}

/** A message's text parts (a tool result's included), joined by spaces. */
function textOf(message: Message | undefined): string {
  const texts: string[] = [];
  const walk = (blocks: readonly ContentBlock[]): void => {
    for (const b of blocks) {
      if (b.kind === "text" && b.text !== "") texts.push(b.text);
      else if (b.kind === "tool_result") walk(b.content);
    }
  };
  walk(message?.content ?? []);
  return texts.join(" ");
}

/** The deterministic reply to `request`. */
export function mockReply(request: CanonicalRequest): MockReply {
  const messages = request.messages;
  const promptTokens = mockTokens(messages.map(textOf).join("\n"));
  const n = request.output.n ?? 1;
  const last = messages[messages.length - 1];
  const tools = request.tools;
  const choice = request.toolChoice;
  // `required` or a named tool always call; `auto` calls when the user spoke last (a tool result gets text).
  const forced = choice?.kind === "required" || choice?.kind === "tool";
  if (tools.length > 0 && (forced || (choice?.kind !== "none" && last?.role === "user"))) {
    const name = choice?.kind === "tool" ? choice.name : tools[0]!.name;
    const args = JSON.stringify(sampleOf(tools.find((t) => t.name === name)?.parameters, textOf(last) || "mock"));
    const toolCall: ToolCall = { id: `call_mock_${hash(name + JSON.stringify(messages)).slice(0, 8)}`, type: "function", function: { name, arguments: args } };
    return { text: null, toolCall, finish: "tool_calls", n, usage: { promptTokens, completionTokens: n * mockTokens(name + args) } };
  }
  const lastText = [...messages].reverse().find((m) => m.role === "user" || m.role === "tool");
  let text = formatted(request.output.format, `mock: ${textOf(lastText)}`);
  let finish: FinishReason = "stop";
  const max = request.output.maxTokens;
  if (typeof max === "number" && mockTokens(text) > max) {
    text = text.slice(0, max * 4);
    finish = "length";
  }
  return { text, toolCall: undefined, finish, n, usage: { promptTokens, completionTokens: n * mockTokens(text) } };
}

/** The reply text in the asked format: JSON for `json_object` and `json_schema` (a value of the schema). */
function formatted(format: Readonly<Record<string, unknown>> | undefined, text: string): string {
  if (format?.["type"] === "json_object") return JSON.stringify({ reply: text });
  if (format?.["type"] === "json_schema") {
    const spec = format["json_schema"];
    return JSON.stringify(sampleOf(typeof spec === "object" && spec !== null ? (spec as Record<string, unknown>)["schema"] : undefined, text));
  }
  return text;
}

function wireUsage(usage: Usage) {
  return { prompt_tokens: usage.promptTokens, completion_tokens: usage.completionTokens, total_tokens: usage.promptTokens + usage.completionTokens };
}

/** Creates the mock adapter. */
export function createMockAdapter(deps: MockDeps): ProviderAdapter {
  /** Waits the configured latency, then fails or not as configured. */
  async function begin(call: ProviderCall, origin: ErrorOrigin): Promise<void> {
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

  const idOf = (call: ProviderCall) => `chatcmpl-mock-${hash(call.model.upstream + JSON.stringify(call.request.messages))}`;

  async function embed(call: ProviderCall): Promise<Embedded> {
    await begin(call, originOf(call));
    return mockEmbeddings(call.request, call.model.upstream);
  }

  async function complete(call: ProviderCall): Promise<Completion> {
    await begin(call, originOf(call));
    const reply = mockReply(call.request);
    const completion: ChatCompletion = {
      id: idOf(call),
      object: "chat.completion",
      created: Math.floor(deps.now() / 1000),
      model: call.model.upstream,
      choices: Array.from({ length: reply.n }, (_, index) => ({
        index,
        message: { role: "assistant" as const, content: reply.text, refusal: null, ...(reply.toolCall ? { tool_calls: [reply.toolCall] } : {}) },
        finish_reason: reply.finish,
        logprobs: null,
      })),
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
      const reply = mockReply(call.request);
      const base = { id: idOf(call), object: "chat.completion.chunk" as const, created: Math.floor(deps.now() / 1000), model: call.model.upstream };
      const chunk = (delta: ChunkDelta, finish: FinishReason | null = null, index = 0): ChatCompletionChunk => ({
        ...base,
        choices: [{ index, delta, finish_reason: finish, logprobs: null }],
      });
      const deltas: ChunkDelta[] = [{ role: "assistant", content: "" }];
      if (reply.toolCall) {
        const { id, type, function: fn } = reply.toolCall;
        deltas.push({ tool_calls: [{ index: 0, id, type, function: { name: fn.name, arguments: "" } }] });
        deltas.push({ tool_calls: [{ index: 0, function: { arguments: fn.arguments } }] });
      }
      // Word by word (spaces kept), so streams have several chunks.
      for (const piece of (reply.text ?? "").split(/(?<=\s)/)) if (piece) deltas.push({ content: piece });
      // Choice after choice, each whole, as `n` asks.
      for (let index = 0; index < reply.n; index++) {
        for (const delta of deltas) {
          if (call.signal?.aborted || cancelled) throw new UpstreamAbortedError(origin);
          yield chunk(delta, null, index);
        }
        yield chunk({}, reply.finish, index);
      }
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
