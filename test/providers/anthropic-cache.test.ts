/**
 * Automatic cache breakpoints (runtime/providers/anthropic-cache.ts) and
 * cache-priced settlement (runtime/budget/settle.ts), as properties: for any
 * Messages body, the caller's marks are all kept, the total never passes
 * four, and the system prompt and last tool are marked whenever a mark is
 * left; for any honest usage, however its input splits into plain, cache
 * read and cache write tokens, the charge never passes the reservation.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ModelNode } from "../../compiler/graph.js";
import { settlementOf } from "../../runtime/budget/settle.js";
import { targetBound } from "../../runtime/budget/cost.js";
import { MAX_BREAKPOINTS, withCacheBreakpoints } from "../../runtime/providers/anthropic-cache.js";

const MARK = { type: "ephemeral" };
const block = (marked: boolean, ttl?: "5m" | "1h") => ({ type: "text", text: "t", ...(marked ? { cache_control: ttl === undefined ? MARK : { ...MARK, ttl } } : {}) });
const marks = (v: unknown): number => JSON.stringify(v).split('"cache_control"').length - 1;

const body = fc.record(
  {
    system: fc.oneof(fc.string(), fc.array(fc.boolean().map((m) => block(m)), { maxLength: 3 })),
    tools: fc.array(fc.boolean().map((m) => ({ name: "f", input_schema: { type: "object" }, ...(m ? { cache_control: MARK } : {}) })), { maxLength: 3 }),
    messages: fc.array(fc.record({ role: fc.constant("user"), content: fc.oneof(fc.string(), fc.array(fc.boolean().map((m) => block(m)), { maxLength: 3 })) }), { maxLength: 4 }),
  },
  { requiredKeys: ["messages"] },
);

describe("automatic cache breakpoints", () => {
  it("keep every caller mark, never pass four, and mark the system prompt and last tool while marks are left", () => {
    fc.assert(
      fc.property(body, (b) => {
        const frozen = JSON.stringify(b);
        const out = withCacheBreakpoints(b) as typeof b & { system?: unknown; tools?: { cache_control?: unknown }[] };
        expect(JSON.stringify(b)).toBe(frozen); // the caller's body is never mutated
        const before = marks(b);
        const after = marks(out);
        expect(after).toBeGreaterThanOrEqual(before);
        expect(after).toBeLessThanOrEqual(Math.max(before, MAX_BREAKPOINTS));
        // The caller's messages are untouched.
        expect(JSON.stringify(out.messages)).toBe(JSON.stringify(b.messages));
        const systemText = typeof b.system === "string" ? b.system !== "" : (b.system?.length ?? 0) > 0;
        const systemMarked = marks(out.system ?? "") > 0;
        if (before < MAX_BREAKPOINTS && systemText) expect(systemMarked).toBe(true);
        const tools = out.tools ?? [];
        if (tools.length > 0 && after < MAX_BREAKPOINTS) expect(tools.some((t) => t.cache_control !== undefined)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("gives an added mark the caller's longest ttl", () => {
    const out = withCacheBreakpoints({ system: "s", messages: [{ role: "user", content: [block(true, "1h")] }] });
    expect(out.system).toEqual([{ type: "text", text: "s", cache_control: { type: "ephemeral", ttl: "1h" } }]);
  });
});

describe("cache-priced settlement", () => {
  const SPAN = { file: "m.route", line: 1, column: 1, endLine: 1, endColumn: 1 };
  const prices = fc.record({
    inputPrice: fc.double({ min: 0, max: 30, noNaN: true }),
    outputPrice: fc.double({ min: 0, max: 60, noNaN: true }),
    cacheReadPrice: fc.option(fc.double({ min: 0, max: 30, noNaN: true }), { nil: undefined }),
    cacheWritePrice: fc.option(fc.double({ min: 0, max: 60, noNaN: true }), { nil: undefined }),
  });

  it("never charges more than the reservation for usage within the bound", () => {
    fc.assert(
      fc.property(prices, fc.integer({ min: 1, max: 200_000 }), fc.integer({ min: 1, max: 8192 }), fc.nat(), fc.nat(), fc.nat(), (p, known, maxTokens, a, b, out) => {
        const model: ModelNode = { provider: "p", upstream: "u", span: SPAN, ...Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)) };
        const size = { known, unknowable: 0 };
        const req = { output: { maxTokens } };
        const bound = targetBound(model, size, req);
        const prompt = a % (bound.input + 1);
        const read = b % (prompt + 1);
        const write = (a + b) % (prompt - read + 1);
        const charged = settlementOf(model, size, req, { promptTokens: prompt, completionTokens: out % (bound.output + 1), cacheReadTokens: read, cacheWriteTokens: write });
        expect(charged.fault).toBeUndefined();
        expect(charged.micros).toBeLessThanOrEqual(bound.micros);
      }),
      { numRuns: 2000 },
    );
  });
});
