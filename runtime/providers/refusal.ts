/**
 * Which client errors mean "this model will not take this request" rather
 * than "the request is wrong": the prompt is longer than the model's context
 * (`context_length`), or the provider's content filter refused it
 * (`content_filter`). A route may fall back on either (lang/SPEC.md §7.4);
 * another model with a longer context or another filter may answer.
 *
 * Each provider says it its own way, so both the error's code and its
 * message are read (lang/SPEC.md §4.8 lists the wire shapes):
 * - OpenAI: 400 `code: "context_length_exceeded"`; Azure: 400 `code:
 *   "content_filter"` with `innererror.code: "ResponsibleAIPolicyViolation"`,
 *   and `context_length_exceeded` like OpenAI's;
 * - Anthropic (and Bedrock relaying it): 400 `invalid_request_error` "prompt
 *   is too long: N tokens > M maximum";
 * - Gemini and Vertex: 400 `INVALID_ARGUMENT` "The input token count (N)
 *   exceeds the maximum number of tokens allowed (M)";
 * - Bedrock: 400 `ValidationException` "Input is too long for requested
 *   model" / "too many input tokens";
 * - vLLM and other OpenAI-compatible servers: 400 "This model's maximum
 *   context length is N tokens".
 * Only a 400, 413 or 422 is read: a 429 or 5xx already has its own reason.
 */

/** A client error that another model may not have. */
export type Refusal = "context_length" | "content_filter";

/** The words a fallback `on` list takes for them. */
export const REFUSALS: readonly Refusal[] = Object.freeze(["context_length", "content_filter"]);

/** What an error reply said, in the parts that classify it. */
export interface ErrorWords {
  readonly status: number;
  /** `error.code` as text (OpenAI, Azure). */
  readonly code?: string | undefined;
  /** `error.innererror.code` (Azure). */
  readonly innerCode?: string | undefined;
  readonly message?: string | undefined;
}

const CONTEXT_CODES = new Set(["context_length_exceeded"]);
const FILTER_CODES = new Set(["content_filter", "content_policy_violation", "ResponsibleAIPolicyViolation"]);
// Messages, as each provider words them; matched without case.
const CONTEXT_TEXT = /maximum context length|prompt is too long|input is too long|too many input tokens|input token count.*exceeds the maximum|exceeds the (?:model's )?context (?:window|length)/i;
const FILTER_TEXT = /content management policy|flagged as potentially violating/i;

/** The refusal an upstream's error reply states, if any. */
export function refusalOf(e: ErrorWords): Refusal | undefined {
  if (e.status !== 400 && e.status !== 413 && e.status !== 422) return undefined;
  if (e.code !== undefined && CONTEXT_CODES.has(e.code)) return "context_length";
  if ((e.code !== undefined && FILTER_CODES.has(e.code)) || (e.innerCode !== undefined && FILTER_CODES.has(e.innerCode))) return "content_filter";
  const text = e.message ?? "";
  if (CONTEXT_TEXT.test(text)) return "context_length";
  if (FILTER_TEXT.test(text)) return "content_filter";
  return undefined;
}
