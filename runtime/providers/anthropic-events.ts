/**
 * Pure, stateful translation of Anthropic's streaming events
 * (message_start, content_block_start/delta/stop, message_delta,
 * message_stop, ping, error) into OpenAI `chat.completion.chunk` objects.
 * Text deltas become `content` deltas; tool_use blocks become `tool_calls`
 * deltas whose `index` counts tool calls (not content blocks); the end of
 * the message becomes a finish chunk and a final usage chunk.
 */

import type { AnthropicStreamEvent, AnthropicUsage } from "./anthropic-wire.js";
import { TranslationError, finishReason, wireUsage } from "./anthropic-translate.js";
import type { ChatCompletionChunk, ChunkDelta, FinishReason, WireUsage } from "../request/openai-wire.js";

/** An `error` event in the stream: the upstream failed after answering 200. */
export class AnthropicStreamError extends Error {
  constructor(
    readonly errorType: string,
    message: string,
  ) {
    super(message);
    this.name = "AnthropicStreamError";
  }

  /** The HTTP status Anthropic uses for this error type outside a stream. */
  get status(): number {
    return ERROR_STATUS[this.errorType] ?? 500;
  }
}

const ERROR_STATUS: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

/** Feed events in order with `push`; `done` turns true at message_stop. */
export class AnthropicStreamTranslator {
  private id = "";
  private model: string;
  private usageSoFar: Partial<AnthropicUsage> = {};
  private sawStart = false;
  private stopped = false;
  private toolCount = 0;
  /** Content-block index → tool-call index, for tool_use blocks only. */
  private readonly toolIndex = new Map<number, number>();

  constructor(
    private readonly createdSec: number,
    /** Used until message_start names the model. */
    fallbackModel: string,
  ) {
    this.model = fallbackModel;
  }

  /** Whether message_stop has been seen. */
  get done(): boolean {
    return this.stopped;
  }

  /** Usage in OpenAI terms, once message_start has reported input tokens. */
  get usage(): WireUsage | undefined {
    return this.sawStart ? wireUsage(this.usageSoFar) : undefined;
  }

  /** Translates one event; returns the chunks it produces (often none). */
  push(event: AnthropicStreamEvent): ChatCompletionChunk[] {
    switch (event.type) {
      case "message_start": {
        this.sawStart = true;
        this.id = event.message.id;
        this.model = event.message.model || this.model;
        this.usageSoFar = { ...event.message.usage };
        return [this.chunk({ role: "assistant", content: "" })];
      }
      case "content_block_start":
        return this.blockStart(event.index, event.content_block);
      case "content_block_delta":
        return this.blockDelta(event.index, event.delta);
      case "message_delta": {
        // Anthropic's counts here are cumulative, so they replace, not add.
        if (event.usage) this.usageSoFar = { ...this.usageSoFar, ...stripNulls(event.usage) };
        const reason = finishReason(event.delta.stop_reason);
        return reason ? [this.chunk({}, reason)] : [];
      }
      case "message_stop": {
        this.stopped = true;
        const usage = this.usage;
        return usage ? [{ ...this.chunk({}), choices: [], usage }] : [];
      }
      case "error":
        throw new AnthropicStreamError(event.error?.type ?? "api_error", event.error?.message ?? "stream error");
      default:
        // ping, content_block_stop, and event types newer than this code.
        return [];
    }
  }

  private blockStart(index: number, block: Extract<AnthropicStreamEvent, { type: "content_block_start" }>["content_block"]): ChatCompletionChunk[] {
    this.requireStart();
    if (block.type === "text") return block.text ? [this.chunk({ content: block.text })] : [];
    if (block.type !== "tool_use") return [];
    const toolIndex = this.toolCount++;
    this.toolIndex.set(index, toolIndex);
    const input = block.input && Object.keys(block.input).length > 0 ? JSON.stringify(block.input) : "";
    return [
      this.chunk({ tool_calls: [{ index: toolIndex, id: block.id, type: "function", function: { name: block.name, arguments: input } }] }),
    ];
  }

  private blockDelta(index: number, delta: Extract<AnthropicStreamEvent, { type: "content_block_delta" }>["delta"]): ChatCompletionChunk[] {
    this.requireStart();
    if (delta.type === "text_delta") return delta.text ? [this.chunk({ content: delta.text })] : [];
    if (delta.type === "input_json_delta") {
      const toolIndex = this.toolIndex.get(index);
      if (toolIndex === undefined) throw new TranslationError(`input_json_delta for block ${index}, which is not a tool_use block`);
      return delta.partial_json ? [this.chunk({ tool_calls: [{ index: toolIndex, function: { arguments: delta.partial_json } }] })] : [];
    }
    return []; // thinking, signatures, citations: OpenAI chunks have no place for them
  }

  private requireStart(): void {
    if (!this.sawStart) throw new TranslationError("content arrived before message_start");
  }

  private chunk(delta: ChunkDelta, finish: FinishReason | null = null): ChatCompletionChunk {
    return {
      id: this.id,
      object: "chat.completion.chunk",
      created: this.createdSec,
      model: this.model,
      choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
    };
  }
}

function stripNulls(usage: Partial<AnthropicUsage>): Partial<AnthropicUsage> {
  const out: Partial<AnthropicUsage> = {};
  for (const [k, v] of Object.entries(usage)) if (v !== null && v !== undefined) (out as Record<string, number>)[k] = v as number;
  return out;
}
