/**
 * `GenerateContentResponse` (Gemini API and Vertex AI) to OpenAI's chat
 * shapes: a whole reply to a completion, the events of
 * `streamGenerateContent?alt=sse` (each a partial response) to chunks.
 * Candidates are choices; text parts are content (thought summaries are
 * not part of the answer and are left out); function calls are tool
 * calls, with an id made up when Gemini sent none and the call's thought
 * signature in it (gemini-ids.ts). Safety and policy stops
 * (and a prompt blocked outright) are `content_filter`; thinking tokens
 * are billed as output. Pure: the clock arrives as `createdSec`.
 */

import type { ChatCompletion, ChatCompletionChunk, FinishReason, ToolCall, WireUsage } from "../request/openai-wire.js";
import { TranslationError } from "./anthropic-translate.js";
import { SYNTHETIC_ID_PREFIX, toCallerId } from "./gemini-ids.js";
import type { GeminiCandidate, GeminiFinishReason, GeminiPart, GeminiResponse, GeminiUsageMetadata } from "./gemini-wire.js";

const FILTERED = new Set<string>(["SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY"]);

/** Gemini's finish reason in OpenAI's terms; `called`: the candidate called a function. */
export function finishReason(reason: GeminiFinishReason | string, called: boolean): FinishReason {
  if (FILTERED.has(reason)) return "content_filter";
  if (reason === "MAX_TOKENS") return "length";
  return called ? "tool_calls" : "stop";
}

/** `usageMetadata` as OpenAI usage: cached tokens are part of the prompt, thinking tokens of the output. */
export function wireUsage(u: GeminiUsageMetadata): WireUsage {
  const prompt = u.promptTokenCount ?? 0;
  const thoughts = u.thoughtsTokenCount ?? 0;
  const completion = (u.candidatesTokenCount ?? 0) + thoughts;
  const out: WireUsage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
  if (u.cachedContentTokenCount) out.prompt_tokens_details = { cached_tokens: u.cachedContentTokenCount };
  if (thoughts > 0) out.completion_tokens_details = { reasoning_tokens: thoughts };
  return out;
}

/** Names a reply: its `responseId`, else the fallback the adapter gives (the gateway's request id). */
export interface ReplyNames {
  createdSec: number;
  /** The upstream model, when the reply names none. */
  model: string;
  fallbackId: string;
}

/** A whole `generateContent` reply as a chat completion. */
export function fromGeminiResponse(reply: unknown, names: ReplyNames): ChatCompletion {
  if (!isResponse(reply)) throw new TranslationError("the reply is not a GenerateContentResponse");
  const base = reply.responseId ?? names.fallbackId;
  const choices: ChatCompletion["choices"] = [];
  if (reply.promptFeedback?.blockReason !== undefined && (reply.candidates ?? []).length === 0) {
    choices.push({ index: 0, message: { role: "assistant", content: null, refusal: null }, finish_reason: "content_filter", logprobs: null });
  }
  for (const [i, c] of (reply.candidates ?? []).entries()) {
    const index = c.index ?? i;
    const { text, calls } = partsOf(c.content?.parts ?? [], `${base}_${index}`);
    const message: ChatCompletion["choices"][number]["message"] = { role: "assistant", content: text === "" && calls.length > 0 ? null : text, refusal: null };
    if (calls.length > 0) message.tool_calls = calls;
    choices.push({ index, message, finish_reason: finishReason(c.finishReason ?? "STOP", calls.length > 0), logprobs: null });
  }
  if (choices.length === 0) throw new TranslationError("the reply has neither candidates nor a block reason");
  const completion: ChatCompletion = { id: `chatcmpl-${base}`, object: "chat.completion", created: names.createdSec, model: reply.modelVersion ?? names.model, choices };
  if (reply.usageMetadata) completion.usage = wireUsage(reply.usageMetadata);
  return completion;
}

function partsOf(parts: readonly GeminiPart[], idBase: string, firstCall = 0): { text: string; calls: ToolCall[] } {
  let text = "";
  const calls: ToolCall[] = [];
  for (const p of parts) {
    if (p.functionCall) {
      const id = toCallerId(p.functionCall.id, `${SYNTHETIC_ID_PREFIX}${idBase}_${firstCall + calls.length}`, p.thoughtSignature);
      calls.push({ id, type: "function", function: { name: p.functionCall.name, arguments: JSON.stringify(p.functionCall.args ?? {}) } });
    } else if (typeof p.text === "string" && p.thought !== true) text += p.text;
  }
  return { text, calls };
}

/** A `{ error }` event in a stream: the upstream failed after answering 200. */
export class GeminiStreamError extends Error {
  constructor(
    readonly status: number,
    readonly errorStatus: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = "GeminiStreamError";
  }
}

/** Feed each event's response to `push`, then call `end` when the stream ends. */
export class GeminiStreamTranslator {
  private id: string | undefined;
  private model: string | undefined;
  private usage: GeminiUsageMetadata | undefined;
  private readonly started = new Set<number>();
  private readonly calls = new Map<number, number>();
  private readonly finished = new Set<number>();

  constructor(private readonly names: ReplyNames) {}

  /** True once some candidate finished (or the prompt was blocked). */
  get done(): boolean {
    return this.finished.size > 0;
  }

  /** The usage reported so far, in OpenAI's terms. */
  get wireUsage(): WireUsage | undefined {
    return this.usage && wireUsage(this.usage);
  }

  push(event: unknown): ChatCompletionChunk[] {
    if (typeof event === "object" && event !== null && "error" in event) {
      const e = (event as { error: { code?: unknown; message?: unknown; status?: unknown } }).error ?? {};
      const code = typeof e.code === "number" && e.code >= 400 && e.code < 600 ? e.code : 500;
      throw new GeminiStreamError(code, typeof e.status === "string" ? e.status : undefined, typeof e.message === "string" ? e.message : "stream error");
    }
    if (!isResponse(event)) throw new TranslationError("a stream event is not a GenerateContentResponse");
    this.id ??= event.responseId ?? this.names.fallbackId;
    this.model ??= event.modelVersion ?? this.names.model;
    if (event.usageMetadata) this.usage = event.usageMetadata;
    const out: ChatCompletionChunk[] = [];
    if (event.promptFeedback?.blockReason !== undefined && (event.candidates ?? []).length === 0) {
      out.push(this.chunk(0, { ...this.role(0) }, "content_filter"));
      this.finished.add(0);
    }
    for (const [i, c] of (event.candidates ?? []).entries()) out.push(...this.candidate(c, c.index ?? i));
    return out;
  }

  /** The chunks after the last event: the usage chunk, when usage was reported. */
  end(): ChatCompletionChunk[] {
    const usage = this.wireUsage;
    return usage ? [{ ...this.chunk(0, {}, null), choices: [], usage }] : [];
  }

  private candidate(c: GeminiCandidate, index: number): ChatCompletionChunk[] {
    const out: ChatCompletionChunk[] = [];
    const before = this.calls.get(index) ?? 0;
    const { text, calls } = partsOf(c.content?.parts ?? [], `${this.id}_${index}`, before);
    if (text !== "" || calls.length > 0 || !this.started.has(index)) {
      const delta: ChatCompletionChunk["choices"][number]["delta"] = { ...this.role(index) };
      if (text !== "") delta.content = text;
      if (calls.length > 0) delta.tool_calls = calls.map((call, k) => ({ index: before + k, ...call }));
      out.push(this.chunk(index, delta, null));
    }
    this.calls.set(index, before + calls.length);
    if (c.finishReason !== undefined && c.finishReason !== "FINISH_REASON_UNSPECIFIED") {
      out.push(this.chunk(index, {}, finishReason(c.finishReason, (this.calls.get(index) ?? 0) > 0)));
      this.finished.add(index);
    }
    return out;
  }

  /** `{ role: "assistant" }` on a candidate's first chunk only. */
  private role(index: number): { role?: "assistant" } {
    if (this.started.has(index)) return {};
    this.started.add(index);
    return { role: "assistant" };
  }

  private chunk(index: number, delta: ChatCompletionChunk["choices"][number]["delta"], finish: FinishReason | null): ChatCompletionChunk {
    return {
      id: `chatcmpl-${this.id ?? this.names.fallbackId}`,
      object: "chat.completion.chunk",
      created: this.names.createdSec,
      model: this.model ?? this.names.model,
      choices: [{ index, delta, finish_reason: finish }],
    };
  }
}

/**
 * A response whose every candidate, part and count has the type the
 * translation reads (an upstream's odd reply is a protocol error, never a
 * crash further on).
 */
function isResponse(value: unknown): value is GeminiResponse {
  if (!isObject(value)) return false;
  const v = value as GeminiResponse;
  if (v.candidates === undefined) return isObject(v.promptFeedback) || isObject(v.usageMetadata);
  if (!Array.isArray(v.candidates) || !v.candidates.every(isCandidate)) return false;
  return (v.promptFeedback === undefined || isObject(v.promptFeedback)) && (v.usageMetadata === undefined || isUsage(v.usageMetadata));
}

function isCandidate(c: unknown): boolean {
  if (!isObject(c)) return false;
  const { content, finishReason, index } = c as GeminiCandidate;
  if (finishReason !== undefined && typeof finishReason !== "string") return false;
  if (index !== undefined && !(Number.isInteger(index) && index >= 0 && index < 128)) return false;
  if (content === undefined) return true;
  if (!isObject(content) || (content.parts !== undefined && !Array.isArray(content.parts))) return false;
  return (content.parts ?? []).every((p) => isObject(p) && (p.functionCall === undefined || (isObject(p.functionCall) && typeof p.functionCall.name === "string" && (p.functionCall.args === undefined || isObject(p.functionCall.args)))));
}

/** The counts read are numbers; other fields (Vertex's `trafficType`, the per-modality details) are not read. */
function isUsage(u: unknown): boolean {
  return isObject(u) && COUNTS.every((k) => u[k] === undefined || typeof u[k] === "number");
}

const COUNTS = ["promptTokenCount", "candidatesTokenCount", "cachedContentTokenCount", "thoughtsTokenCount"];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
