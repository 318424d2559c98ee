/**
 * Relaying an upstream's events as bytes (runtime/providers/sse-frames.ts,
 * wire-pass.ts): whatever the upstream's TCP reads cut — inside a UTF-8
 * sequence, inside a field name, between a CR and its LF — the caller gets
 * the upstream's event bytes exactly, the usage is read from the final
 * events, and a malformed or failing stream ends, after the events before
 * the fault, with a typed error.
 */
import { describe, expect, it } from "vitest";
import { AnthropicRelayRules } from "../../runtime/providers/anthropic.js";
import { AttemptDeadline } from "../../runtime/providers/deadline.js";
import { UpstreamProtocolError, UpstreamStatusError, type ErrorOrigin } from "../../runtime/providers/errors.js";
import { OpenAIChatRules } from "../../runtime/providers/openai.js";
import { ResponsesRelayRules } from "../../runtime/providers/openai-responses.js";
import { SseFrames } from "../../runtime/providers/sse-frames.js";
import { StreamBody } from "../../runtime/providers/stream-body.js";
import { WirePass, type WireRules } from "../../runtime/providers/wire-pass.js";

const ORIGIN: ErrorOrigin = { provider: "up", target: "main", requestId: "req-1" } as unknown as ErrorOrigin;

const chunk = (delta: unknown, finish: string | null = null) =>
  `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":${JSON.stringify(delta)},"finish_reason":${JSON.stringify(finish)}}],"usage":null}\n\n`;
const USAGE_EVENT = 'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":4,"total_tokens":13}}\n\n';

/** A chat stream with multi-byte text (2-, 3- and 4-byte UTF-8), a keep-alive and the usage chunk. */
const OPENAI = [chunk({ role: "assistant", content: "" }), ": keep-alive\n\n", chunk({ content: "déjà vu — 東京 🎉" }), chunk({ content: "\"quoted\" usage" }), chunk({}, "stop"), USAGE_EVENT, "data: [DONE]\n\n"].join("");

function cuts(text: string, at: number[]): Buffer[] {
  const bytes = Buffer.from(text);
  const out: Buffer[] = [];
  let from = 0;
  for (const i of at) {
    out.push(bytes.subarray(from, i));
    from = i;
  }
  out.push(bytes.subarray(from));
  return out.filter((b) => b.length > 0);
}

/** Every way to cut `text` in two, and every byte on its own. */
function splits(text: string): Buffer[][] {
  const n = Buffer.byteLength(text);
  const out: Buffer[][] = [];
  for (let i = 1; i < n; i++) out.push(cuts(text, [i]));
  out.push(cuts(text, Array.from({ length: n - 1 }, (_, i) => i + 1)));
  return out;
}

/** Relays `reads` through `rules`; the bytes written and the error it ended with. */
async function relay(reads: Buffer[], rules: WireRules, head: Buffer[] = []): Promise<{ out: Buffer; error?: unknown; pass: WirePass }> {
  const body = new StreamBody({ pause() {}, resume() {}, abort() {} });
  for (const r of reads) body.push(r);
  body.end();
  const deadline = new AttemptDeadline(undefined, 60_000);
  const pass = new WirePass(rules, { body, deadline, origin: ORIGIN }, head);
  const parts: Uint8Array[] = [];
  try {
    for await (const b of pass.frames()) parts.push(b);
  } catch (error) {
    return { out: Buffer.concat(parts), error, pass };
  }
  return { out: Buffer.concat(parts), pass };
}

describe("SseFrames", () => {
  it("gives every event's exact bytes, name and data wherever the reads cut (CRLF, CR, BOM, multi-byte text)", () => {
    const text = '\ufeffevent: one\r\ndata: {"a":"é"}\r\n\r\n: ping\r\rdata: 東\ndata: 京\n\nid: 7\ndata: 🎉\n\n';
    for (const reads of splits(text)) {
      const f = new SseFrames();
      const frames = reads.flatMap((r) => f.push(r));
      expect(f.end()).toBeUndefined();
      expect(Buffer.concat(frames.map((x) => x.bytes)).toString()).toBe(text);
      expect(frames.map((x) => [x.name, x.data?.toString()])).toEqual([
        ["one", '{"a":"é"}'],
        ["", undefined],
        ["", "東\n京"],
        ["", "🎉"],
      ]);
    }
  });

  it("writes an event with data without the lines the format ignores; a keep-alive on its own as it came", () => {
    const f = new SseFrames();
    const frames = f.push(Buffer.from(': keep-alive\n\nretry: 1000\n: hi\ngarbage\nevent: e\ndata: {"x":1}\nx-unknown: 2\nid: 3\n\n'));
    expect(frames.map((x) => x.bytes.toString())).toEqual([": keep-alive\n\n", 'event: e\ndata: {"x":1}\nid: 3\n\n']);
  });

  it("throws on a stream cut mid-event, and on an event past the limit", () => {
    const f = new SseFrames();
    f.push(Buffer.from('data: {"a":1}\n\ndata: {"b"'));
    expect(() => f.end()).toThrow(/middle of an event/);
    const small = new SseFrames(16);
    expect(() => small.push(Buffer.from(`data: ${"x".repeat(20)}`))).toThrow(/longer than 16/);
  });
});

describe("an OpenAI-compatible stream relayed to a chat caller", () => {
  it("reaches the caller byte for byte wherever the upstream's reads cut it, and its usage is read from the final chunk", async () => {
    for (const reads of splits(OPENAI)) {
      const rules = new OpenAIChatRules(ORIGIN, [], true);
      const { out, error, pass } = await relay(reads, rules);
      expect(error).toBeUndefined();
      expect(out.toString()).toBe(OPENAI);
      expect(rules.usage).toEqual({ promptTokens: 9, completionTokens: 4 });
      expect(pass.dataBytes).toBeGreaterThan(Buffer.byteLength("déjà vu — 東京 🎉"));
    }
  });

  it("relays a read's events as one slice of it, without a copy", async () => {
    const read = Buffer.from(OPENAI);
    const body = new StreamBody({ pause() {}, resume() {}, abort() {} });
    body.push(read);
    body.end();
    const pass = new WirePass(new OpenAIChatRules(ORIGIN, [], true), { body, deadline: new AttemptDeadline(undefined, 60_000), origin: ORIGIN }, []);
    const batches: Uint8Array[] = [];
    for await (const b of pass.frames()) batches.push(b);
    expect(batches).toHaveLength(1);
    expect(batches[0]!.buffer).toBe(read.buffer);
  });

  it("writes the reads that queued while the caller was being written to as one batch", async () => {
    const body = new StreamBody({ pause() {}, resume() {}, abort() {} });
    const pass = new WirePass(new OpenAIChatRules(ORIGIN, [], true), { body, deadline: new AttemptDeadline(undefined, 60_000), origin: ORIGIN }, []);
    const it = pass.frames()[Symbol.asyncIterator]();
    const first = chunk({ role: "assistant", content: "" });
    const n = Buffer.byteLength(first);
    const reads = cuts(OPENAI, [n, n + 100, n + 250, n + 400]);
    body.push(reads[0]!);
    expect(Buffer.from((await it.next()).value as Uint8Array).toString()).toBe(first);
    for (const r of reads.slice(1)) body.push(r);
    body.end();
    const rest: Uint8Array[] = [];
    for (let r = await it.next(); r.done !== true; r = await it.next()) rest.push(r.value);
    expect(rest).toHaveLength(1);
    expect(Buffer.from(rest[0]!).toString()).toBe(OPENAI.slice(first.length));
  });

  it("drops the usage chunk when the caller did not ask for it, still reading it", async () => {
    const rules = new OpenAIChatRules(ORIGIN, [], false);
    const { out } = await relay(cuts(OPENAI, [10, 200]), rules);
    expect(out.toString()).toBe(OPENAI.replace(USAGE_EVENT, ""));
    expect(rules.usage).toEqual({ promptTokens: 9, completionTokens: 4 });
  });

  it("starts from the bytes read before the first chunk", async () => {
    const [head, ...rest] = cuts(OPENAI, [150, 300]);
    const { out } = await relay(rest, new OpenAIChatRules(ORIGIN, [], true), [head!]);
    expect(out.toString()).toBe(OPENAI);
  });

  it("appends [DONE] to a stream that finished without one, and fails one that stopped before finishing", async () => {
    const noDone = OPENAI.replace("data: [DONE]\n\n", "");
    expect((await relay(cuts(noDone, []), new OpenAIChatRules(ORIGIN, [], true))).out.toString()).toBe(`${noDone}data: [DONE]\n\n`);
    const cut = chunk({ role: "assistant", content: "" }) + chunk({ content: "hi" });
    const r = await relay(cuts(cut, []), new OpenAIChatRules(ORIGIN, [], true));
    expect(r.out.toString()).toBe(cut);
    expect(r.error).toBeInstanceOf(UpstreamProtocolError);
    expect(String(r.error)).toMatch(/ended before \[DONE\]/);
  });

  it.each([
    ["an event that is not JSON", "data: <html>not json{{\n\n", UpstreamProtocolError, /a stream event is not JSON/],
    ["an object that does not parse", 'data: {"usage": {oops}\n\n', UpstreamProtocolError, /a stream event is not JSON/],
    ["an error object", 'data: {"error":{"message":"overloaded","type":"server_error","code":503}}\n\n', UpstreamStatusError, /overloaded/],
    ["half an event, and the end", 'data: {"id":"c1","choi', UpstreamProtocolError, /cut mid-event/],
  ])("ends after the events before %s, with a typed error", async (name, bad, type, message) => {
    const good = chunk({ role: "assistant", content: "" }) + chunk({ content: "hello" });
    const text = good + bad + (name.startsWith("half") ? "" : chunk({ content: "never" }) + "data: [DONE]\n\n");
    const r = await relay(cuts(text, [Buffer.byteLength(good) + 3]), new OpenAIChatRules(ORIGIN, [], true));
    expect(r.out.toString()).toBe(good);
    expect(r.error).toBeInstanceOf(type);
    expect(String((r.error as Error).message)).toMatch(message);
  });
});

describe("an Anthropic stream relayed to a Messages caller", () => {
  const ev = (type: string, data: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  const STREAM = [
    ev("message_start", { message: { id: "msg_1", type: "message", role: "assistant", model: "claude", content: [], usage: { input_tokens: 12, output_tokens: 1 } } }),
    ev("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
    ev("ping", {}),
    ev("content_block_delta", { index: 0, delta: { type: "text_delta", text: "Grüße 🎉" } }),
    ev("content_block_stop", { index: 0 }),
    ev("message_delta", { delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: 7 } }),
    ev("message_stop", {}),
  ].join("");

  it("reaches the caller byte for byte, pings included, with the usage of message_start and message_delta", async () => {
    for (const reads of splits(STREAM)) {
      const rules = new AnthropicRelayRules(1, "claude", ORIGIN, []);
      const { out, error } = await relay(reads, rules);
      expect(error).toBeUndefined();
      expect(out.toString()).toBe(STREAM);
      expect(rules.usage).toEqual({ promptTokens: 12, completionTokens: 7 });
    }
  });

  it("ends with the upstream's error event as a status error, and a stream without message_stop as a protocol error", async () => {
    const start = STREAM.slice(0, STREAM.indexOf("event: ping"));
    const failed = await relay(cuts(start + ev("error", { error: { type: "overloaded_error", message: "Overloaded" } }), []), new AnthropicRelayRules(1, "claude", ORIGIN, []));
    expect(failed.out.toString()).toBe(start);
    expect(failed.error).toBeInstanceOf(UpstreamStatusError);
    expect((failed.error as UpstreamStatusError).status).toBe(529);
    const unfinished = await relay(cuts(STREAM.slice(0, STREAM.indexOf("event: message_stop")), []), new AnthropicRelayRules(1, "claude", ORIGIN, []));
    expect(String(unfinished.error)).toMatch(/ended before message_stop/);
  });
});

describe("a Responses stream relayed to a Responses caller", () => {
  const ev = (type: string, data: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  const created = ev("response.created", { response: { id: "resp_1", model: "gpt-4o", created_at: 1, status: "in_progress" } });
  const deltas = [ev("response.output_text.delta", { output_index: 0, delta: "naïve " }), ev("response.reasoning_summary_text.delta", { delta: "🧠" }), ev("response.output_text.delta", { output_index: 0, delta: "東京" })].join("");
  const completed = ev("response.completed", { response: { id: "resp_1", status: "completed", output: [], usage: { input_tokens: 5, output_tokens: 3, total_tokens: 8 } } });

  it("reaches the caller byte for byte, event types aigw does not know included, with the usage of response.completed", async () => {
    const text = created + deltas + completed;
    for (const reads of splits(text)) {
      const rules = new ResponsesRelayRules(1, "gpt-4o", ORIGIN, []);
      const { out, error } = await relay(reads, rules);
      expect(error).toBeUndefined();
      expect(out.toString()).toBe(text);
      expect(rules.usage).toEqual({ promptTokens: 5, completionTokens: 3 });
    }
  });

  it("ends with response.failed as a status error, and without a terminal event as a protocol error", async () => {
    const failed = await relay(cuts(created + deltas + ev("response.failed", { response: { error: { code: "rate_limit_exceeded", message: "slow down" } } }), []), new ResponsesRelayRules(1, "gpt-4o", ORIGIN, []));
    expect(failed.out.toString()).toBe(created + deltas);
    expect(failed.error).toBeInstanceOf(UpstreamStatusError);
    expect((failed.error as UpstreamStatusError).status).toBe(429);
    const unfinished = await relay(cuts(created + deltas, []), new ResponsesRelayRules(1, "gpt-4o", ORIGIN, []));
    expect(String(unfinished.error)).toMatch(/ended before response.completed/);
  });
});
