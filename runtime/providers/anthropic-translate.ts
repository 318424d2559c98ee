/**
 * Pure translation between OpenAI chat completions and the Anthropic
 * Messages API, both ways, for non-streaming replies (the event stream is
 * `anthropic-events.ts`). Message content is read through the canonical
 * content blocks (runtime/request/blocks.ts), the same view the guardrails
 * inspect. No I/O: the clock arrives as `createdSec`, and a
 * request that cannot be expressed throws `TranslationError`.
 */

import type {
  AnthropicContentBlock,
  AnthropicMessage,
  AnthropicRequest,
  AnthropicResponse,
  AnthropicSource,
  AnthropicStopReason,
  AnthropicTextBlock,
  AnthropicTool,
  AnthropicToolChoice,
  AnthropicUsage,
} from "./anthropic-wire.js";
import { contentBlocks, type ContentBlock } from "../request/index.js";
import type {
  ChatCompletion,
  ChatCompletionRequest,
  ChatMessage,
  ContentPart,
  FinishReason,
  ToolCall,
  ToolChoice,
  WireUsage,
} from "../request/openai-wire.js";

/** A request or reply that has no faithful counterpart on the other side. */
export class TranslationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TranslationError";
  }
}

export interface RequestOptions {
  /** `max_tokens` when the caller set none: Anthropic requires one. */
  defaultMaxTokens: number;
  stream: boolean;
}

// ---------------------------------------------------------------- OpenAI → Anthropic

/** Translates an OpenAI chat request into an Anthropic Messages request for `upstreamModel`. */
export function toAnthropicRequest(body: ChatCompletionRequest, upstreamModel: string, opts: RequestOptions): AnthropicRequest {
  if (typeof body.n === "number" && body.n > 1) throw new TranslationError("`n` greater than 1 is not supported");
  const system: AnthropicTextBlock[] = [];
  const messages: AnthropicMessage[] = [];
  for (const message of body.messages) {
    if (message.role === "system" || message.role === "developer") {
      for (const text of textsOf(message.content, message.role)) system.push({ type: "text", text });
      continue;
    }
    const [role, blocks] = convertMessage(message);
    const last = messages[messages.length - 1];
    // Anthropic wants tool results of one turn in one user message; merging
    // consecutive same-role messages gives that and keeps roles alternating.
    if (last && last.role === role) last.content.push(...blocks);
    else if (blocks.length > 0) messages.push({ role, content: blocks });
  }

  const out: AnthropicRequest = {
    model: upstreamModel,
    max_tokens: body.max_completion_tokens ?? body.max_tokens ?? opts.defaultMaxTokens,
    messages,
  };
  if (system.length > 0) out.system = system;
  if (body.stop != null) out.stop_sequences = typeof body.stop === "string" ? [body.stop] : body.stop;
  // OpenAI allows temperatures up to 2, Anthropic up to 1: clamp rather than fail.
  if (typeof body.temperature === "number") out.temperature = Math.min(Math.max(body.temperature, 0), 1);
  if (typeof body.top_p === "number") out.top_p = body.top_p;
  if (typeof body.user === "string" && body.user !== "") out.metadata = { user_id: body.user };
  if (body.tools && body.tools.length > 0) {
    out.tools = body.tools.map((tool) => {
      const converted: AnthropicTool = {
        name: tool.function.name,
        input_schema: tool.function.parameters ?? { type: "object", properties: {} },
      };
      if (tool.function.description !== undefined) converted.description = tool.function.description;
      return converted;
    });
  }
  const choice = toolChoice(body.tool_choice, body.parallel_tool_calls);
  if (choice && (out.tools || choice.type === "none")) out.tool_choice = choice;
  if (opts.stream) out.stream = true;
  return out;
}

function toolChoice(choice: ToolChoice | undefined, parallel: boolean | undefined): AnthropicToolChoice | undefined {
  const single = parallel === false ? { disable_parallel_tool_use: true } : {};
  if (choice === undefined) return parallel === false ? { type: "auto", ...single } : undefined;
  if (choice === "none") return { type: "none" };
  if (choice === "auto") return { type: "auto", ...single };
  if (choice === "required") return { type: "any", ...single };
  return { type: "tool", name: choice.function.name, ...single };
}

function convertMessage(message: Exclude<ChatMessage, { role: "system" | "developer" }>): [AnthropicMessage["role"], AnthropicContentBlock[]] {
  switch (message.role) {
    case "user":
      return ["user", contentBlocks(message.content, []).flatMap(toBlocks)];
    case "tool":
      return ["user", [{ type: "tool_result", tool_use_id: message.tool_call_id, content: textsOf(message.content, "tool").join("\n") }]];
    case "assistant": {
      const blocks: AnthropicContentBlock[] = [];
      const content = message.content;
      if (typeof content === "string") blocks.push(...textBlocks(content));
      else if (Array.isArray(content)) blocks.push(...textsOf(content, "assistant").flatMap(textBlocks));
      for (const call of message.tool_calls ?? []) blocks.push(toolUse(call));
      return ["assistant", blocks];
    }
  }
}

// Anthropic rejects empty text blocks, so empty strings simply vanish.
function textBlocks(text: string): AnthropicTextBlock[] {
  return text === "" ? [] : [{ type: "text", text }];
}

/**
 * The texts of a content that may only hold text (system, developer, tool,
 * assistant), read through the canonical blocks (runtime/request) so the
 * adapter sends exactly what the guardrails inspected.
 */
function textsOf(content: string | ContentPart[], role: string): string[] {
  return contentBlocks(content, []).map((block) => {
    if (block.kind === "text" || block.kind === "refusal") return block.text;
    throw new TranslationError(`a \`${role}\` message can only hold text, not \`${wireType(block)}\``);
  }).filter((text) => text !== "");
}

function toBlocks(block: ContentBlock): AnthropicContentBlock[] {
  switch (block.kind) {
    case "text":
    case "refusal":
      return textBlocks(block.text);
    case "image":
      return [{ type: "image", source: sourceOf(block.url, "image") }];
    case "file": {
      if (block.data === undefined) throw new TranslationError("file references by id are not supported");
      return [{ type: "document", source: sourceOf(block.data, "file") }];
    }
    default:
      throw new TranslationError(`content of type \`${wireType(block)}\` is not supported`);
  }
}

/** The OpenAI part type a block came from, for error messages. */
function wireType(block: ContentBlock): string {
  switch (block.kind) {
    case "image":
      return "image_url";
    case "audio":
      return "input_audio";
    case "unknown":
      return block.type;
    default:
      return block.kind;
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

function toolUse(call: ToolCall): AnthropicContentBlock {
  let input: unknown;
  try {
    input = call.function.arguments === "" ? {} : JSON.parse(call.function.arguments);
  } catch {
    input = undefined;
  }
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new TranslationError(`the arguments of tool call \`${call.id}\` are not a JSON object`);
  }
  return { type: "tool_use", id: call.id, name: call.function.name, input: input as Record<string, unknown> };
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

/** Anthropic counts cached input apart; OpenAI's prompt tokens include it. */
export function wireUsage(usage: Partial<AnthropicUsage>): WireUsage {
  const cached = usage.cache_read_input_tokens ?? 0;
  const prompt = (usage.input_tokens ?? 0) + (usage.cache_creation_input_tokens ?? 0) + cached;
  const completion = usage.output_tokens ?? 0;
  const out: WireUsage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
  if (cached > 0) out.prompt_tokens_details = { cached_tokens: cached };
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
