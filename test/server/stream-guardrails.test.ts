/**
 * Output guardrails on streams, end to end (lang/SPEC.md §7.5): the official
 * `openai` (chat completions, Responses) and `@anthropic-ai/sdk` (Messages)
 * clients against the real server, to OpenAI-style and Anthropic-style fake
 * upstreams on 127.0.0.1 that stream the reply in 3-character deltas. A
 * value split across deltas, tool-call argument deltas or choices never
 * reaches the client; a block ends the stream the caller's API's way
 * (`content_filter`, `refusal`, `response.incomplete`) with nothing after.
 */
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { behave, closeAllUpstreams, startUpstream, type FakeUpstream } from "../support/upstreams.js";
import { closeGateways, policy, serve } from "./helpers.js";

afterEach(async () => {
  await closeGateways();
  await closeAllUpstreams();
});

const SSE = { "content-type": "text/event-stream" };
const thirds = (s: string): string[] => s.match(/[\s\S]{1,3}/g) ?? [];

/** An OpenAI chat stream: per choice, its text (and tool-call arguments) in 3-character deltas, interleaved across choices. */
function openaiStream(texts: string[], tool?: { name: string; args: string }): string[] {
  const base = { id: "chatcmpl-s", object: "chat.completion.chunk", created: 1_700_000_000, model: "gpt-4o" };
  const chunk = (index: number, delta: unknown, finish: string | null = null) => `data: ${JSON.stringify({ ...base, choices: [{ index, delta, finish_reason: finish }] })}\n\n`;
  const out = texts.map((_, i) => chunk(i, { role: "assistant", content: "" }));
  const parts = texts.map(thirds);
  for (let k = 0; k < Math.max(...parts.map((p) => p.length)); k++) parts.forEach((p, i) => p[k] !== undefined && out.push(chunk(i, { content: p[k] })));
  if (tool) {
    out.push(chunk(0, { tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: tool.name, arguments: "" } }] }));
    for (const p of thirds(tool.args)) out.push(chunk(0, { tool_calls: [{ index: 0, function: { arguments: p } }] }));
  }
  texts.forEach((_, i) => out.push(chunk(i, {}, tool ? "tool_calls" : "stop")));
  out.push(`data: ${JSON.stringify({ ...base, choices: [], usage: { prompt_tokens: 9, completion_tokens: 20, total_tokens: 29 } })}\n\n`, "data: [DONE]\n\n");
  return out;
}

/** An Anthropic Messages stream of `text` in 3-character text deltas. */
function anthropicStream(text: string): string[] {
  const ev = (type: string, data: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  return [
    ev("message_start", { message: { id: "msg_s", type: "message", role: "assistant", model: "claude-sonnet-4-5", content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 9, output_tokens: 1 } } }),
    ev("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
    ...thirds(text).map((t) => ev("content_block_delta", { index: 0, delta: { type: "text_delta", text: t } })),
    ev("content_block_stop", { index: 0 }),
    ev("message_delta", { delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: 20 } }),
    ev("message_stop", {}),
  ];
}

async function gateway(up: FakeUpstream) {
  const graph = policy(`
gateway { auth none }
provider up { api ${up.kind} base_url "${up.baseUrl}" }
model main = up/"${up.kind === "openai" ? "gpt-4o" : "claude-sonnet-4-5"}"
guardrail pii { on output redact email, credit_card }
guardrail codes { on output block matches /launch codes?/i }
route chat { when model == "chat"  guard pii, codes  to main }
`);
  const started = await serve(graph);
  const openai = new OpenAI({ apiKey: "none", baseURL: `${started.base}/v1`, maxRetries: 0, timeout: 10_000 });
  const anthropic = new Anthropic({ apiKey: "none", baseURL: started.base, maxRetries: 0, timeout: 10_000 });
  return { ...started, openai, anthropic };
}

const SECRET = "Write to ana.lopez@example.com or pay with 4111 1111 1111 1111, thanks.";
const REDACTED = "Write to [EMAIL] or pay with [CREDIT_CARD], thanks.";

describe("output guardrails on streams, OpenAI chat in, OpenAI out", () => {
  it("redact values split across deltas and across n > 1 choices", async () => {
    const up = await startUpstream("openai");
    up.next(behave.raw(200, SSE, openaiStream([SECRET, `Second: ${SECRET}`])));
    const { openai } = await gateway(up);
    const stream = await openai.chat.completions.create({ model: "chat", n: 2, stream: true, stream_options: { include_usage: true }, messages: [{ role: "user", content: "hi" }] });
    const texts = ["", ""];
    const finishes: (string | null)[] = [];
    let usage: unknown;
    for await (const chunk of stream) {
      for (const c of chunk.choices) {
        texts[c.index] += c.delta.content ?? "";
        if (c.finish_reason) finishes[c.index] = c.finish_reason;
      }
      if (chunk.usage) usage = chunk.usage;
    }
    expect(texts).toEqual([REDACTED, `Second: ${REDACTED}`]);
    expect(finishes).toEqual(["stop", "stop"]);
    expect(usage).toMatchObject({ completion_tokens: 20 });
  });

  it("redact an email in tool-call argument deltas", async () => {
    const up = await startUpstream("openai");
    up.next(behave.raw(200, SSE, openaiStream([""], { name: "send", args: JSON.stringify({ to: "ana.lopez@example.com", body: "card 4111111111111111" }) })));
    const { openai } = await gateway(up);
    const stream = await openai.chat.completions.create({ model: "chat", stream: true, messages: [{ role: "user", content: "hi" }] });
    let args = "";
    for await (const chunk of stream) for (const t of chunk.choices[0]?.delta.tool_calls ?? []) args += t.function?.arguments ?? "";
    expect(JSON.parse(args)).toEqual({ to: "[EMAIL]", body: "card [CREDIT_CARD]" });
  });

  it("end a blocked stream with content_filter and nothing after the blocked text", async () => {
    const up = await startUpstream("openai");
    up.next(behave.raw(200, SSE, openaiStream(["Sure. The launch codes are 0000, and more text follows here."])));
    const { openai, access } = await gateway(up);
    const stream = await openai.chat.completions.create({ model: "chat", stream: true, messages: [{ role: "user", content: "hi" }] });
    let text = "";
    const finishes: string[] = [];
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      for (const c of chunk.choices) if (c.finish_reason) finishes.push(c.finish_reason);
    }
    expect(text).toBe("Sure. The ");
    expect(finishes).toEqual(["content_filter"]);
    await expect.poll(() => JSON.stringify(access.at(-1))).toContain("codes");
  });
});

describe("output guardrails on streams, Anthropic Messages in, Anthropic out", () => {
  it("redact a value split across text deltas (the upstream's own events are not relayed)", async () => {
    const up = await startUpstream("anthropic");
    up.next(behave.raw(200, SSE, anthropicStream(SECRET)));
    const { anthropic } = await gateway(up);
    const stream = anthropic.messages.stream({ model: "chat", max_tokens: 100, messages: [{ role: "user", content: "hi" }] });
    let text = "";
    stream.on("text", (t) => (text += t));
    const final = await stream.finalMessage();
    expect(text).toBe(REDACTED);
    expect(final.stop_reason).toBe("end_turn");
    expect(final.usage.output_tokens).toBe(20);
  });

  it("end a blocked stream with a message_delta whose stop reason is refusal", async () => {
    const up = await startUpstream("anthropic");
    up.next(behave.raw(200, SSE, anthropicStream("Fine: LAUNCH CODE 1234 and the rest")));
    const { anthropic } = await gateway(up);
    const stream = anthropic.messages.stream({ model: "chat", max_tokens: 100, messages: [{ role: "user", content: "hi" }] });
    let text = "";
    stream.on("text", (t) => (text += t));
    const final = await stream.finalMessage();
    expect(text).toBe("Fine: ");
    expect(final.stop_reason).toBe("refusal");
  });
});

describe("output guardrails on streams, Responses in, OpenAI out", () => {
  it("redact the streamed text, and end a blocked one with response.incomplete (content_filter)", async () => {
    const up = await startUpstream("openai");
    up.next(behave.raw(200, SSE, openaiStream([SECRET])), behave.raw(200, SSE, openaiStream(["ok then. launch codes: 42"])));
    const { openai } = await gateway(up);
    let text = "";
    for await (const e of await openai.responses.create({ model: "chat", input: "hi", stream: true })) if (e.type === "response.output_text.delta") text += e.delta;
    expect(text).toBe(REDACTED);

    const events: string[] = [];
    text = "";
    let reason: unknown;
    for await (const e of await openai.responses.create({ model: "chat", input: "hi", stream: true })) {
      events.push(e.type);
      if (e.type === "response.output_text.delta") text += e.delta;
      if (e.type === "response.incomplete") reason = e.response.incomplete_details?.reason;
    }
    expect(text).toBe("ok then. ");
    expect(events.at(-1)).toBe("response.incomplete");
    expect(reason).toBe("content_filter");
  });
});
