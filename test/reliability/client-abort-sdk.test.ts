/**
 * A client that aborts a streaming request mid-stream with an
 * AbortController, through the official SDKs (`openai` on chat and on
 * Responses passed through, `@anthropic-ai/sdk` on Messages relayed to
 * Anthropic), against a real `aigw serve` process (`state memory`) and fake
 * upstreams that drip their events. After the abort: the upstream sees its
 * connection closed, the gateway still answers, the budget's hold is
 * released and what the stream carried is charged (lang/SPEC.md §7.2: a
 * stream without usage is charged the input bound plus its deltas' bytes,
 * never above the reservation), and the access log line says `aborted`.
 */
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { behave, closeAllUpstreams, startUpstream, type FakeUpstream } from "../support/upstreams.js";
import { startServeChild, stopServeChildren, type ServeChild } from "./edge-helpers.js";

const ADMIN = "client-abort-admin";
const dir = mkdtempSync(join(tmpdir(), "aigw-client-abort-"));
let openaiUp: FakeUpstream;
let anthropicUp: FakeUpstream;
let gw: ServeChild;

beforeAll(async () => {
  openaiUp = await startUpstream("openai");
  anthropicUp = await startUpstream("anthropic");
  // Events 400 ms apart: the client has read the first text before the next one comes.
  openaiUp.setDefault(behave.drip(400));
  anthropicUp.setDefault(behave.drip(400));
  writeFileSync(
    join(dir, "main.route"),
    `
gateway { auth none state memory admin_token env("AIGW_ABORT_ADMIN") }
provider oa { api openai base_url "${openaiUp.baseUrl}" responses true }
provider an { api anthropic base_url "${anthropicUp.baseUrl}" }
model gpt = oa/"gpt-5" { input $10/Mtok output $10/Mtok max_output 1k }
model claude = an/"claude-sonnet-4-5" { input $10/Mtok output $10/Mtok max_output 1k }
budget chat-day { per global limit $10 per day }
budget responses-day { per global limit $10 per day }
budget messages-day { per global limit $10 per day }
route chat { when model == "chat" budget chat-day to gpt }
route responses { when model == "resp" budget responses-day to gpt }
route messages { when model == "claude" budget messages-day to claude }
`,
  );
  gw = await startServeChild(join(dir, "main.route"), [], 60_000, { AIGW_ABORT_ADMIN: ADMIN });
}, 90_000);

afterAll(async () => {
  await stopServeChildren();
  await closeAllUpstreams();
  rmSync(dir, { recursive: true, force: true });
});

/** The budget's spend and holds in µ$, from `GET /admin/budgets`. */
async function ledger(name: string): Promise<{ spent: number; reserved: number }> {
  const res = await fetch(`${gw.base}/admin/budgets`, { headers: { authorization: `Bearer ${ADMIN}` } });
  const body = (await res.json()) as { budgets: { budget: string; spent: number; reserved: number }[] };
  const row = body.budgets.find((b) => b.budget === name);
  return { spent: Math.round((row?.spent ?? 0) * 1e6), reserved: Math.round((row?.reserved ?? 0) * 1e6) };
}

/** The access-log lines of `path`, parsed. */
function accessLines(path: string): Record<string, unknown>[] {
  return (gw.stdout() + gw.stderr())
    .split("\n")
    .filter((l) => l.startsWith("{") && l.includes(`"path":"${path}"`))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function until(what: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 25));
  }
}

const openai = () => new OpenAI({ apiKey: "unused", baseURL: `${gw.base}/v1`, maxRetries: 0, timeout: 20_000 });
const anthropic = () => new Anthropic({ apiKey: "unused", baseURL: gw.base, maxRetries: 0, timeout: 20_000 });

interface Case {
  name: string;
  path: string;
  budget: string;
  upstream: () => FakeUpstream;
  /** Starts the stream with `signal` and resolves once the first text arrived; `rest` settles when the iteration stops. */
  start: (signal: AbortSignal) => Promise<{ rest: Promise<unknown> }>;
}

/** Iterates `events` in the background; resolves `first` at the first event for which `isText` holds. */
function reader<T>(events: AsyncIterable<T>, isText: (e: T) => boolean): { first: Promise<void>; rest: Promise<unknown> } {
  let seen!: () => void;
  const first = new Promise<void>((r) => (seen = r));
  const rest = (async () => {
    for await (const e of events) if (isText(e)) seen();
  })();
  rest.catch(() => seen());
  return { first, rest };
}

const cases: Case[] = [
  {
    name: "openai SDK, chat completions",
    path: "/v1/chat/completions",
    budget: "chat-day",
    upstream: () => openaiUp,
    start: async (signal) => {
      const stream = await openai().chat.completions.create({ model: "chat", stream: true, messages: [{ role: "user", content: "tell me a story" }] }, { signal });
      const r = reader(stream, (c) => (c.choices[0]?.delta.content ?? "") !== "");
      await r.first;
      return { rest: r.rest };
    },
  },
  {
    name: "openai SDK, Responses passed through",
    path: "/v1/responses",
    budget: "responses-day",
    upstream: () => openaiUp,
    start: async (signal) => {
      const stream = await openai().responses.create({ model: "resp", stream: true, input: "tell me a story" }, { signal });
      const r = reader(stream, (e) => e.type === "response.output_text.delta");
      await r.first;
      return { rest: r.rest };
    },
  },
  {
    name: "Anthropic SDK, Messages relayed",
    path: "/v1/messages",
    budget: "messages-day",
    upstream: () => anthropicUp,
    start: async (signal) => {
      const stream = anthropic().messages.stream({ model: "claude", max_tokens: 200, messages: [{ role: "user", content: "tell me a story" }] }, { signal });
      const r = reader(stream, (e) => e.type === "content_block_delta");
      await r.first;
      return { rest: r.rest };
    },
  },
];

describe("a client aborts a stream mid-way through an SDK", () => {
  it.each(cases)("$name: the upstream is cut, the gateway stays up, the hold is settled and the log says aborted", async (c) => {
    const up = c.upstream();
    const before = up.requests.length;
    const ac = new AbortController();
    const { rest } = await c.start(ac.signal);
    // In flight: the worst case is held.
    const held = await ledger(c.budget);
    expect(held.reserved).toBeGreaterThan(0);

    ac.abort();
    // The openai SDK ends the iteration quietly on an abort, the Anthropic SDK throws: either way it stops.
    await rest.catch(() => undefined);
    const request = up.requests[before]!;
    await request.aborted; // the gateway closed its upstream connection
    expect(request.clientAborted).toBe(true);

    // The hold is released; what the stream carried (no usage came) is charged, within what was held.
    await until(() => accessLines(c.path).some((l) => l["aborted"] === true));
    const after = await ledger(c.budget);
    expect(after.reserved).toBe(0);
    expect(after.spent).toBeGreaterThan(held.spent);
    expect(after.spent - held.spent).toBeLessThanOrEqual(held.reserved);
    expect(accessLines(c.path).filter((l) => l["aborted"] === true)).toHaveLength(1);

    // The gateway is healthy and serves the next request in full.
    expect((await fetch(`${gw.base}/healthz`)).status).toBe(200);
    up.next(behave.reply({ text: "whole" }));
    if (c.path === "/v1/messages") {
      const m = await anthropic().messages.create({ model: "claude", max_tokens: 50, messages: [{ role: "user", content: "hi" }] });
      expect(m.content[0]).toMatchObject({ type: "text", text: "whole" });
    } else if (c.path === "/v1/responses") {
      expect((await openai().responses.create({ model: "resp", input: "hi" })).output_text).toBe("whole");
    } else {
      expect((await openai().chat.completions.create({ model: "chat", messages: [{ role: "user", content: "hi" }] })).choices[0]!.message.content).toBe("whole");
    }
    expect((await ledger(c.budget)).reserved).toBe(0);
  }, 30_000);
});
