/**
 * What a Messages or Responses request may not carry through the chain: the
 * steps after decode and the adapters read the OpenAI chat body of the
 * canonical request (`encodeChat`), so a field of the caller's wire that
 * has no place there would be silently lost. Each is mapped (a few
 * Responses fields chat has by the same name) or refused here with a 400
 * naming it (lang/SPEC.md "Inbound APIs" lists both). Dropped on purpose:
 * Anthropic's `cache_control` breakpoints and `citations` flags (hints
 * that change no answer) and Responses' `store` (nothing is stored: every
 * Response says `store: false`).
 */
import { CodecError, encodeChat, type CanonicalRequest, type RequestBlock } from "../request/index.js";
import type { ChatRequest } from "./validate.js";

/** Responses fields chat has under the same name, or that say nothing when left at their default. */
const RESPONSES_MAPPED = new Set(["service_tier", "prompt_cache_key", "safety_identifier", "store", "instructions", "stream_options"]);

/** The request, if everything it says reaches the upstream; else a {@link CodecError} naming the first field that would not. */
export function refuseUnsent(req: CanonicalRequest): CanonicalRequest {
  const fields = req.passthrough.fields;
  for (const [k, v] of Object.entries(fields)) {
    if (req.api === "openai.responses") {
      if (RESPONSES_MAPPED.has(k)) continue;
      if (k === "include" && Array.isArray(v) && v.length === 0) continue;
      if (k === "truncation" && v === "disabled") continue;
      if (k === "text" && onlyKeys(v, ["verbosity"])) continue;
    }
    if (req.api === "anthropic.messages") {
      if (k === "tools" || (k === "stream" && v === false)) continue;
      if (k === "thinking" && onlyKeys(v, ["type"]) && (v as { type?: unknown }).type === "disabled") continue;
      if (k === "service_tier" && v === "auto") continue;
    }
    throw new CodecError(k, `\`${k}\` is not supported by aigw's translation of this API yet`);
  }
  req.tools.forEach((t, i) => {
    const extra = Object.keys(t.extra ?? {}).filter((k) => k !== "cache_control");
    if (extra.length > 0) throw new CodecError(`tools[${i}].${extra[0]}`, `\`tools[${i}].${extra[0]}\` is not supported: only function tools can be routed`);
  });
  for (const m of req.messages) for (const b of m.content) checkBlock(b, req.api);
  return req;
}

function checkBlock(b: RequestBlock, api: string): void {
  if (b.kind === "tool_result") return b.content.forEach((c) => checkBlock(c, api));
  const extra = b.extra ?? {};
  if ("block" in extra) throw new CodecError("messages", `content blocks of type \`${String((extra["block"] as { type?: unknown }).type)}\` are not supported`);
  if ("document" in extra) throw new CodecError("messages", "only base64 PDF `document` blocks are supported");
  if ("item" in extra) throw new CodecError("input", "`reasoning` input items are not supported");
}

function onlyKeys(v: unknown, keys: readonly string[]): boolean {
  return typeof v === "object" && v !== null && Object.keys(v).every((k) => keys.includes(k));
}

/** Responses fields that chat has by the same name (`text.verbosity` is chat's `verbosity`). */
const SAME_IN_CHAT = ["service_tier", "prompt_cache_key", "safety_identifier"];

/** The chat body the chain carries for a canonical request of another API (checked by {@link refuseUnsent}). */
export function chatBodyOf(req: CanonicalRequest): ChatRequest {
  const body = encodeChat(req);
  if (req.api !== "openai.responses") return body;
  const f = req.passthrough.fields;
  for (const k of SAME_IN_CHAT) if (f[k] !== undefined) body[k] = f[k];
  const verbosity = (f["text"] as { verbosity?: unknown } | undefined)?.verbosity;
  if (verbosity !== undefined) body["verbosity"] = verbosity;
  return body;
}
