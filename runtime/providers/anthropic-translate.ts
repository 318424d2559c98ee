/**
 * Pure translation of Anthropic Messages replies into OpenAI chat
 * completions, for non-streaming replies (the event stream is
 * `anthropic-events.ts`; requests are encoded from the canonical request in
 * `anthropic-request.ts`). No I/O: the clock arrives as `createdSec`, and
 * what cannot be expressed throws `TranslationError`.
 */

import type { AnthropicResponse, AnthropicSource, AnthropicStopReason, AnthropicUsage } from "./anthropic-wire.js";
import type { ChatCompletion, FinishReason, ToolCall, WireUsage } from "../request/openai-wire.js";

/** A request or reply that has no faithful counterpart on the other side. */
export class TranslationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TranslationError";
  }
}

/** A data URL becomes a base64 source, an http(s) URL a url source. */
export function sourceOf(url: string, what: string): AnthropicSource {
  if (url.startsWith("data:")) {
    const match = /^data:([^;,]+)((?:;[^;,]*)*);base64,(.*)$/s.exec(url);
    if (!match) throw new TranslationError(`the ${what} data URL is not base64`);
    return { type: "base64", media_type: match[1]!, data: match[3]! };
  }
  if (/^https?:\/\//i.test(url)) return { type: "url", url };
  throw new TranslationError(`the ${what} URL must be a data: or http(s): URL`);
}

// ---------------------------------------------------------------- Anthropic → OpenAI

/** Anthropic's stop reason in OpenAI's terms. */
export function finishReason(stop: AnthropicStopReason | null | undefined): FinishReason | null {
  switch (stop) {
    case "end_turn":
    case "stop_sequence":
    case "pause_turn":
      return "stop";
    case "max_tokens":
      return "length";
    case "tool_use":
      return "tool_calls";
    case "refusal":
      return "content_filter";
    default:
      return null;
  }
}

/**
 * Anthropic counts cached input apart; OpenAI's prompt tokens include it.
 * Cache reads become `prompt_tokens_details.cached_tokens`; cache writes,
 * which OpenAI has no field for, `cache_creation_input_tokens` beside
 * the counts (as LiteLLM reports them), so they can be priced apart and an
 * Anthropic-shaped reply can give them back.
 */
export function wireUsage(usage: Partial<AnthropicUsage>): WireUsage {
  const cached = usage.cache_read_input_tokens ?? 0;
  const written = usage.cache_creation_input_tokens ?? 0;
  const prompt = (usage.input_tokens ?? 0) + written + cached;
  const completion = usage.output_tokens ?? 0;
  const out: WireUsage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
  if (cached > 0) out.prompt_tokens_details = { cached_tokens: cached };
  if (written > 0) out["cache_creation_input_tokens"] = written;
  return out;
}

/** Translates a non-streaming Anthropic reply into an OpenAI chat completion. */
export function fromAnthropicResponse(reply: unknown, createdSec: number): ChatCompletion {
  if (!isResponse(reply)) throw new TranslationError("the reply is not an Anthropic message");
  let text = "";
  const toolCalls: ToolCall[] = [];
  for (const block of reply.content) {
    if (block.type === "text") text += block.text;
    else if (block.type === "tool_use") {
      toolCalls.push({ id: block.id, type: "function", function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) } });
    }
  }
  const message: ChatCompletion["choices"][number]["message"] = {
    role: "assistant",
    content: text === "" && toolCalls.length > 0 ? null : text,
    refusal: null,
  };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  return {
    id: reply.id,
    object: "chat.completion",
    created: createdSec,
    model: reply.model,
    choices: [{ index: 0, message, finish_reason: finishReason(reply.stop_reason), logprobs: null }],
    usage: wireUsage(reply.usage ?? {}),
  };
}

function isResponse(value: unknown): value is AnthropicResponse {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Partial<AnthropicResponse>;
  return typeof v.id === "string" && Array.isArray(v.content);
}
