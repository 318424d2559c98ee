/**
 * A request of one inbound API as an upstream of another wire may see it:
 * the canonical request without what its own wire carries that changes no
 * answer anywhere else, so an adapter of another wire refuses only what it
 * really cannot honour (everything left in `passthrough` or an `extra`).
 *
 * Left out on purpose (lang/SPEC.md §14 lists them): for Anthropic
 * Messages, `cache_control` breakpoints, `citations` flags, a thinking
 * block's `signature`, a tool result's `is_error` (its text says what
 * failed), a tool's `type: "custom"`, and the fields that ask for the
 * default (`stream: false`, `tools: []`, `thinking: {type: "disabled"}`,
 * `service_tier: "auto"`); for Responses, the ids and statuses of input
 * items and a part's `annotations`/`logprobs` (what a previous reply said
 * about itself), `instructions` (already the leading system message),
 * `store` (nothing is stored: every Response says `store: false`), and
 * `include: []`, `truncation: "disabled"`, `stream: false`, `tools: []`.
 * A request decoded from the same wire as the upstream's never comes here.
 * Pure.
 */
import type { CanonicalRequest, ContentBlock, Extra, InboundApi, Message, Tool } from "./model.js";

interface Hints {
  /** Passthrough fields that say nothing when they hold what `keep` rejects. */
  readonly fields: Readonly<Record<string, (v: unknown) => boolean>>;
  readonly message: readonly string[];
  readonly block: readonly string[];
  readonly tool: (k: string, v: unknown) => boolean;
}

const always = (): boolean => true;
const empty = (v: unknown): boolean => Array.isArray(v) && v.length === 0;

const HINTS: Partial<Record<InboundApi, Hints>> = {
  "anthropic.messages": {
    fields: {
      stream: (v) => v === false,
      tools: empty,
      thinking: (v) => isObject(v) && Object.keys(v).length === 1 && v["type"] === "disabled",
      service_tier: (v) => v === "auto",
    },
    message: [],
    block: ["cache_control", "citations", "signature", "is_error"],
    tool: (k, v) => k === "cache_control" || (k === "type" && v === "custom"),
  },
  "openai.responses": {
    fields: {
      instructions: always,
      store: always,
      include: empty,
      truncation: (v) => v === "disabled",
      stream: (v) => v === false,
      tools: empty,
    },
    message: ["type", "id", "status"],
    block: ["id", "status", "annotations", "logprobs"],
    tool: () => false,
  },
};

/** `req` without its wire's no-op hints (the same object when it has none, or when it is chat). */
export function portable(req: CanonicalRequest): CanonicalRequest {
  const hints = HINTS[req.api];
  if (hints === undefined) return req;
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(req.passthrough.fields)) if (hints.fields[k]?.(v) !== true) fields[k] = v;
  return {
    ...req,
    messages: req.messages.map((m) => message(m, hints)),
    tools: req.tools.map((t) => tool(t, hints)),
    passthrough: { api: req.api, fields },
  };
}

function message(m: Message, h: Hints): Message {
  const { extra, ...rest } = m;
  const kept = without(extra, (k) => h.message.includes(k));
  const content = m.content.map((b) => block(b, h));
  return kept === undefined ? { ...rest, content } : { ...rest, content, extra: kept };
}

function block(b: ContentBlock, h: Hints): ContentBlock {
  const { extra, ...rest } = b;
  const kept = without(extra, (k) => h.block.includes(k));
  const inner = rest.kind === "tool_result" ? { ...rest, content: rest.content.map((c) => block(c, h)) } : rest;
  return (kept === undefined ? inner : { ...inner, extra: kept }) as ContentBlock;
}

function tool(t: Tool, h: Hints): Tool {
  const { extra, ...rest } = t;
  const kept = without(extra, (k) => h.tool(k, extra?.[k]));
  return kept === undefined ? rest : { ...rest, extra: kept };
}

/** `extra` without the keys `drop` names; undefined when nothing is left. */
function without(extra: Extra | undefined, drop: (k: string) => boolean): Extra | undefined {
  if (extra === undefined) return undefined;
  let out: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(extra)) if (!drop(k)) (out ??= {})[k] = v;
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
