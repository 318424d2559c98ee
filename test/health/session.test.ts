/**
 * Session affinity: the `session` fact (runtime/engine/session.ts) and
 * `split by session`. Unit: which source wins. Property: under reweighting,
 * a session only ever moves to the arm whose weight grew, and about the
 * share the weights moved does. End to end through `aigw serve`, with the
 * official SDKs: a conversation stays on one target turn after turn (by
 * `x-session-id`, Claude Code's header through the Anthropic SDK,
 * `prompt_cache_key`, or its opening messages alone), and when its target
 * is ejected only that target's conversations move.
 */
import Anthropic from "@anthropic-ai/sdk";
import fc from "fast-check";
import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import type { Io } from "../../cli/io.js";
import { serveCommand } from "../../cli/commands/serve.js";
import { compileSources } from "../../compiler/index.js";
import { decide, prepare } from "../../runtime/engine/index.js";
import { factsFromTestRequest } from "../../runtime/engine/facts.js";
import { sessionOf } from "../../runtime/engine/session.js";
import type { Gateway } from "../../runtime/server/app.js";
import { policyDir } from "../support/cli.js";
import { behave, closeAllUpstreams, startUpstream, type FakeUpstream } from "../support/upstreams.js";
import { KEY, KEY_HASH } from "../server/helpers.js";

describe("the session fact", () => {
  const opening = () => ({ system: "You are a coding agent.", user: "fix the bug" });
  it("takes x-session-id, then Claude Code's header, then prompt_cache_key, then the end-user id, then the opening", () => {
    const all = { headers: { "x-session-id": "s1", "x-claude-code-session-id": "cc1" }, promptCacheKey: "k1", user: "u1", opening };
    expect(sessionOf(all)).toBe("s1");
    expect(sessionOf({ ...all, headers: { "x-claude-code-session-id": "cc1" } })).toBe("cc1");
    expect(sessionOf({ ...all, headers: {} })).toBe("k1");
    expect(sessionOf({ headers: {}, user: "u1", opening })).toBe("u1");
    const hashed = sessionOf({ headers: {}, opening });
    expect(hashed).toMatch(/^[0-9a-f]{16}$/);
    // The opening is what identifies the conversation: a later turn with the same opening is the same session.
    expect(sessionOf({ headers: {}, opening: () => ({ ...opening() }) })).toBe(hashed);
    expect(sessionOf({ headers: {}, opening: () => ({ system: "You are a coding agent.", user: "write a test" }) })).not.toBe(hashed);
    expect(sessionOf({ headers: {}, opening: () => ({ system: "", user: "" }) })).toBeUndefined();
  });

  it("hashes at most 4 KiB of each opening text (a huge system prompt costs no more)", () => {
    const long = "x".repeat(4096);
    expect(sessionOf({ headers: {}, opening: () => ({ system: long + "a".repeat(1_000_000), user: "hi" }) })).toBe(sessionOf({ headers: {}, opening: () => ({ system: long, user: "hi" }) }));
  });
});

describe("split by session under reweighting", () => {
  const graphOf = (a: number, b: number, c: number) =>
    compileSources([
      {
        path: "s.route",
        text: `gateway { auth none }\nprovider p { api mock }\nmodel a = p/"a"\nmodel b = p/"b"\nmodel c = p/"c"\nroute code { when model == "code"  split by session { ${a}% a  ${b}% b  ${c}% c } }\n`,
      },
    ]).graph!;

  it("moves sessions only toward the arm whose weight grew, about as many as the weights moved", () => {
    // b and c keep equal weights, so raising a is the only change that matters (rendezvous scores scale with the weights).
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 1, max: 15 }), (half, grow) => {
        const a0 = 2 * half;
        const a1 = a0 + 2 * grow;
        const before = prepare(graphOf(a0, (100 - a0) / 2, (100 - a0) / 2));
        const after = prepare(graphOf(a1, (100 - a1) / 2, (100 - a1) / 2));
        const state = { budgetSpent: () => 0, limitUsed: () => 0, draw: () => 0 };
        let moved = 0;
        const N = 400;
        for (let i = 0; i < N; i++) {
          const facts = factsFromTestRequest({ model: "code", headers: {}, metadata: {}, session: `conv-${i}` }, before.graph);
          const x = decide(before, facts, state);
          const y = decide(after, facts, state);
          if (x.kind !== "route" || y.kind !== "route") throw new Error("expected routes");
          if (x.split!.model !== y.split!.model) {
            moved++;
            expect(y.split!.model).toBe("a");
          }
        }
        expect(moved / N).toBeLessThanOrEqual((a1 - a0) / 100 + 0.08);
      }),
      { numRuns: 25 },
    );
  });
});

// ---------------------------------------------------------------- end to end

let stop: (() => void) | undefined;
afterEach(async () => {
  stop?.();
  stop = undefined;
  await closeAllUpstreams();
});

async function serve(a: FakeUpstream, b: FakeUpstream): Promise<string> {
  const dir = policyDir({
    "main.route": `
gateway { state memory }
keys { "${KEY_HASH}" team "dev" }
provider pa { api openai base_url "${a.baseUrl}" }
provider pb { api openai base_url "${b.baseUrl}" }
model agent-a = pa/"model-a"
model agent-b = pb/"model-b"
health upstream { consecutive 2  eject 10s }
route coding-agent {
  when model == "agent"
  split by session { 50% agent-a  50% agent-b }
  health upstream
}
`,
  });
  const io: Io = { out: () => {}, err: () => {}, isTty: false, env: {}, cwd: process.cwd() };
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const gateway = await new Promise<Gateway>((resolve) => {
    void serveCommand([dir, "--port", "0", "--host", "127.0.0.1"], io, { stop: stopped, onListening: resolve });
  });
  return `http://127.0.0.1:${gateway.port}`;
}

describe("split by session through aigw serve", () => {
  it("keeps each conversation on one target, and moves only the ejected target's conversations", { timeout: 60_000 }, async () => {
    const a = await startUpstream("openai");
    const b = await startUpstream("openai");
    const base = await serve(a, b);
    const openai = new OpenAI({ apiKey: KEY, baseURL: `${base}/v1`, maxRetries: 0 });
    const target = async (session: string, turn: number): Promise<string> => {
      const { response } = await openai.chat.completions
        .create({ model: "agent", messages: [{ role: "user", content: `turn ${turn}` }] }, { headers: { "x-session-id": session } })
        .withResponse();
      return response.headers.get("x-aigw-target")!;
    };

    const sessions = Array.from({ length: 16 }, (_, i) => `conversation-${i}`);
    const home = new Map<string, string>();
    for (const s of sessions) home.set(s, await target(s, 0));
    for (let turn = 1; turn < 4; turn++) for (const s of sessions) expect(await target(s, turn)).toBe(home.get(s));
    // Both targets serve some conversations.
    expect(new Set(home.values())).toEqual(new Set(["agent-a", "agent-b"]));

    // agent-a starts failing: after two failures it is ejected; its conversations move to agent-b, agent-b's stay.
    a.setDefault(behave.fail(503));
    const onA = sessions.filter((s) => home.get(s) === "agent-a");
    for (let i = 0; i < 2; i++) await openai.chat.completions.create({ model: "agent", messages: [{ role: "user", content: "x" }] }, { headers: { "x-session-id": onA[0]! } }).catch(() => undefined);
    for (const s of sessions) expect(await target(s, 9)).toBe("agent-b");
    const before = a.requests.length;
    await target(onA[1]!, 10);
    expect(a.requests.length).toBe(before);

    // The other sources of a session: prompt_cache_key, Claude Code's header (Anthropic SDK), the opening messages.
    a.setDefault(behave.reply());
    const byKey = async (): Promise<string> => {
      const { response } = await openai.chat.completions.create({ model: "agent", messages: [{ role: "user", content: "hi" }], prompt_cache_key: "repo-42" }).withResponse();
      return response.headers.get("x-aigw-target")!;
    };
    const k = await byKey();
    for (let i = 0; i < 3; i++) expect(await byKey()).toBe(k);
    const anthropic = new Anthropic({ apiKey: KEY, baseURL: base, maxRetries: 0 });
    const claude = async (turns: number): Promise<string> => {
      const messages: Anthropic.MessageParam[] = [{ role: "user", content: "open the repo" }];
      for (let i = 1; i < turns; i++) messages.push({ role: "assistant", content: "ok" }, { role: "user", content: `step ${i}` });
      const { response } = await anthropic.messages
        .create({ model: "agent", max_tokens: 64, system: "You are Claude Code.", messages }, { headers: { "x-claude-code-session-id": "cc-session-7" } })
        .withResponse();
      return response.headers.get("x-aigw-target")!;
    };
    const cc = await claude(1);
    for (let t = 2; t < 5; t++) expect(await claude(t)).toBe(cc);
    const opening = async (turns: number): Promise<string> => {
      const messages: OpenAI.ChatCompletionMessageParam[] = [
        { role: "system", content: "You are a coding agent." },
        { role: "user", content: "refactor module 3" },
      ];
      for (let i = 1; i < turns; i++) messages.push({ role: "assistant", content: "done" }, { role: "user", content: `next ${i}` });
      const { response } = await openai.chat.completions.create({ model: "agent", messages }).withResponse();
      return response.headers.get("x-aigw-target")!;
    };
    const o = await opening(1);
    for (let t = 2; t < 5; t++) expect(await opening(t)).toBe(o);
  });
});
