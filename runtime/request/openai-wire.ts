/**
 * The OpenAI chat-completions wire format, as plain data types: what callers
 * send to the gateway, what every adapter returns. Only the fields the
 * gateway reads or writes are named; the index signatures keep the rest
 * (`seed`, `logprobs`, vendor extensions …) so pass-through stays lossless.
 */

/** A part of a multi-part user (or system) message. */
export type ContentPart =
  | { type: "text"; text: string }
  | { type: "image_url"; image_url: { url: string; detail?: "auto" | "low" | "high" } }
  | { type: "file"; file: { file_data?: string; file_id?: string; filename?: string } }
  | { type: "input_audio"; input_audio: { data: string; format: string } }
  | { type: "refusal"; refusal: string };

export interface ToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

export type ChatMessage =
  | { role: "system"; content: string | ContentPart[]; name?: string }
  | { role: "developer"; content: string | ContentPart[]; name?: string }
  | { role: "user"; content: string | ContentPart[]; name?: string }
  | {
      role: "assistant";
      content?: string | ContentPart[] | null;
      tool_calls?: ToolCall[];
      refusal?: string | null;
      name?: string;
    }
  | { role: "tool"; content: string | ContentPart[]; tool_call_id: string };

export interface ToolDefinition {
  type: "function";
  function: { name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean };
}

export type ToolChoice = "none" | "auto" | "required" | { type: "function"; function: { name: string } };

/** The request body of `POST /v1/chat/completions`. */
export interface ChatCompletionRequest {
  model: string;
  messages: ChatMessage[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean; [k: string]: unknown } | null;
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  stop?: string | string[] | null;
  n?: number | null;
  tools?: ToolDefinition[];
  tool_choice?: ToolChoice;
  parallel_tool_calls?: boolean;
  user?: string;
  [k: string]: unknown;
}

export type FinishReason = "stop" | "length" | "tool_calls" | "content_filter" | "function_call";

/** OpenAI's usage object, as it appears in completions and the final stream chunk. */
export interface WireUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  [k: string]: unknown;
}

export interface AssistantMessage {
  role: "assistant";
  content: string | null;
  tool_calls?: ToolCall[];
  refusal?: string | null;
  [k: string]: unknown;
}

/** The response body of a non-streaming chat completion. */
export interface ChatCompletion {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  choices: { index: number; message: AssistantMessage; finish_reason: FinishReason | null; logprobs?: unknown }[];
  usage?: WireUsage;
  [k: string]: unknown;
}

/** A tool-call fragment inside a stream delta; `index` says which call it extends. */
export interface ToolCallDelta {
  index: number;
  id?: string;
  type?: "function";
  function?: { name?: string; arguments?: string };
}

export interface ChunkDelta {
  role?: "assistant";
  content?: string | null;
  tool_calls?: ToolCallDelta[];
  refusal?: string | null;
  [k: string]: unknown;
}

/** One server-sent event of a streaming completion (`data: {...}`). */
export interface ChatCompletionChunk {
  id: string;
  object: "chat.completion.chunk";
  created: number;
  model: string;
  choices: { index: number; delta: ChunkDelta; finish_reason: FinishReason | null; logprobs?: unknown }[];
  /** Present (and `choices` empty) on the final chunk when usage was requested. */
  usage?: WireUsage | null;
  [k: string]: unknown;
}
