/**
 * The `session` fact: which conversation a request belongs to, so that
 * `split by session` keeps one conversation on one target (and its prompt
 * cache warm). The first of these that the request has wins:
 *
 * 1. the `x-session-id` header;
 * 2. the `x-claude-code-session-id` header (Claude Code sends it);
 * 3. OpenAI's `prompt_cache_key` body field (the caller's own cache key);
 * 4. the body's end-user id (`user`; Anthropic's `metadata.user_id`);
 * 5. a hash of the conversation's opening: its first system (or developer)
 *    text and its first user text, which stay the same turn after turn.
 *
 * The value is the source's value as sent (a test's `session "x"` is the
 * same conversation as a request with `x-session-id: x`); the opening's is
 * 16 hex digits, hashed from at most 4 KiB of each text, so a long system
 * prompt costs the same as a short one.
 */
import type { ContentBlock, Message } from "../request/index.js";
import { murmur3 } from "./split.js";

/** The parts of a request the session is taken from. */
export interface SessionSource {
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly promptCacheKey?: string;
  readonly user?: string;
  /** The conversation's opening: its first system text and first user text (either may be empty). */
  readonly opening: () => { readonly system: string; readonly user: string };
}

const OPENING_CHARS = 4096;

/** The session of a request; undefined only when it has no header, key, user id or text at all. */
export function sessionOf(s: SessionSource): string | undefined {
  const h = own(s.headers, "x-session-id");
  if (h !== undefined && h !== "") return h;
  const c = own(s.headers, "x-claude-code-session-id");
  if (c !== undefined && c !== "") return c;
  if (s.promptCacheKey !== undefined && s.promptCacheKey !== "") return s.promptCacheKey;
  if (s.user !== undefined && s.user !== "") return s.user;
  const o = s.opening();
  if (o.system === "" && o.user === "") return undefined;
  const text = `${o.system.slice(0, OPENING_CHARS)}\u0000${o.user.slice(0, OPENING_CHARS)}`;
  return hex(murmur3(text, 0x2545f491)) + hex(murmur3(text, 0x9e3779b9));
}

/** The first system/developer text and the first user text of a conversation. */
export function openingOf(messages: readonly Message[]): { system: string; user: string } {
  let system = "";
  let user = "";
  for (const m of messages) {
    if (system === "" && (m.role === "system" || m.role === "developer")) system = textOf(m.content);
    else if (user === "" && m.role === "user") user = textOf(m.content);
    if (system !== "" && user !== "") break;
  }
  return { system, user };
}

function textOf(content: readonly ContentBlock[]): string {
  let out = "";
  for (const b of content) {
    if (b.kind === "text") out += out === "" ? b.text : `\n${b.text}`;
    if (out.length >= OPENING_CHARS) break;
  }
  return out;
}

function own(map: Readonly<Record<string, string>>, name: string): string | undefined {
  return Object.hasOwn(map, name) ? map[name] : undefined;
}

function hex(n: number): string {
  return (n >>> 0).toString(16).padStart(8, "0");
}
