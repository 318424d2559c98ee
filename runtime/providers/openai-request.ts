/**
 * The chat-completions body an OpenAI-compatible upstream gets for a
 * canonical request. A chat request is its own wire (runtime/request/
 * chat.ts: the caller's body when nothing changed it). A request of
 * another inbound API is encoded from its portable form
 * (runtime/request/portable.ts), and what is left of its wire is mapped
 * where chat has the same thing — Responses' `service_tier`,
 * `prompt_cache_key`, `safety_identifier` by name, `text.verbosity` as
 * `verbosity`, `reasoning.effort` as `reasoning_effort` — or refused
 * (`TranslationError`, a 400 naming it): Anthropic's `top_k` and
 * `thinking`, server tools, documents other than base64 PDF, block types
 * chat has no place for, Responses' reasoning items, and any other field.
 * Pure.
 */
import { encodeChat } from "../request/chat.js";
import type { CanonicalRequest, ContentBlock, Extra } from "../request/model.js";
import { portable } from "../request/portable.js";
import type { ChatCompletionRequest } from "../request/openai-wire.js";
import { TranslationError } from "./anthropic-translate.js";

/** Responses fields chat has under the same name. */
const SAME_IN_CHAT = ["service_tier", "prompt_cache_key", "safety_identifier"];

/** The chat body for `req` (its `model` still the caller's name). */
export function openaiChatRequest(req: CanonicalRequest): ChatCompletionRequest {
  if (req.api === "openai.chat") return encodeChat(req);
  const p = portable(req);
  const mapped: Record<string, unknown> = {};
  const fields = p.passthrough.fields;
  for (const k of Object.keys(fields)) {
    const v = fields[k];
    if (p.api === "openai.responses" && SAME_IN_CHAT.includes(k)) mapped[k] = v;
    else if (p.api === "openai.responses" && k === "text" && isObject(v) && Object.keys(v).every((x) => x === "verbosity")) mapped["verbosity"] = v["verbosity"];
    else throw new TranslationError(`\`${k}\` is not supported by OpenAI-compatible upstreams`);
  }
  if (p.reasoning?.budgetTokens !== undefined) throw new TranslationError("`thinking` is not supported by OpenAI-compatible upstreams (send `reasoning_effort` through the chat API)");
  if (p.reasoning?.effort !== undefined) mapped["reasoning_effort"] = p.reasoning.effort;
  p.tools.forEach((t) => refuseExtra(t.extra, `tool \`${t.name}\``));
  for (const m of p.messages) {
    refuseExtra(m.extra, `a \`${m.role}\` message`);
    for (const b of m.content) checkBlock(b);
  }
  return { ...encodeChat(p), ...mapped };
}

function checkBlock(b: ContentBlock): void {
  if (b.kind === "tool_result") b.content.forEach(checkBlock);
  const extra = b.extra ?? {};
  if ("block" in extra) throw new TranslationError(`content blocks of type \`${String((extra["block"] as { type?: unknown }).type)}\` are not supported by OpenAI-compatible upstreams`);
  if ("document" in extra) throw new TranslationError("only base64 PDF `document` blocks are supported by OpenAI-compatible upstreams");
  if ("item" in extra) throw new TranslationError("`reasoning` input items are not supported by OpenAI-compatible upstreams");
  refuseExtra(b.extra, `a \`${b.kind}\` block`);
}

function refuseExtra(extra: Extra | undefined, where: string): void {
  const k = extra === undefined ? undefined : Object.keys(extra)[0];
  if (k !== undefined) throw new TranslationError(`\`${k}\` on ${where} is not supported by OpenAI-compatible upstreams`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
