/**
 * The parts of Amazon Bedrock's Converse / ConverseStream wire the adapter
 * writes and reads (API reference: `Converse`, `ConverseStream`,
 * `ContentBlock`, `ToolConfiguration`, `ConverseStreamOutput`). JSON over
 * REST: image bytes travel as base64 strings.
 */

export type BedrockImageFormat = "png" | "jpeg" | "gif" | "webp";

export type BedrockToolResultContent = { text: string };

export type BedrockContentBlock =
  | { text: string }
  | { image: { format: BedrockImageFormat; source: { bytes: string } } }
  | { toolUse: { toolUseId: string; name: string; input: unknown } }
  | { toolResult: { toolUseId: string; content: BedrockToolResultContent[]; status?: "success" | "error" } };

export interface BedrockMessage {
  role: "user" | "assistant";
  content: BedrockContentBlock[];
}

export interface BedrockToolSpec {
  toolSpec: { name: string; description?: string; inputSchema: { json: Record<string, unknown> } };
}

export type BedrockToolChoice = { auto: Record<string, never> } | { any: Record<string, never> } | { tool: { name: string } };

export interface ConverseRequest {
  messages: BedrockMessage[];
  system?: { text: string }[];
  inferenceConfig?: { maxTokens?: number; temperature?: number; topP?: number; stopSequences?: string[] };
  toolConfig?: { tools: BedrockToolSpec[]; toolChoice?: BedrockToolChoice };
}

export type BedrockStopReason =
  | "end_turn"
  | "tool_use"
  | "max_tokens"
  | "stop_sequence"
  | "guardrail_intervened"
  | "content_filtered"
  | "model_context_window_exceeded";

export interface BedrockUsage {
  inputTokens: number;
  outputTokens: number;
  totalTokens?: number;
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
}

export interface ConverseResponse {
  output: { message?: { role: "assistant"; content: ({ text?: string; toolUse?: { toolUseId: string; name: string; input: unknown } } & Record<string, unknown>)[] } };
  stopReason: BedrockStopReason | string;
  usage?: BedrockUsage;
}

/** One message of the ConverseStream event stream, its payload parsed. */
export type BedrockStreamEvent =
  | { kind: "event"; type: string; payload: Record<string, unknown> }
  /** `:message-type` `exception` (a modeled error such as `throttlingException`) or `error`. */
  | { kind: "exception"; type: string; message: string };
