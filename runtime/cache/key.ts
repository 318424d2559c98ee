/**
 * The exact-match cache key (lang/SPEC.md §4.10): sha256 over the canonical
 * request after normalisation, the target model actually chosen, the scope
 * partition, the cache's name and the policy version, computed once per
 * request.
 *
 * Normalisation, so that requests asking for the same reply share a key:
 * - object keys are sorted (safe-stable-stringify), so the caller's JSON
 *   field order does not matter;
 * - a value equal to the provider's documented default is dropped
 *   (`temperature 1`, `top_p 1`, `n 1`, `presence_penalty 0`, …), so
 *   sending a default and leaving it out are the same request;
 * - what does not change the reply is left out: the requested model name
 *   (the target chosen is in the key instead), `user`, `metadata`,
 *   `stream_options` (a replay honours each caller's own), whether a
 *   message's content was a string or one text part, and passthrough
 *   fields that only steer storage or billing (`store`, `service_tier`).
 * Everything else is in: every message block, tools, tool choice, output
 * constraints, sampling, reasoning, embedding options, stream or not, the
 * inbound API and the remaining passthrough fields.
 */
import { createHash } from "node:crypto";
import { configure } from "safe-stable-stringify";
import type { CanonicalRequest, Message } from "../request/index.js";

const stringify = configure({ deterministic: true, bigint: false, circularValue: Error });

/** Passthrough fields whose value here is the provider's default: leaving them out asks for the same reply. */
const DEFAULTS: Readonly<Record<string, unknown>> = {
  presence_penalty: 0,
  frequency_penalty: 0,
  logprobs: false,
  echo: false,
};

/** Passthrough fields that do not change the reply (`stream` is in the key as `r.stream`, a wire's `false` is its absence). */
const IGNORED = new Set(["stream", "store", "service_tier", "user", "metadata", "stream_options", "safety_identifier", "prompt_cache_key"]);

/** What identifies one cache entry besides the request. */
export interface KeyContext {
  /** The model the request is sent to (after splits and downgrades). */
  readonly target: string;
  /** The scope partition (engine/cache.ts `scopeValue`). */
  readonly scope: string;
  readonly cache: string;
  /** The policy version (`x-aigw-policy`): an entry never outlives the policy that produced it. */
  readonly policy: string;
}

/** The key, 64 hex digits. */
export function cacheKey(request: CanonicalRequest, ctx: KeyContext): string {
  return createHash("sha256").update(keyMaterial(request, ctx)).digest("hex");
}

/** The normalised text that is hashed (exported for the property tests). */
export function keyMaterial(request: CanonicalRequest, ctx: KeyContext): string {
  const r = request;
  const passthrough: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r.passthrough.fields)) {
    if (IGNORED.has(k) || v === undefined || v === null) continue;
    if (Object.hasOwn(DEFAULTS, k) && DEFAULTS[k] === v) continue;
    passthrough[k] = v;
  }
  const out = r.output;
  const text = stringify({
    v: 1,
    cache: ctx.cache,
    policy: ctx.policy,
    scope: ctx.scope,
    target: ctx.target,
    api: r.api,
    operation: r.operation,
    messages: r.messages.map(message),
    tools: r.tools,
    toolChoice: r.toolChoice,
    parallelToolCalls: r.parallelToolCalls === true ? undefined : r.parallelToolCalls,
    output: {
      maxTokens: out.maxTokens,
      n: out.n === 1 ? undefined : out.n,
      stop: out.stop !== undefined && out.stop.length > 0 ? out.stop : undefined,
      format: out.format !== undefined && out.format["type"] === "text" && Object.keys(out.format).length === 1 ? undefined : out.format,
    },
    temperature: r.sampling.temperature === 1 ? undefined : r.sampling.temperature,
    topP: r.sampling.topP === 1 ? undefined : r.sampling.topP,
    stream: r.stream !== undefined,
    reasoning: r.reasoning,
    embedding: r.embedding,
    passthrough,
  });
  // Only a value safe-stable-stringify cannot write (none reaches here: the request came from JSON) is undefined.
  if (text === undefined) throw new Error("cache: the request has no JSON form");
  return text;
}

/** A message without the wire's string-or-parts shape. */
function message(m: Message): unknown {
  return { role: m.role, content: m.content, name: m.name, extra: m.extra };
}
