/**
 * Property: whatever the requests, total spend never passes a hard budget.
 * fast-check generates batches of requests of every content shape (text,
 * image and refusal parts, names, assistant tool calls with arguments,
 * tools, response formats, n, max_tokens, streams with and without usage)
 * and sends each batch concurrently through the real server (uWS edge,
 * undici) to an upstream that bills like a provider: every byte of input may
 * be a token, images at their worst published price, output up to
 * max_tokens × n (test/support/billing-upstream.ts). For every store —
 * memory, a SQLite file and a real Redis — the budget's spend stays ≤ its
 * limit, no hold is left behind, and an admitted request is charged exactly
 * what the upstream billed (nothing was clamped: honest bills fit the bound).
 * The same holds for batches mixing Anthropic Messages, Responses and
 * embeddings requests (images, tool calls and results, streams included),
 * and for requests whose texts a guardrail redacts (the bound of a redacted
 * request is measured from the caller's body, budget/cost.ts).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { budgetKey, memoryStore, redisStore, sqliteStore, type Store } from "../../runtime/state/index.js";
import { startBillingUpstream, type BillingUpstream } from "../support/billing-upstream.js";
import { startRedis, type RedisServer } from "../support/redis.js";
import { closeGateways, KEY, KEY_HASH, policy, serve } from "../server/helpers.js";

const LIMIT_MICROS = 2_000_000; // $2, at $1/Mtok in and out: 2M tokens
const DAY = { kind: "calendar", unit: "day" } as const;

let up: BillingUpstream;
let redis: RedisServer;
const dir = mkdtempSync(join(tmpdir(), "aigw-bound-prop-"));

beforeAll(async () => {
  up = await startBillingUpstream();
  redis = await startRedis();
}, 30_000);

afterAll(async () => {
  await closeGateways();
  await up?.close();
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const text = fc.string({ maxLength: 3000, unit: "grapheme" });
const part = fc.oneof(
  text.map((t) => ({ type: "text", text: t })),
  fc.constant({ type: "image_url", image_url: { url: "https://example.com/cat.png", detail: "high" } }),
);
// Refusal parts are valid on assistant messages only (elsewhere a 400, runtime/pipeline/validate.ts).
const assistantPart = fc.oneof(
  text.map((t) => ({ type: "text", text: t })),
  text.map((t) => ({ type: "refusal", refusal: t })),
);
const message = fc.oneof(
  fc.record({ role: fc.constantFrom("system", "user", "developer"), content: fc.oneof(text, fc.array(part, { minLength: 1, maxLength: 3 })) }),
  fc.record({ role: fc.constant("assistant"), content: fc.array(assistantPart, { minLength: 1, maxLength: 3 }) }),
  fc.record({ role: fc.constant("user"), content: text, name: fc.string({ minLength: 1, maxLength: 40 }) }),
  fc.record({
    role: fc.constant("assistant"),
    content: fc.constant(null),
    tool_calls: fc.array(
      fc.record({ id: fc.constant("c"), type: fc.constant("function"), function: fc.record({ name: fc.constant("f"), arguments: fc.string({ maxLength: 20_000 }) }) }),
      { minLength: 1, maxLength: 2 },
    ),
  }),
);
const request = fc.record(
  {
    messages: fc.array(message, { minLength: 1, maxLength: 4 }),
    max_tokens: fc.integer({ min: 1, max: 200_000 }),
    n: fc.integer({ min: 1, max: 8 }),
    stream: fc.boolean(),
    tools: fc.constant([{ type: "function", function: { name: "f", description: "a tool", parameters: { type: "object" } } }]),
    response_format: fc.constant({ type: "json_schema", json_schema: { name: "s", schema: { type: "object" } } }),
  },
  { requiredKeys: ["messages", "max_tokens"] },
);
const batch = fc.record({ requests: fc.array(request, { minLength: 4, maxLength: 12 }), streamUsage: fc.boolean(), toolCallBytes: fc.constantFrom(0, 300) });

const image = "https://example.com/cat.png";
/** A Messages request: system, text and image blocks, a tool call and its result. */
const messagesRequest = fc.record({
  path: fc.constant("/v1/messages"),
  body: fc.record(
    {
      system: text,
      max_tokens: fc.integer({ min: 1, max: 200_000 }),
      stream: fc.boolean(),
      messages: fc.tuple(fc.array(fc.oneof(text.map((t) => ({ type: "text", text: t })), fc.constant({ type: "image", source: { type: "url", url: image } })), { minLength: 1, maxLength: 3 }), text, fc.string({ maxLength: 20_000 })).map(([blocks, result, arg]) => [
        { role: "user", content: blocks },
        { role: "assistant", content: [{ type: "tool_use", id: "c", name: "f", input: { a: arg } }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "c", content: result }] },
      ]),
      tools: fc.constant([{ name: "f", description: "a tool", input_schema: { type: "object" } }]),
    },
    { requiredKeys: ["max_tokens", "messages"] },
  ),
});
/** A Responses request: instructions, input as text or items (text, image, a function call and its output), a JSON schema output. */
const responsesRequest = fc.record({
  path: fc.constant("/v1/responses"),
  body: fc.record(
    {
      instructions: text,
      input: fc.oneof(
        text,
        fc.tuple(text, fc.string({ maxLength: 20_000 }), text).map(([t, args, out]) => [
          { role: "user", content: [{ type: "input_text", text: t }, { type: "input_image", image_url: image, detail: "high" }] },
          { type: "function_call", call_id: "c", name: "f", arguments: args },
          { type: "function_call_output", call_id: "c", output: out },
        ]),
      ),
      max_output_tokens: fc.integer({ min: 1, max: 200_000 }),
      stream: fc.boolean(),
      tools: fc.constant([{ type: "function", name: "f", parameters: { type: "object" } }]),
      text: fc.constant({ format: { type: "json_schema", name: "s", schema: { type: "object" } } }),
    },
    { requiredKeys: ["input", "max_output_tokens"] },
  ),
});
const embeddingsRequest = fc.record({ path: fc.constant("/v1/embeddings"), body: fc.record({ input: fc.oneof(text, fc.array(text, { minLength: 1, maxLength: 8 })) }) });
/** Texts with email addresses among escapes and multi-byte characters: the PII guardrail rewrites them. */
const piiText = fc
  .array(fc.oneof(fc.string({ unit: fc.constantFrom("a", " ", '"', "\\", "\n", "é", "😀"), maxLength: 40 }), fc.emailAddress()), { maxLength: 6 })
  .map((xs) => xs.join(" "));
const piiRequest = fc.record(
  {
    messages: fc.array(
      fc.oneof(
        fc.record({ role: fc.constantFrom("system", "user"), content: fc.oneof(piiText, fc.array(piiText.map((t) => ({ type: "text", text: t })), { minLength: 1, maxLength: 3 })) }),
        fc.record({ role: fc.constant("assistant"), content: fc.constant(null), tool_calls: piiText.map((t) => [{ id: "c", type: "function", function: { name: "f", arguments: JSON.stringify({ note: t, n: 1e20 }) } }]) }),
      ),
      { minLength: 1, maxLength: 4 },
    ),
    max_tokens: fc.integer({ min: 1, max: 200_000 }),
    stream: fc.boolean(),
  },
  { requiredKeys: ["messages", "max_tokens"] },
);
const piiBatch = fc.record({ requests: fc.array(piiRequest, { minLength: 4, maxLength: 12 }), streamUsage: fc.boolean(), toolCallBytes: fc.constantFrom(0, 300) });
const apisBatch = fc.record({ requests: fc.array(fc.oneof(messagesRequest, responsesRequest, embeddingsRequest), { minLength: 4, maxLength: 12 }), streamUsage: fc.boolean(), toolCallBytes: fc.constantFrom(0, 300) });

async function send(base: string, body: Record<string, unknown>, path = "/v1/chat/completions"): Promise<number> {
  const res = await fetch(`${base}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  await res.arrayBuffer();
  return res.status;
}

const STORES: [string, () => Store][] = [
  ["memory", () => memoryStore({ clock: Date.now })],
  ["sqlite", () => sqliteStore({ clock: Date.now, path: join(dir, `state-${Math.random()}.db`) })],
  ["redis", () => redisStore({ clock: Date.now, url: redis.url, prefix: `p${Math.random()}:` })],
];

describe.each(STORES)("spend ≤ limit under concurrency (%s store)", (_kind, open) => {
  it("holds for generated requests against an honestly billing upstream", async () => {
    await holds(open, batch, (base, r) => send(base, { model: "chat", ...r }), 12, LIMIT_MICROS);
  }, 240_000);

  it("holds for Messages, Responses and embeddings requests too", async () => {
    // A lower limit: these requests bound their output by one choice, so the budget must still run out.
    await holds(open, apisBatch, (base, r) => send(base, { model: "chat", ...r.body }, r.path), 8, LIMIT_MICROS / 4);
  }, 240_000);

  it("holds for requests whose emails a guardrail redacts", async () => {
    await holds(open, piiBatch, (base, r) => send(base, { model: "chat", ...r }), 6, LIMIT_MICROS / 4, "guardrail pii { on input redact email }", "guard pii");
  }, 240_000);
});

/** Sends each generated batch concurrently to a fresh gateway over a fresh store: the budget's spend stays ≤ its limit, no hold is left. */
async function holds<R>(
  open: () => Store,
  batches: fc.Arbitrary<{ requests: R[]; streamUsage: boolean; toolCallBytes: number }>,
  sendOne: (base: string, r: R) => Promise<number>,
  numRuns: number,
  limit: number,
  declare = "",
  routeExtra = "",
): Promise<void> {
  await fc.assert(
    fc.asyncProperty(batches, async ({ requests, streamUsage, toolCallBytes }) => {
      const store = open();
      try {
        const graph = policy(`
keys { "${KEY_HASH}" team "t" }
provider up { api openai base_url "${up.baseUrl}" }
model m = up/"m" { input $1/Mtok output $1/Mtok context 1000k }
budget b { per team limit $${limit / 1e6} per day exceeded reject }
${declare}
route r { when model == "chat" budget b ${routeExtra} to m }
`);
        const { base, logs } = await serve(graph, { store });
        up.streamUsage = streamUsage;
        up.toolCallBytes = toolCallBytes;
        const billedOutput = up.billed.completion;
        const statuses = await Promise.all(requests.map((r) => sendOne(base, r)));
        expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
        const [c] = await store.read([{ key: budgetKey("b", "t"), window: DAY }]);
        expect(c!.reserved).toBe(0);
        expect(c!.spent).toBeLessThanOrEqual(limit);
        // The output bound is exact (max tokens × n): every output token an honest upstream reported was reserved and charged ($1/Mtok: a micro-dollar each).
        if (streamUsage) expect(c!.spent).toBeGreaterThanOrEqual(up.billed.completion - billedOutput);
        // Honest bills fit the bound: no usage was clamped to the reservation.
        expect(logs.filter((l) => l.msg.startsWith("upstream fault")).map((l) => l.fields)).toEqual([]);

      } finally {
        await closeGateways();
        await store.close();
      }
    }),
    // A failure is reported as found: shrinking would restart a gateway per step.
    { numRuns, endOnFailure: true },
  );
}
