/**
 * What a request may cost and what it did cost, in integer micro-dollars
 * (runtime/state/money.ts), from the policy's model prices ($ per million
 * tokens, so one token at $P/Mtok is exactly P micro-dollars).
 *
 * The worst case reserved before a request is sent is an upper bound of
 * what any provider can bill for it (lang/SPEC.md §12), computed from bytes
 * alone, never with the tokenizer:
 * - input tokens ≤ the UTF-8 byte length of the canonical request
 *   (runtime/request/model.ts) in OpenAI's chat JSON (request/chat.ts):
 *   its `messages`, `tools`, `functions`, `tool_choice` and
 *   `response_format`. Every token of the byte-level BPEs models are priced
 *   with covers at least one byte, and JSON only adds bytes (quotes, keys,
 *   escapes), so every byte that reaches the model (all blocks, names,
 *   tool-call arguments, schemas) is counted, with the wire's wrapping as
 *   slack for the framing a provider adds around tool calls and parts.
 *   Plus the chat framing (4 tokens a message, 3 for the reply),
 *   {@link TOOLS_PROMPT_TOKENS} when tools or a response format are given
 *   (the system prompt a provider adds for them), {@link IMAGE_TOKENS} per
 *   image block, and a whole context for a block whose size cannot be known
 *   from the request (a file; a part type the codec kept whole). A model's
 *   declared `context` caps the total: no provider bills more input than
 *   the model accepts;
 * - output tokens: (`output.maxTokens`, else the model's `max_output`, else
 *   its `context`, else {@link LARGEST_CONTEXT_TOKENS}) × `output.n`;
 * - the most expensive target of the plan (a fallback may answer).
 */
import type { Graph, ModelNode } from "../../compiler/graph.js";
import { LARGEST_CONTEXT_TOKENS, type PlannedTarget } from "../engine/index.js";
import type { Usage } from "../providers/index.js";
import { encodeChat, encodesCheaply, textChanges, type CanonicalRequest, type ContentBlock } from "../request/index.js";
import { jsonBytes } from "../request/json-bytes.js";
import { boundMicros, cacheOf, priceMicros } from "./price.js";

// The largest context of any model: one constant for the budget's bound and `split cheapest`'s.
export { LARGEST_CONTEXT_TOKENS };

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

/**
 * Measures a request `req` (what reaches the model; linear in its size),
 * counting JSON bytes without serialising (request/json-bytes.ts). When
 * `req` is `original` with only some message texts replaced (a redaction:
 * request/text.ts copies only what changed) and its chat body would have
 * to be built afresh (another inbound API's request), `original` is
 * measured, each replaced text's JSON string adjusted, so the redacted copy
 * need not be encoded for it. A chat request's redacted body is the
 * caller's with the texts patched in (request/chat.ts), which the adapter
 * sends anyway: it is measured as it is, one pass over its texts instead of
 * three.
 */
export function requestSize(req: CanonicalRequest, original: CanonicalRequest = req): RequestSize {
  const delta = req === original || encodesCheaply(req) ? undefined : textDelta(req, original);
  const measured = chatBytes(delta === undefined ? req : original);
  const bytes = measured.bytes + (delta ?? 0);
  const prompt = measured.prompt;
  let images = 0;
  let unknowable = 0;
  const count = (blocks: readonly ContentBlock[]): void => {
    for (const b of blocks) {
      if (b.kind === "image") images++;
      // A file's bytes are not its tokens; a part the codec kept whole is of a type not measured here.
      else if (b.kind === "file" || (b.kind === "text" && b.extra !== undefined && "part" in b.extra)) unknowable++;
      else if (b.kind === "tool_result") count(b.content);
    }
  };
  for (const m of req.messages) count(m.content);
  const known = bytes + 4 * req.messages.length + 3 + (prompt ? TOOLS_PROMPT_TOKENS : 0) + images * IMAGE_TOKENS;
  return { known, unknowable };
}

/**
 * The bytes of `req`'s OpenAI chat encoding that reach the model (for a
 * request decoded from that wire, the caller's own body), and whether it
 * carries tools or a response format (a provider adds a prompt for them).
 */
function chatBytes(req: CanonicalRequest): { bytes: number; prompt: boolean } {
  const body = encodeChat(req);
  let bytes = jsonBytes(body.messages);
  let prompt = false;
  for (const field of [body.tools, body["functions"], body.tool_choice, body["response_format"]]) {
    if (field === undefined || field === null) continue;
    bytes += jsonBytes(field);
    prompt = true;
  }
  return { bytes, prompt };
}

/**
 * How many bytes longer `req`'s messages are than `original`'s when they
 * differ only in the text of text, refusal or reasoning blocks (each is one
 * JSON string in the encoding); undefined when anything else changed (a
 * tool call's re-serialised arguments, a name, a tool, a schema).
 */
function textDelta(req: CanonicalRequest, original: CanonicalRequest): number | undefined {
  const changes = textChanges(req, original);
  if (changes === undefined) return undefined;
  let delta = 0;
  for (const c of changes) delta += jsonBytes(c.now.text) - jsonBytes(c.was.text);
  return delta;
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
  return { input, output, micros: boundMicros(model, input, output) };
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
  return priceMicros(model, usage.promptTokens, usage.completionTokens, cacheOf(usage));
}
