/**
 * Properties of the cache key (runtime/cache/key.ts), on chat bodies as a
 * caller sends them, through the real codec (decodeChat):
 * - the caller's JSON field order does not change the key;
 * - spelling out a default (`temperature 1`, `n 1`, `stream false`,
 *   `presence_penalty 0` …) or a field that cannot change the reply
 *   (`user`, `metadata`, `store`) does not change it;
 * - every field that changes the reply changes it, as do the target, the
 *   scope partition, the cache and the policy version.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cacheKey, type KeyContext } from "../../runtime/cache/index.js";
import { decodeChat } from "../../runtime/request/index.js";

type Body = Record<string, unknown>;

const text = fc.string({ minLength: 1, maxLength: 20 });
const message = fc.record({ role: fc.constantFrom("system", "user", "assistant"), content: text });
const body = fc.record(
  {
    model: fc.constantFrom("chat", "gpt"),
    messages: fc.array(message, { minLength: 1, maxLength: 4 }),
    temperature: fc.constantFrom(0, 0.2, 0.7),
    top_p: fc.constantFrom(0.1, 0.5),
    max_tokens: fc.integer({ min: 1, max: 4096 }),
    stop: fc.array(text, { minLength: 1, maxLength: 2 }),
    seed: fc.integer({ min: 0, max: 1000 }),
    tools: fc.constant([{ type: "function", function: { name: "lookup", parameters: { type: "object", properties: { q: { type: "string" } } } } }]),
    response_format: fc.constant({ type: "json_object" }),
  },
  { requiredKeys: ["model", "messages"] },
);

const CTX: KeyContext = { target: "gpt-4o", scope: "key:sha256:ab", cache: "answers", policy: "p-000000000001" };
const key = (b: Body, ctx: KeyContext = CTX) => cacheKey(decodeChat(structuredClone(b) as never), ctx);

/** The same value with every object's keys in another order (`order` picks a permutation per object). */
function reorder(v: unknown, order: number[]): unknown {
  if (Array.isArray(v)) return v.map((x) => reorder(x, order));
  if (v === null || typeof v !== "object") return v;
  const entries = Object.entries(v);
  const shift = entries.length === 0 ? 0 : (order[entries.length % order.length] ?? 0) % entries.length;
  const rotated = [...entries.slice(shift), ...entries.slice(0, shift)].reverse();
  return Object.fromEntries(rotated.map(([k, x]) => [k, reorder(x, order)]));
}

const DEFAULTS: Body = { temperature: 1, top_p: 1, n: 1, stream: false, presence_penalty: 0, frequency_penalty: 0, logprobs: false, parallel_tool_calls: true };
const IRRELEVANT: Body = { user: "end-user-7", metadata: { app: "x" }, store: true, service_tier: "auto" };

describe("the cache key", () => {
  it("does not depend on the JSON field order", () => {
    fc.assert(
      fc.property(body, fc.array(fc.nat(7), { minLength: 1, maxLength: 8 }), (b, order) => {
        expect(key(reorder(b, order) as Body)).toBe(key(b));
      }),
      { numRuns: 200 },
    );
  });

  it("does not depend on defaults spelt out or fields that cannot change the reply", () => {
    fc.assert(
      fc.property(body, fc.subarray(Object.keys(DEFAULTS)), fc.subarray(Object.keys(IRRELEVANT)), (b, defaults, irrelevant) => {
        const extra: Body = {};
        for (const k of defaults) if (!(k in b)) extra[k] = DEFAULTS[k];
        for (const k of irrelevant) extra[k] = IRRELEVANT[k];
        expect(key({ ...b, ...extra })).toBe(key(b));
      }),
      { numRuns: 200 },
    );
  });

  /** One change per field that changes the reply. */
  const CHANGES: Record<string, (b: Body) => Body> = {
    "a message's text": (b) => ({ ...b, messages: (b["messages"] as { role: string; content: string }[]).map((m, i) => (i === 0 ? { ...m, content: m.content + "!" } : m)) }),
    "a message's role": (b) => ({ ...b, messages: (b["messages"] as { role: string; content: string }[]).map((m, i) => (i === 0 ? { ...m, role: m.role === "user" ? "system" : "user" } : m)) }),
    "one more message": (b) => ({ ...b, messages: [...(b["messages"] as unknown[]), { role: "user", content: "and?" }] }),
    temperature: (b) => ({ ...b, temperature: b["temperature"] === 0 ? 0.5 : 0 }),
    top_p: (b) => ({ ...b, top_p: b["top_p"] === 0.9 ? 0.3 : 0.9 }),
    max_tokens: (b) => ({ ...b, max_tokens: ((b["max_tokens"] as number | undefined) ?? 100) + 1 }),
    stop: (b) => ({ ...b, stop: ["STOP-" + String((b["stop"] as string[] | undefined)?.length ?? 0)] }),
    seed: (b) => ({ ...b, seed: ((b["seed"] as number | undefined) ?? 0) + 1 }),
    n: (b) => ({ ...b, n: 2 }),
    tools: (b) => ({ ...b, tools: [{ type: "function", function: { name: "other" } }] }),
    tool_choice: (b) => ({ ...b, tools: [{ type: "function", function: { name: "t" } }], tool_choice: "required" }),
    response_format: (b) => ({ ...b, response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "object" } } } }),
    stream: (b) => ({ ...b, stream: true }),
    reasoning_effort: (b) => ({ ...b, reasoning_effort: "high" }),
    presence_penalty: (b) => ({ ...b, presence_penalty: 0.5 }),
  };

  it.each(Object.keys(CHANGES))("changes with %s", (field) => {
    fc.assert(
      fc.property(body, (b) => {
        expect(key(CHANGES[field]!(b))).not.toBe(key(b));
      }),
      { numRuns: 100 },
    );
  });

  it.each(["target", "scope", "cache", "policy"] as const)("changes with the %s", (part) => {
    fc.assert(
      fc.property(body, (b) => {
        expect(key(b, { ...CTX, [part]: CTX[part] + "-other" })).not.toBe(key(b));
      }),
      { numRuns: 50 },
    );
  });

  it("does not depend on the model name the caller asked for (the target chosen is in the key)", () => {
    expect(key({ model: "chat", messages: [{ role: "user", content: "x" }] })).toBe(key({ model: "alias", messages: [{ role: "user", content: "x" }] }));
  });
});
