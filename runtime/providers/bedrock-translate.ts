/**
 * Pure translation of Bedrock Converse replies and ConverseStream events
 * into OpenAI chat completions and chunks. Converse replies carry no id and
 * no model name, so the caller supplies both. Stop reasons: `end_turn` and
 * `stop_sequence` are `stop`, `max_tokens` and
 * `model_context_window_exceeded` `length`, `tool_use` `tool_calls`, and a
 * guardrail's or content filter's intervention `content_filter`. Usage:
 * OpenAI's prompt tokens include cached input, so cache reads and writes
 * are added to `inputTokens` (reads reported as `cached_tokens`, writes as
 * `cache_creation_input_tokens`, as the Anthropic adapter does).
 */

import { TranslationError } from "./anthropic-translate.js";
import type { BedrockUsage, ConverseResponse } from "./bedrock-wire.js";
import type { ChatCompletion, ChatCompletionChunk, ChunkDelta, FinishReason, ToolCall, WireUsage } from "../request/openai-wire.js";

export function finishReason(stop: unknown): FinishReason | null {
  switch (stop) {
    case "end_turn":
    case "stop_sequence":
      return "stop";
    case "max_tokens":
    case "model_context_window_exceeded":
      return "length";
    case "tool_use":
      return "tool_calls";
    case "guardrail_intervened":
    case "content_filtered":
      return "content_filter";
    default:
      return null;
  }
}

export function wireUsage(usage: Partial<BedrockUsage>): WireUsage {
  const cached = usage.cacheReadInputTokens ?? 0;
  const written = usage.cacheWriteInputTokens ?? 0;
  const prompt = (usage.inputTokens ?? 0) + cached + written;
  const completion = usage.outputTokens ?? 0;
  const out: WireUsage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
  if (cached > 0) out.prompt_tokens_details = { cached_tokens: cached };
  if (written > 0) out["cache_creation_input_tokens"] = written;
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A Converse reply as an OpenAI completion; `id` and `model` come from the caller (Converse names neither). */
export function fromConverseResponse(reply: unknown, meta: { id: string; model: string; createdSec: number }): ChatCompletion {
  if (!isObject(reply) || !isObject(reply.output) || !isObject(reply.output["message"]) || !Array.isArray(reply.output["message"]["content"])) {
    throw new TranslationError("the reply has no `output.message.content`");
  }
  const r = reply as unknown as ConverseResponse;
  let text = "";
  const toolCalls: ToolCall[] = [];
  for (const block of r.output.message!.content) {
    if (typeof block.text === "string") text += block.text;
    else if (isObject(block.toolUse)) {
      const t = block.toolUse;
      toolCalls.push({ id: t.toolUseId, type: "function", function: { name: t.name, arguments: JSON.stringify(t.input ?? {}) } });
    }
  }
  const message: ChatCompletion["choices"][number]["message"] = { role: "assistant", content: text === "" && toolCalls.length > 0 ? null : text, refusal: null };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  const completion: ChatCompletion = {
    id: meta.id,
    object: "chat.completion",
    created: meta.createdSec,
    model: meta.model,
    choices: [{ index: 0, message, finish_reason: finishReason(r.stopReason), logprobs: null }],
  };
  if (isObject(r.usage)) completion.usage = wireUsage(r.usage);
  return completion;
}

/**
 * Feed ConverseStream events in order with `push`. `done` turns true at
 * `metadata`, which follows `messageStop` and carries the usage; text
 * deltas become `content` deltas, tool-use blocks `tool_calls` deltas whose
 * `index` counts tool calls, not content blocks.
 */
export class ConverseStreamTranslator {
  done = false;
  usage: WireUsage | undefined;
  private started = false;
  private stopped = false;
  private toolCount = 0;
  /** Content-block index → tool-call index, for tool-use blocks only. */
  private readonly toolIndex = new Map<number, number>();

  constructor(private readonly meta: { id: string; model: string; createdSec: number }) {}

  push(type: string, payload: Record<string, unknown>): ChatCompletionChunk[] {
    switch (type) {
      case "messageStart":
        this.started = true;
        return [this.chunk({ role: "assistant", content: "" })];
      case "contentBlockStart":
        return this.blockStart(payload);
      case "contentBlockDelta":
        return this.blockDelta(payload);
      case "contentBlockStop":
        return [];
      case "messageStop":
        this.stopped = true;
        return [this.chunk({}, finishReason(payload["stopReason"]) ?? "stop")];
      case "metadata": {
        if (!this.stopped) throw new TranslationError("`metadata` arrived before `messageStop`");
        this.done = true;
        const usage = isObject(payload["usage"]) ? wireUsage(payload["usage"] as Partial<BedrockUsage>) : undefined;
        this.usage = usage;
        return usage ? [{ ...this.base(), choices: [], usage }] : [];
      }
      default:
        // Event types added after this adapter was written carry nothing it can pass on.
        return [];
    }
  }

  private blockStart(payload: Record<string, unknown>): ChatCompletionChunk[] {
    this.mustHaveStarted("contentBlockStart");
    const start = isObject(payload["start"]) ? payload["start"] : {};
    const toolUse = start["toolUse"];
    if (!isObject(toolUse)) return [];
    if (typeof toolUse["toolUseId"] !== "string" || typeof toolUse["name"] !== "string") throw new TranslationError("a `toolUse` block start has no id or name");
    const index = this.toolCount++;
    this.toolIndex.set(blockIndex(payload), index);
    return [this.chunk({ tool_calls: [{ index, id: toolUse["toolUseId"], type: "function", function: { name: toolUse["name"], arguments: "" } }] })];
  }

  private blockDelta(payload: Record<string, unknown>): ChatCompletionChunk[] {
    this.mustHaveStarted("contentBlockDelta");
    const delta = isObject(payload["delta"]) ? payload["delta"] : {};
    if (typeof delta["text"] === "string") return delta["text"] === "" ? [] : [this.chunk({ content: delta["text"] })];
    if (isObject(delta["toolUse"])) {
      const index = this.toolIndex.get(blockIndex(payload));
      if (index === undefined) throw new TranslationError("a `toolUse` delta for a block that did not start as one");
      const input = delta["toolUse"]["input"];
      return typeof input === "string" && input !== "" ? [this.chunk({ tool_calls: [{ index, function: { arguments: input } }] })] : [];
    }
    // Reasoning and citation deltas: chat has no place for them in a reply.
    return [];
  }

  private mustHaveStarted(event: string): void {
    if (!this.started) throw new TranslationError(`\`${event}\` arrived before \`messageStart\``);
  }

  private base(): Pick<ChatCompletionChunk, "id" | "object" | "created" | "model"> {
    return { id: this.meta.id, object: "chat.completion.chunk", created: this.meta.createdSec, model: this.meta.model };
  }

  private chunk(delta: ChunkDelta, finish: FinishReason | null = null): ChatCompletionChunk {
    return { ...this.base(), choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] };
  }
}

function blockIndex(payload: Record<string, unknown>): number {
  const i = payload["contentBlockIndex"];
  if (typeof i !== "number") throw new TranslationError("a content block event has no `contentBlockIndex`");
  return i;
}
