/**
 * The reply side of the Messages API: what the gateway answers a caller of
 * `POST /v1/messages` whatever provider answered. Providers answer in
 * OpenAI's chat format (openai-wire.ts); `messagesReply` turns a completion
 * into a Messages response, `MessagesStreamEncoder` turns completion chunks
 * into Anthropic's event sequence (message_start, ping,
 * content_block_start/delta/stop for text and tool_use with
 * input_json_delta, message_delta with the stop reason and usage,
 * message_stop), and `anthropicError` is Anthropic's error shape, so the
 * Anthropic SDKs parse our errors as their own error types. Pure.
 */
import type { ChatCompletion, ChatCompletionChunk, FinishReason, WireUsage } from "./openai-wire.js";

type Json = Record<string, unknown>;

/** OpenAI's finish reason as Anthropic's stop reason. */
export function stopReason(finish: FinishReason | null | undefined): string | null {
  switch (finish) {
    case "length":
      return "max_tokens";
    case "tool_calls":
    case "function_call":
      return "tool_use";
    case "content_filter":
      return "refusal";
    case "stop":
      return "end_turn";
    default:
      return null;
  }
}

/** Anthropic's usage object from OpenAI's (cached prompt tokens counted apart, as Anthropic does). */
export function anthropicUsage(u: WireUsage | null | undefined): Json {
  if (!u) return { input_tokens: 0, output_tokens: 0 };
  const details = u["prompt_tokens_details"] as { cached_tokens?: number } | undefined;
  const cached = details?.cached_tokens ?? 0;
  const written = typeof u["cache_creation_input_tokens"] === "number" ? u["cache_creation_input_tokens"] : 0;
  const out: Json = { input_tokens: u.prompt_tokens - cached - written, output_tokens: u.completion_tokens };
  if (written > 0) out["cache_creation_input_tokens"] = written;
  if (cached > 0) out["cache_read_input_tokens"] = cached;
  return out;
}

/** A Messages response from a chat completion (its first choice: a Messages request cannot ask for more). */
export function messagesReply(c: ChatCompletion): Json {
  const choice = c.choices[0];
  const content: Json[] = [];
  const m = choice?.message;
  const reasoning = m?.["reasoning_content"];
  if (typeof reasoning === "string" && reasoning !== "") content.push({ type: "thinking", thinking: reasoning, signature: "" });
  if (typeof m?.content === "string" && m.content !== "") content.push({ type: "text", text: m.content });
  if (typeof m?.refusal === "string" && m.refusal !== "") content.push({ type: "text", text: m.refusal });
  for (const call of m?.tool_calls ?? []) content.push({ type: "tool_use", id: call.id, name: call.function.name, input: argsObject(call.function.arguments) });
  return {
    id: c.id,
    type: "message",
    role: "assistant",
    model: c.model,
    content,
    stop_reason: stopReason(choice?.finish_reason),
    stop_sequence: null,
    usage: anthropicUsage(c.usage),
  };
}

/** Anthropic's error body; the type follows the HTTP status as Anthropic's own API does. */
export function anthropicError(status: number, message: string): string {
  return JSON.stringify({ type: "error", error: { type: anthropicErrorType(status), message } });
}

export function anthropicErrorType(status: number): string {
  switch (status) {
    case 400:
    case 405:
    case 415:
    case 431:
      return "invalid_request_error";
    case 401:
      return "authentication_error";
    case 403:
      return "permission_error";
    case 404:
      return "not_found_error";
    case 408:
    case 504:
      return "timeout_error";
    case 413:
      return "request_too_large";
    case 429:
      return "rate_limit_error";
    case 503:
    case 529:
      return "overloaded_error";
    default:
      return "api_error";
  }
}

/** One server-sent event of Anthropic's format. */
function frame(type: string, data: Json): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
}

/**
 * Chat completion chunks in, Messages events out: feed every chunk to
 * `chunk`, then call `end` (or `error` when the stream failed). Text and
 * each tool call are content blocks, opened when their first delta comes
 * and closed when another block opens or the message ends; OpenAI sends
 * usage last, so message_delta is written at the end.
 */
export class MessagesStreamEncoder {
  #started = false;
  /** The open block: its index, and which tool call it is (-1 for text). */
  #open: { index: number; tool: number } | undefined;
  #blocks = 0;
  #finish: FinishReason | null = null;
  #usage: WireUsage | undefined;

  chunk(c: ChatCompletionChunk): string {
    let out = "";
    if (!this.#started) {
      this.#started = true;
      const message = { id: c.id, type: "message", role: "assistant", model: c.model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 0, output_tokens: 0 } };
      out += frame("message_start", { message }) + frame("ping", {});
    }
    if (c.usage) this.#usage = c.usage;
    const choice = c.choices.find((ch) => ch.index === 0);
    if (choice === undefined) return out;
    const d = choice.delta;
    const text = (typeof d.content === "string" ? d.content : "") + (typeof d.refusal === "string" ? d.refusal : "");
    if (text !== "") {
      if (this.#open?.tool !== -1) out += this.#openBlock(-1, { type: "text", text: "" });
      out += frame("content_block_delta", { index: this.#open!.index, delta: { type: "text_delta", text } });
    }
    for (const t of d.tool_calls ?? []) {
      if (this.#open?.tool !== t.index) out += this.#openBlock(t.index, { type: "tool_use", id: t.id ?? "", name: t.function?.name ?? "", input: {} });
      const args = t.function?.arguments;
      if (args) out += frame("content_block_delta", { index: this.#open!.index, delta: { type: "input_json_delta", partial_json: args } });
    }
    if (choice.finish_reason) this.#finish = choice.finish_reason;
    return out;
  }

  end(): string {
    let out = this.#close();
    const usage = anthropicUsage(this.#usage);
    out += frame("message_delta", { delta: { stop_reason: stopReason(this.#finish) ?? "end_turn", stop_sequence: null }, usage });
    return out + frame("message_stop", {});
  }

  /** The event that ends a stream which failed after its first byte. */
  error(status: number, message: string): string {
    return `event: error\ndata: ${anthropicError(status, message)}\n\n`;
  }

  #openBlock(tool: number, block: Json): string {
    const out = this.#close();
    this.#open = { index: this.#blocks++, tool };
    return out + frame("content_block_start", { index: this.#open.index, content_block: block });
  }

  #close(): string {
    if (this.#open === undefined) return "";
    const out = frame("content_block_stop", { index: this.#open.index });
    this.#open = undefined;
    return out;
  }
}

function argsObject(text: string): unknown {
  try {
    const v: unknown = text === "" ? {} : JSON.parse(text);
    return typeof v === "object" && v !== null && !Array.isArray(v) ? v : { arguments: text };
  } catch {
    // a model that wrote broken JSON: the caller still sees what it wrote
    return { arguments: text };
  }
}
