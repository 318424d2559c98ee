/**
 * The canonical request: one internal representation of an LLM call that
 * every inbound API decodes into (chat.ts for `POST /v1/chat/completions`,
 * anthropic-messages.ts, responses.ts, embeddings.ts) and every provider adapter can encode from. It names what the gateway
 * reasons about — the operation, the model, messages as typed content
 * blocks, tools, output constraints, sampling, streaming, metadata — and
 * keeps everything else in `passthrough`, tagged with the API it came from,
 * so a field only one provider understands reaches only that provider.
 *
 * Plain readonly data: no classes, no methods, nothing tied to a wire format.
 */

/** What the caller asks for: a reply to messages, or vectors of its inputs. */
export type Operation = "chat" | "embeddings";

/** Which inbound API a request was decoded from (and which wire its passthrough fields belong to). */
export type InboundApi = "openai.chat" | "anthropic.messages" | "openai.responses" | "openai.embeddings";

/** Wire fields of a message or block that the model does not name (`cache_control` …), kept for the same wire. */
export type Extra = Readonly<Record<string, unknown>>;

/** One piece of a message, by kind. */
export type ContentBlock = (
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "image"; readonly url: string; readonly detail?: string }
  | { readonly kind: "audio"; readonly data: string; readonly format: string }
  | { readonly kind: "file"; readonly data?: string; readonly fileId?: string; readonly filename?: string }
  | { readonly kind: "tool_call"; readonly id: string; readonly name: string; readonly arguments: string }
  | { readonly kind: "tool_result"; readonly toolCallId: string; readonly content: readonly ContentBlock[] }
  | { readonly kind: "refusal"; readonly text: string }
  | { readonly kind: "reasoning"; readonly text: string }
) & { readonly extra?: Extra };

/** `function` is OpenAI's legacy role of a function's result (before `tool`). */
export type Role = "system" | "developer" | "user" | "assistant" | "tool" | "function";

export interface Message {
  readonly role: Role;
  readonly content: readonly ContentBlock[];
  /** A participant name (`name` in OpenAI's format). */
  readonly name?: string;
  /** The content was a plain string on the wire (not a list of parts): encoders that can keep that shape do. */
  readonly plain?: boolean;
  readonly extra?: Extra;
}

/** A tool the model may call. */
export interface Tool {
  readonly name: string;
  readonly description?: string;
  /** JSON Schema of the arguments. */
  readonly parameters?: Readonly<Record<string, unknown>>;
  readonly strict?: boolean;
  /** Wire fields of the definition the model does not name (and, for OpenAI, `legacy` for an entry of `functions`). */
  readonly extra?: Extra;
}

export type ToolChoice = { readonly kind: "auto" | "none" | "required" } | { readonly kind: "tool"; readonly name: string };

/** Bounds on the output; the budget's worst case reads these. */
export interface OutputConstraints {
  /** The most output tokens per choice the caller allows (`max_completion_tokens`, else `max_tokens`). */
  readonly maxTokens?: number;
  /** How many choices (`n`); 1 when absent. */
  readonly n?: number;
  readonly stop?: readonly string[];
  /** `response_format` as sent (text, json_object, json_schema). */
  readonly format?: Readonly<Record<string, unknown>>;
}

/** How much the model may think before answering. */
export interface Reasoning {
  /** OpenAI's `reasoning_effort` / Responses' `reasoning.effort` (`minimal` … `high`). */
  readonly effort?: string;
  /** Anthropic's `thinking.budget_tokens`. */
  readonly budgetTokens?: number;
}

/**
 * What an embeddings request asks for beyond its inputs. String inputs are
 * the request's messages (one plain user text each), so facts, guardrails
 * and budgets read them as they read a chat; token-array inputs are here,
 * and their JSON text is a message too, a byte bound of their tokens.
 */
export interface EmbeddingOptions {
  /** `input` was one value, not a list. */
  readonly single: boolean;
  /** The inputs as token arrays, when they were sent so. */
  readonly tokens?: readonly (readonly number[])[];
  readonly dimensions?: number;
  readonly encodingFormat?: "float" | "base64";
}

export interface Sampling {
  readonly temperature?: number;
  readonly topP?: number;
}

export interface Streaming {
  /** The caller wants usage reported at the end of the stream. */
  readonly includeUsage: boolean;
}

/** Fields the gateway does not model, tagged with the wire they belong to. */
export interface Passthrough {
  readonly api: InboundApi;
  readonly fields: Readonly<Record<string, unknown>>;
}

/** One LLM call, as the gateway reasons about it. */
export interface CanonicalRequest {
  readonly operation: Operation;
  readonly api: InboundApi;
  readonly model: string;
  readonly messages: readonly Message[];
  readonly tools: readonly Tool[];
  readonly toolChoice?: ToolChoice;
  readonly parallelToolCalls?: boolean;
  readonly output: OutputConstraints;
  readonly sampling: Sampling;
  /** Present when the caller asked for a stream. */
  readonly stream?: Streaming;
  /** The caller's end-user id (`user`), for the provider's abuse tracking. */
  readonly user?: string;
  /** Caller metadata (`metadata`), passed on by providers that accept it. */
  readonly metadata?: Readonly<Record<string, string>>;
  readonly reasoning?: Reasoning;
  /** Present for `operation: "embeddings"`. */
  readonly embedding?: EmbeddingOptions;
  readonly passthrough: Passthrough;
}
