/**
 * Automatic prompt-cache breakpoints for a Messages body (`prompt_cache
 * auto` on the model, lang/SPEC.md §3.3): Anthropic caches a request's
 * prefix up to each block marked `cache_control`, rendering tools, then
 * system, then messages, and takes at most {@link MAX_BREAKPOINTS} marks a
 * request (more is a 400). So:
 * - the system prompt's last block is marked, unless the caller marked one
 *   of its blocks: the prefix through the system prompt (tools included);
 * - then the last tool, unless the caller marked a tool: the tools alone,
 *   still cached when the system prompt changes;
 * - the caller's own marks are kept; one is added only while the request
 *   holds fewer than four, so the total never passes the limit;
 * - an added mark takes the caller's longest `ttl` (a `1h` mark after a
 *   default 5-minute one is refused), else none: Anthropic's 5 minutes.
 * The body is copied where it changes, never mutated.
 */

/** Anthropic's limit on `cache_control` marks in one request. */
export const MAX_BREAKPOINTS = 4;

type Json = Record<string, unknown>;

/** The body with breakpoints added (the same object when none could be, or none was needed). */
export function withCacheBreakpoints<T extends object>(request: T): T {
  const body = request as Json;
  const tools = Array.isArray(body["tools"]) ? (body["tools"] as unknown[]) : [];
  const system = body["system"];
  const systemBlocks = Array.isArray(system) ? (system as unknown[]) : undefined;
  const seen = { count: 0, ttl: undefined as string | undefined };
  for (const t of tools) note(t, seen);
  for (const b of systemBlocks ?? []) note(b, seen);
  for (const m of Array.isArray(body["messages"]) ? (body["messages"] as unknown[]) : []) {
    const content = isObject(m) ? m["content"] : undefined;
    if (Array.isArray(content)) for (const b of content) note(b, seen);
  }
  const mark: Json = seen.ttl === undefined ? { type: "ephemeral" } : { type: "ephemeral", ttl: seen.ttl };
  let left = MAX_BREAKPOINTS - seen.count;
  let out: Json = body;

  const systemMarked = systemBlocks?.some(marked) ?? false;
  if (left > 0 && !systemMarked) {
    if (typeof system === "string" && system !== "") {
      out = { ...out, system: [{ type: "text", text: system, cache_control: mark }] };
      left--;
    } else if (systemBlocks !== undefined && systemBlocks.length > 0 && isObject(systemBlocks[systemBlocks.length - 1])) {
      out = { ...out, system: [...systemBlocks.slice(0, -1), { ...(systemBlocks[systemBlocks.length - 1] as Json), cache_control: mark }] };
      left--;
    }
  }
  if (left > 0 && tools.length > 0 && !tools.some(marked) && isObject(tools[tools.length - 1])) {
    out = { ...out, tools: [...tools.slice(0, -1), { ...(tools[tools.length - 1] as Json), cache_control: mark }] };
  }
  return out as T;
}

/** Counts a caller's mark and keeps the longest ttl seen (`1h` over `5m`). */
function note(block: unknown, seen: { count: number; ttl: string | undefined }): void {
  if (!marked(block)) return;
  seen.count++;
  const ttl = ((block as Json)["cache_control"] as Json)["ttl"];
  if (ttl === "1h" || (ttl === "5m" && seen.ttl === undefined)) seen.ttl = ttl;
}

function marked(block: unknown): boolean {
  return isObject(block) && isObject(block["cache_control"]);
}

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
