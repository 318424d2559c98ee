/**
 * A Response (OpenAI's Responses API reply) read as a chat completion, for
 * a Responses request passed through to an upstream that serves that API
 * (openai-responses.ts). The caller gets the upstream's own bytes; this
 * view is what the rest of the gateway reads of the reply: usage for
 * budgets and limits, text and tool calls for output guardrails and the
 * access log. Output items other than messages and function calls
 * (reasoning, server tool calls) are in the bytes, not in the view. Pure.
 */
import type { ChatCompletion, FinishReason, ToolCall, WireUsage } from "../request/openai-wire.js";
import { TranslationError } from "./anthropic-translate.js";

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Chat usage from Responses' (`input_tokens`, `output_tokens` and their details); undefined when absent or malformed. */
export function chatUsageOf(usage: unknown): WireUsage | undefined {
  if (!isObject(usage) || typeof usage["input_tokens"] !== "number" || typeof usage["output_tokens"] !== "number") return undefined;
  const prompt = usage["input_tokens"];
  const completion = usage["output_tokens"];
  const out: WireUsage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
  const cached = isObject(usage["input_tokens_details"]) ? usage["input_tokens_details"]["cached_tokens"] : undefined;
  const reasoning = isObject(usage["output_tokens_details"]) ? usage["output_tokens_details"]["reasoning_tokens"] : undefined;
  if (typeof cached === "number") out["prompt_tokens_details"] = { cached_tokens: cached };
  if (typeof reasoning === "number") out["completion_tokens_details"] = { reasoning_tokens: reasoning };
  return out;
}

/** The finish reason of a Response's `status` and `incomplete_details`, with tool calls or not. */
export function finishOf(response: Json, calledTools: boolean): FinishReason {
  if (response["status"] === "incomplete") {
    const reason = isObject(response["incomplete_details"]) ? response["incomplete_details"]["reason"] : undefined;
    return reason === "content_filter" ? "content_filter" : "length";
  }
  return calledTools ? "tool_calls" : "stop";
}

/** The chat completion a Response stands for; throws a {@link TranslationError} when `reply` is not a Response. */
export function fromResponsesReply(reply: unknown): ChatCompletion {
  if (!isObject(reply) || typeof reply["id"] !== "string" || !Array.isArray(reply["output"])) throw new TranslationError("the reply is not a Response (no `id` or `output`)");
  let text = "";
  let refusal: string | null = null;
  const toolCalls: ToolCall[] = [];
  for (const item of reply["output"]) {
    if (!isObject(item)) continue;
    if (item["type"] === "message" && Array.isArray(item["content"])) {
      for (const part of item["content"]) {
        if (!isObject(part)) continue;
        if (part["type"] === "output_text" && typeof part["text"] === "string") text += part["text"];
        else if (part["type"] === "refusal" && typeof part["refusal"] === "string") refusal = (refusal ?? "") + part["refusal"];
      }
    } else if (item["type"] === "function_call" && typeof item["name"] === "string") {
      const id = typeof item["call_id"] === "string" ? item["call_id"] : String(item["id"] ?? "");
      toolCalls.push({ id, type: "function", function: { name: item["name"], arguments: typeof item["arguments"] === "string" ? item["arguments"] : "" } });
    }
  }
  const message: ChatCompletion["choices"][number]["message"] = { role: "assistant", content: text === "" && toolCalls.length > 0 ? null : text, refusal };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  const usage = chatUsageOf(reply["usage"]);
  return {
    id: reply["id"],
    object: "chat.completion",
    created: typeof reply["created_at"] === "number" ? reply["created_at"] : 0,
    model: typeof reply["model"] === "string" ? reply["model"] : "",
    choices: [{ index: 0, message, finish_reason: finishOf(reply, toolCalls.length > 0), logprobs: null }],
    ...(usage === undefined ? {} : { usage }),
  };
}
