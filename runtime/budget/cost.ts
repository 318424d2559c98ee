/**
 * What a request may cost and what it did cost, in integer micro-dollars
 * (runtime/state/money.ts), from the policy's model prices ($ per million
 * tokens, so one token at $P/Mtok is exactly P micro-dollars).
 *
 * The worst case reserved before a request is sent is an upper bound of
 * what any provider can bill for it (lang/SPEC.md §12), computed from bytes
 * alone, never with the tokenizer:
 * - input tokens ≤ the UTF-8 bytes of everything of the canonical request
 *   (runtime/request/model.ts) that reaches the model: every block's text
 *   (text, refusal, reasoning, a file's name), message names, tool calls
 *   (id, name, arguments) and tool results, image URLs and audio data, the
 *   tools (name, description, the JSON of the parameter schema), a named
 *   tool choice and the JSON of the response format. Every token of the
 *   byte-level BPEs models are priced with covers at least one byte. Plus
 *   the chat framing (4 tokens a message and 4 a block, 3 for the reply),
 *   {@link TOOLS_PROMPT_TOKENS} when tools, a tool choice or a response
 *   format are given (the system prompt a provider adds for them),
 *   {@link IMAGE_TOKENS} per image, and a whole context for a block whose
 *   size cannot be known from the request (a file: its bytes are not the
 *   model's tokens; a part type the codec kept whole). A model's declared
 *   `context` caps the total: no provider bills more input than the model
 *   accepts;
 * - output tokens: (`output.maxTokens`, else the model's `max_output`, else
 *   its `context`, else {@link LARGEST_CONTEXT_TOKENS}) × `output.n`;
 * - the most expensive target of the plan (a fallback may answer).
 */
import type { Graph, ModelNode } from "../../compiler/graph.js";
import type { PlannedTarget } from "../engine/index.js";
import type { Usage } from "../providers/index.js";
import type { CanonicalRequest, ContentBlock } from "../request/index.js";
import { priceMicros } from "./price.js";

/**
 * The largest context window of any model we know (Llama 4 Scout: 10M
 * tokens). It bounds what cannot be measured when a model declares no
 * `context`, and no request may ask for more output than this
 * (runtime/pipeline/validate.ts).
 */
export const LARGEST_CONTEXT_TOKENS = 10_000_000;

/** The most choices a request may ask for (`n`), OpenAI's documented maximum. */
export const MAX_CHOICES = 128;

/**
 * The most input tokens one image can be billed at, over the published
 * rules: OpenAI's tile rule at high detail on gpt-4o-mini (fit in
 * 2048×2048, shortest side 768 → at most 2×4 tiles of 512 px: 2,833 +
 * 8 × 5,667 = 48,169) is the largest; gpt-4o's is 85 + 8 × 170 = 1,445,
 * the patch rule of the gpt-4.1/o4 minis at most 1,536 × 2.46 = 3,779, and
 * Anthropic's (width × height / 750 after resizing to ≤ 1.15 MP) about
 * 1,600. A declared `context` caps the whole input, images included.
 */
export const IMAGE_TOKENS = 48_169;

/**
 * Tokens a provider adds to the prompt when a request carries tools or a
 * response format: Anthropic's published tool-use system prompt is at most
 * 530 tokens (Claude 3 Opus); OpenAI renders tools into a system message
 * whose wrapper is far smaller than the JSON bytes it replaces.
 */
export const TOOLS_PROMPT_TOKENS = 530;

/** The request fields the output bound reads. */
export type CostedRequest = Pick<CanonicalRequest, "output">;

/** What admission measured of a request once, for every target: the model-independent parts of the bound. */
export interface RequestSize {
  /** Input tokens that do not depend on the model: bytes, framing, the tools prompt, images. */
  readonly known: number;
  /** Parts whose size cannot be known from the request: each may fill the model's context. */
  readonly unknowable: number;
}

/** What the walk over a request's blocks adds up. */
interface Tally {
  bytes: number;
  blocks: number;
  images: number;
  unknowable: number;
}

/** Measures a request (linear in its size; one JSON serialisation of each schema and of the response format). */
export function requestSize(req: CanonicalRequest): RequestSize {
  const t: Tally = { bytes: 0, blocks: 0, images: 0, unknowable: 0 };
  for (const m of req.messages) {
    if (m.name !== undefined) t.bytes += Buffer.byteLength(m.name);
    tally(m.content, t);
  }
  const prompt = req.tools.length > 0 || req.toolChoice !== undefined || req.output.format !== undefined;
  for (const tool of req.tools) {
    t.bytes += Buffer.byteLength(tool.name) + (tool.description === undefined ? 0 : Buffer.byteLength(tool.description));
    if (tool.parameters !== undefined) t.bytes += Buffer.byteLength(JSON.stringify(tool.parameters));
  }
  if (req.toolChoice?.kind === "tool") t.bytes += Buffer.byteLength(req.toolChoice.name);
  if (req.output.format !== undefined) t.bytes += Buffer.byteLength(JSON.stringify(req.output.format));
  const known = t.bytes + 4 * (req.messages.length + t.blocks) + 3 + (prompt ? TOOLS_PROMPT_TOKENS : 0) + t.images * IMAGE_TOKENS;
  return { known, unknowable: t.unknowable };
}

function tally(blocks: readonly ContentBlock[], t: Tally): void {
  for (const b of blocks) {
    t.blocks++;
    switch (b.kind) {
      case "text":
        if (b.extra !== undefined && "part" in b.extra) t.unknowable++;
        else t.bytes += Buffer.byteLength(b.text);
        break;
      case "refusal":
      case "reasoning":
        t.bytes += Buffer.byteLength(b.text);
        break;
      case "image":
        t.images++;
        t.bytes += Buffer.byteLength(b.url);
        break;
      case "audio":
        t.bytes += Buffer.byteLength(b.data) + Buffer.byteLength(b.format);
        break;
      case "file":
        t.unknowable++;
        if (b.filename !== undefined) t.bytes += Buffer.byteLength(b.filename);
        break;
      case "tool_call":
        t.bytes += Buffer.byteLength(b.id) + Buffer.byteLength(b.name) + Buffer.byteLength(b.arguments);
        break;
      case "tool_result":
        t.bytes += Buffer.byteLength(b.toolCallId);
        tally(b.content, t);
        break;
    }
  }
}

/** The most input tokens `model` can bill for a request of `size`. */
export function inputBound(model: ModelNode, size: RequestSize): number {
  const context = model.context ?? LARGEST_CONTEXT_TOKENS;
  const total = size.known + size.unknowable * context;
  return model.context === undefined ? total : Math.min(total, model.context);
}

/** The most output tokens `model` can bill for this request: the per-choice bound × `n`. */
export function outputBound(model: ModelNode, body: CostedRequest): number {
  const perChoice = body.output.maxTokens ?? model.maxOutput ?? model.context ?? LARGEST_CONTEXT_TOKENS;
  return perChoice * (body.output.n ?? 1);
}

// Prices are read in one place (price.ts); re-exported for the bound and settlement code here.
export { priceMicros } from "./price.js";

/** One target's bound: its tokens in and out and their price. */
export interface TargetBound {
  readonly input: number;
  readonly output: number;
  readonly micros: number;
}

/** The bound of a request on one model. */
export function targetBound(model: ModelNode, size: RequestSize, body: CostedRequest): TargetBound {
  const input = inputBound(model, size);
  const output = outputBound(model, body);
  return { input, output, micros: priceMicros(model, input, output) };
}

/** The worst case over the plan's targets: the dearest price and the most tokens (in + out), each maximised separately. */
export function worstCase(graph: Graph, targets: readonly PlannedTarget[], size: RequestSize, body: CostedRequest): { micros: number; tokens: number } {
  let micros = 0;
  let tokens = 0;
  for (const t of targets) {
    const m = graph.models[t.model];
    if (m === undefined) continue;
    const b = targetBound(m, size, body);
    micros = Math.max(micros, b.micros);
    tokens = Math.max(tokens, b.input + b.output);
  }
  return { micros, tokens };
}

/** Whether `n` can be recorded as a token count: a non-negative safe integer. */
export function isTokenCount(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

/** What a finished request cost on the model that answered, from usage already checked against its bound. */
export function usageMicros(model: ModelNode, usage: Usage): number {
  return priceMicros(model, usage.promptTokens, usage.completionTokens);
}
