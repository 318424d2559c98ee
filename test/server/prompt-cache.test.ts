/**
 * Prompt caching end to end: a real gateway in front of a fake Anthropic
 * upstream speaking the Messages wire (replies and `message_start` /
 * `message_delta` events carrying `cache_creation_input_tokens` and
 * `cache_read_input_tokens`), called with `@anthropic-ai/sdk` and `openai`.
 * With `prompt_cache auto` the upstream receives `cache_control` marks on
 * the system prompt and the last tool (a caller's own marks kept, never
 * more than four); cache reads and writes come back in each caller's API
 * shape; the access log's cost, the budget's spend, the usage ledger and
 * `/metrics` price them at the model's `cache_read` / `cache_write`; and a
 * hard budget is never overspent when cache writes cost more than input.
 */
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { budgetKey, memoryStore, type Store } from "../../runtime/state/index.js";
import { memoryUsageStore, UsageLedger } from "../../runtime/usage/index.js";
import { behave, closeAllUpstreams, startUpstream, type FakeUpstream } from "../support/upstreams.js";
import { closeGateways, KEY, KEY_HASH, policy, serve, type Started } from "./helpers.js";

const SECRET = "sk-ant-upstream-secret-prompt-cache-0000";
const DAY = { kind: "calendar", unit: "day" } as const;
/** $/Mtok: one token is this many micro-dollars. */
const PRICE = { input: 3, output: 15, read: 0.3, write: 3.75 };
const USAGE = { prompt: 5000, completion: 100, cacheRead: 3000, cacheWrite: 1500 };
// 500 plain input + 3000 reads + 1500 writes + 100 output, in micro-dollars.
const COST_MICROS = 500 * PRICE.input + 3000 * PRICE.read + 1500 * PRICE.write + 100 * PRICE.output;

let up: FakeUpstream;
let store: Store;
let ledger: UsageLedger;
const usageStore = memoryUsageStore();
let gw: Started;
let anthropic: Anthropic;

beforeAll(async () => {
  up = await startUpstream("anthropic");
  up.setDefault(behave.reply({ text: "cached", usage: USAGE }));
  store = memoryStore({ clock: Date.now });
  ledger = new UsageLedger({ store: usageStore, clock: Date.now, retentionMs: () => 86_400_000, flushMs: 0 });
  gw = await serve(
    policy(`
keys { "${KEY_HASH}" team "t" }
provider claude { api anthropic base_url "${up.baseUrl}" key env("ANTHROPIC_KEY") }
model sonnet = claude/"claude-sonnet-4-5" {
  input $${PRICE.input}/Mtok output $${PRICE.output}/Mtok cache_read $${PRICE.read}/Mtok cache_write $${PRICE.write}/Mtok
  max_output 1k
  prompt_cache auto
}
model plain = claude/"claude-sonnet-4-5" { input $${PRICE.input}/Mtok output $${PRICE.output}/Mtok }
budget b { per team limit $100 per day exceeded reject }
route chat { when model == "chat" budget b to sonnet }
route plain { when model == "plain" to plain }
`),
    { store, usage: ledger, world: { env: { ANTHROPIC_KEY: SECRET } } },
  );
  anthropic = new Anthropic({ apiKey: KEY, baseURL: gw.base, maxRetries: 0, timeout: 10_000 });
});

afterAll(async () => {
  await closeGateways();
  await closeAllUpstreams();
  await ledger.close();
  await store.close();
});

const TOOLS = [
  { name: "search", description: "search the web", input_schema: { type: "object" as const, properties: { q: { type: "string" } } } },
  { name: "fetch", description: "fetch a page", input_schema: { type: "object" as const, properties: { url: { type: "string" } } } },
];
const EPHEMERAL = { type: "ephemeral" };

/** What the upstream received last. */
function lastBody(): { system?: unknown; tools?: { name: string; cache_control?: unknown }[]; messages: { content: unknown }[] } {
  return up.requests.at(-1)!.body as ReturnType<typeof lastBody>;
}

function marks(body: ReturnType<typeof lastBody>): number {
  return JSON.stringify(body).split('"cache_control"').length - 1;
}

describe("prompt_cache auto on an Anthropic upstream", () => {
  it("marks the system prompt and the last tool of an OpenAI caller's request, and reports cache reads in OpenAI's shape", async () => {
    const r = await gw.client.chat.completions.create({
      model: "chat",
      messages: [
        { role: "system", content: "You are a careful assistant with a very long, stable system prompt." },
        { role: "user", content: "hi" },
      ],
      tools: TOOLS.map((t) => ({ type: "function" as const, function: { name: t.name, description: t.description, parameters: t.input_schema } })),
    });
    const body = lastBody();
    expect(body.system).toEqual([{ type: "text", text: "You are a careful assistant with a very long, stable system prompt.", cache_control: EPHEMERAL }]);
    expect(body.tools!.map((t) => t.cache_control)).toEqual([undefined, EPHEMERAL]);
    expect(marks(body)).toBe(2);
    expect(r.usage).toMatchObject({ prompt_tokens: USAGE.prompt, completion_tokens: USAGE.completion, prompt_tokens_details: { cached_tokens: USAGE.cacheRead } });
    expect((r.usage as unknown as Record<string, unknown>)["cache_creation_input_tokens"]).toBe(USAGE.cacheWrite);
    expect(gw.access.at(-1)!.cost).toBeCloseTo(COST_MICROS / 1e6, 12);
  });

  it("keeps an Anthropic caller's own marks and never sends more than four", async () => {
    const text = (t: string, marked: boolean) => ({ type: "text" as const, text: t, ...(marked ? { cache_control: { type: "ephemeral" as const } } : {}) });
    // Three marks of the caller's in the messages: only one more fits, on the system prompt.
    const msg = await anthropic.messages.create({
      model: "chat",
      max_tokens: 100,
      system: "stable system prompt",
      tools: TOOLS,
      messages: [
        { role: "user", content: [text("one", true)] },
        { role: "assistant", content: [text("two", true)] },
        { role: "user", content: [text("three", true)] },
      ],
    });
    let body = lastBody();
    expect(marks(body)).toBe(4);
    expect(body.system).toEqual([{ type: "text", text: "stable system prompt", cache_control: EPHEMERAL }]);
    expect(body.tools!.every((t) => t.cache_control === undefined)).toBe(true);
    expect(msg.usage).toMatchObject({ input_tokens: 500, cache_read_input_tokens: USAGE.cacheRead, cache_creation_input_tokens: USAGE.cacheWrite, output_tokens: USAGE.completion });

    // Four of the caller's: nothing is added. A marked tool and a 1h mark: the system prompt's mark takes the 1h ttl.
    await anthropic.messages.create({
      model: "chat",
      max_tokens: 100,
      system: "stable",
      messages: [
        { role: "user", content: [text("1", true), text("2", true)] },
        { role: "assistant", content: [text("3", true)] },
        { role: "user", content: [text("4", true)] },
      ],
    });
    body = lastBody();
    expect(marks(body)).toBe(4);
    expect(body.system).toBe("stable");
    await anthropic.messages.create({
      model: "chat",
      max_tokens: 100,
      system: [{ type: "text", text: "a" }, { type: "text", text: "b" }],
      tools: [TOOLS[0]!, { ...TOOLS[1]!, cache_control: { type: "ephemeral", ttl: "1h" } }],
      messages: [{ role: "user", content: "hi" }],
    });
    body = lastBody();
    expect(body.system).toEqual([{ type: "text", text: "a" }, { type: "text", text: "b", cache_control: { type: "ephemeral", ttl: "1h" } }]);
    expect(marks(body)).toBe(2);
  });

  it("streams: cache counts from message_start reach both callers, and the cost prices them", async () => {
    const stream = await gw.client.chat.completions.create({
      model: "chat",
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: "system", content: "sys" }, { role: "user", content: "hi" }],
    });
    let usage: Record<string, unknown> | undefined;
    for await (const c of stream) if (c.usage) usage = c.usage as unknown as Record<string, unknown>;
    expect(usage).toMatchObject({ prompt_tokens: USAGE.prompt, prompt_tokens_details: { cached_tokens: USAGE.cacheRead }, cache_creation_input_tokens: USAGE.cacheWrite });
    expect(gw.access.at(-1)!.cost).toBeCloseTo(COST_MICROS / 1e6, 12);

    const events = anthropic.messages.stream({ model: "chat", max_tokens: 100, system: "sys", messages: [{ role: "user", content: "hi" }] });
    const final = await events.finalMessage();
    expect(final.usage).toMatchObject({ cache_read_input_tokens: USAGE.cacheRead, cache_creation_input_tokens: USAGE.cacheWrite, output_tokens: USAGE.completion });
    expect(lastBody().system).toEqual([{ type: "text", text: "sys", cache_control: EPHEMERAL }]);
  });

  it("charges the budget, the ledger and /metrics the priced reads and writes", async () => {
    const before = (await store.read([{ key: budgetKey("b", "t"), window: DAY }]))[0]!.spent;
    // A prompt long enough for the usage to be an honest bill (settlement clamps usage above the request's bound).
    await gw.client.chat.completions.create({ model: "chat", messages: [{ role: "system", content: "x".repeat(USAGE.prompt) }, { role: "user", content: "hi" }] });
    const after = (await store.read([{ key: budgetKey("b", "t"), window: DAY }]))[0]!;
    expect(after.spent - before).toBe(Math.ceil(COST_MICROS));
    expect(after.reserved).toBe(0);

    await ledger.flush();
    const rows = await usageStore.rows(0, Date.now() + 60_000);
    const chat = rows.filter((r) => r.dims.route === "chat");
    const sum = (f: "cacheReadTokens" | "cacheWriteTokens" | "costMicros" | "requests") => chat.reduce((n, r) => n + r.counts[f], 0);
    expect(sum("cacheReadTokens")).toBe(sum("requests") * USAGE.cacheRead);
    expect(sum("cacheWriteTokens")).toBe(sum("requests") * USAGE.cacheWrite);
    expect(sum("costMicros")).toBe(sum("requests") * Math.ceil(COST_MICROS));

    const metrics = await (await fetch(`${gw.base}/metrics`)).text();
    expect(metrics).toMatch(/aigw_prompt_cache_tokens_total\{route="chat",target="sonnet",team="t",kind="write"\} \d+/);
    expect(metrics).not.toContain(SECRET);
    expect(JSON.stringify(gw.logs)).not.toContain(SECRET);
  });

  it("adds no marks to a model without prompt_cache, and prices its cache tokens at the input price", async () => {
    await gw.client.chat.completions.create({ model: "plain", messages: [{ role: "system", content: "sys" }, { role: "user", content: "hi" }] });
    expect(lastBody().system).toEqual([{ type: "text", text: "sys" }]);
    expect(gw.access.at(-1)!.cost).toBeCloseTo((USAGE.prompt * PRICE.input + USAGE.completion * PRICE.output) / 1e6, 12);
  });
});

describe("a hard budget with cache writes dearer than input", () => {
  it("is never overspent: the reservation prices input at the cache-write price", async () => {
    const upstream = await startUpstream("anthropic");
    // Every input token billed as a cache write (the 2,000-byte system prompt of each request below): the dearest honest bill.
    upstream.setDefault(behave.reply({ text: "ok", usage: { prompt: 2000, completion: 50, cacheRead: 0, cacheWrite: 2000 } }));
    const budgetStore = memoryStore({ clock: Date.now });
    // About four requests' worth; priced at the $1 input price, the reservations would admit all 24 (24 × 40,050 µ$).
    const limit = 0.2;
    const g = await serve(
      policy(`
keys { "${KEY_HASH}" team "t" }
provider claude { api anthropic base_url "${upstream.baseUrl}" key env("ANTHROPIC_KEY") }
model m = claude/"claude-sonnet-4-5" { input $1/Mtok output $1/Mtok cache_write $20/Mtok context 200k prompt_cache auto }
budget hard { per team limit $${limit} per day exceeded reject }
route r { when model == "chat" budget hard to m }
`),
      { store: budgetStore, world: { env: { ANTHROPIC_KEY: SECRET } } },
    );
    const statuses = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        g.client.chat.completions
          .create({ model: "chat", max_tokens: 50, messages: [{ role: "system", content: "s".repeat(2000 + i) }, { role: "user", content: "hi" }] })
          .then(
            () => 200,
            (e: { status?: number }) => e.status ?? 0,
          ),
      ),
    );
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    const [c] = await budgetStore.read([{ key: budgetKey("hard", "t"), window: DAY }]);
    expect(c!.reserved).toBe(0);
    expect(c!.spent).toBeLessThanOrEqual(limit * 1e6);
    // Honest bills fit the bound: nothing was clamped.
    expect(g.logs.filter((l) => l.msg.startsWith("upstream fault"))).toEqual([]);
    await budgetStore.close();
  });
});

