/**
 * The Anthropic Messages API wire format (`POST /v1/messages`,
 * `anthropic-version: 2023-06-01`), as plain data types: the subset the
 * translation to and from OpenAI chat completions reads or writes.
 */

export type AnthropicSource =
  | { type: "base64"; media_type: string; data: string }
  | { type: "url"; url: string };

/** A prompt-caching breakpoint, on a block (the same field OpenAI-compatible callers put on a part). */
export interface CacheControl {
  cache_control?: unknown;
}

export interface AnthropicTextBlock extends CacheControl {
  type: "text";
  text: string;
}

export type AnthropicContentBlock =
  | AnthropicTextBlock
  | ({ type: "image"; source: AnthropicSource } & CacheControl)
  | ({ type: "document"; source: AnthropicSource; title?: string } & CacheControl)
  | { type: "tool_use"; id: string; name: string; input: Record<string, unknown> }
  | { type: "tool_result"; tool_use_id: string; content: string; is_error?: boolean }
  // Only in replies; dropped by the translation (OpenAI has no place for them).
  | { type: "thinking"; thinking: string; signature?: string }
  | { type: "redacted_thinking"; data: string };

export interface AnthropicMessage {
  role: "user" | "assistant";
  content: AnthropicContentBlock[];
}

export interface AnthropicTool {
  name: string;
  description?: string;
  input_schema: Record<string, unknown>;
}

export type AnthropicToolChoice =
  | { type: "auto" | "any"; disable_parallel_tool_use?: boolean }
  | { type: "tool"; name: string; disable_parallel_tool_use?: boolean }
  | { type: "none" };

export interface AnthropicRequest {
  model: string;
  max_tokens: number;
  messages: AnthropicMessage[];
  system?: AnthropicTextBlock[];
  stop_sequences?: string[];
  temperature?: number;
  top_p?: number;
  stream?: boolean;
  tools?: AnthropicTool[];
  tool_choice?: AnthropicToolChoice;
  metadata?: { user_id: string };
}

export type AnthropicStopReason = "end_turn" | "max_tokens" | "stop_sequence" | "tool_use" | "pause_turn" | "refusal";

export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}

/** The reply of a non-streaming request. */
export interface AnthropicResponse {
  id: string;
  type: "message";
  role: "assistant";
  model: string;
  content: AnthropicContentBlock[];
  stop_reason: AnthropicStopReason | null;
  stop_sequence: string | null;
  usage: AnthropicUsage;
}

/** The `data:` payloads of a streaming reply; `type` repeats the SSE `event:` name. */
export type AnthropicStreamEvent =
  | { type: "message_start"; message: AnthropicResponse }
  | { type: "content_block_start"; index: number; content_block: AnthropicContentBlock }
  | {
      type: "content_block_delta";
      index: number;
      delta:
        | { type: "text_delta"; text: string }
        | { type: "input_json_delta"; partial_json: string }
        | { type: "thinking_delta" | "signature_delta" | "citations_delta" };
    }
  | { type: "content_block_stop"; index: number }
  | {
      type: "message_delta";
      delta: { stop_reason: AnthropicStopReason | null; stop_sequence?: string | null };
      usage?: Partial<AnthropicUsage>;
    }
  | { type: "message_stop" }
  | { type: "ping" }
  | { type: "error"; error: { type: string; message: string } };
