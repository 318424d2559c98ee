/**
 * The byte relay of an OpenAI-compatible stream (runtime/providers/
 * openai-relay.ts), end to end: a real `aigw serve` (`state memory`, a
 * budget, so the budget's tap rides on the relay) in front of an upstream
 * on 127.0.0.1 that writes exactly the bytes each test scripts, read by the
 * official `openai` SDK and by a raw `fetch`. The upstream writes its JSON
 * with spaces after commas, which the parsing path would drop: getting them
 * back proves the events went out as they came.
 */
import OpenAI from "openai";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServeChild, stopServeChildren, type ServeChild } from "../reliability/edge-helpers.js";

const KEY = "sk-bytes-upstream-secret-0001";
const dir = mkdtempSync(join(tmpdir(), "aigw-stream-bytes-"));
let upstream: Server;
let gw: ServeChild;
/** What each scripted reply did, by scenario. */
const seen = { closed: new Map<string, Promise<void>>(), written: new Map<string, number>() };

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** An OpenAI chunk as this upstream writes it: compact but for a space after each top-level comma. */
function chunk(delta: Record<string, unknown>, finish: string | null = null, usage: unknown = null, choices = true): string {
  const c = choices ? [{ index: 0, delta, finish_reason: finish }] : [];
  return `{"id":"chatcmpl-b1", "object":"chat.completion.chunk", "created":1, "model":"up-model", "choices":${JSON.stringify(c)}, "usage":${JSON.stringify(usage)}}`;
}

const USAGE = { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 };
const HELLO = `data: ${chunk({ role: "assistant", content: "Hello" })}\n\n`;
// A CRLF event whose bytes are cut inside the emoji, between its CR and LF, and inside `data:`.
const WORLD = Buffer.from(`data: ${chunk({ content: " w\u00f6rld \u{1F642}" })}\r\n\r\n`);
const KEEPALIVE = ": keep-alive\n\n";
const STOP = `data: ${chunk({}, "stop")}\n\n`;
const USAGE_EVENT = `data: ${chunk({}, null, USAGE, false)}\n\n`;

async function writeAll(res: ServerResponse, parts: readonly (string | Buffer)[], gapMs: number): Promise<void> {
  for (const p of parts) {
    res.write(p);
    await pause(gapMs);
  }
}

/** The scripted replies, named by the request's first message. */
const SCRIPTS: Record<string, (res: ServerResponse, name: string) => Promise<void>> = {
  async split(res) {
    const emoji = WORLD.indexOf(0xf0);
    const cr = WORLD.indexOf(13);
    await writeAll(res, [HELLO.slice(0, 3), HELLO.slice(3), KEEPALIVE, WORLD.subarray(0, emoji + 2), WORLD.subarray(emoji + 2, cr + 1), WORLD.subarray(cr + 1), STOP, USAGE_EVENT, "data: [DONE]\n\n"], 15);
    res.end();
  },
  async cut(res) {
    await writeAll(res, [HELLO, `data: {"id":"chatcmpl-b1", "choi`], 15);
    res.end();
  },
  async huge(res) {
    await writeAll(res, [HELLO, `data: ${chunk({ content: "x".repeat(3_000_000) })}\n\n`, STOP, USAGE_EVENT, "data: [DONE]\n\n"], 5);
    res.end();
  },
  async drip(res) {
    res.write(HELLO);
    while (!res.destroyed && !res.writableEnded) {
      await pause(50);
      res.write(`data: ${chunk({ content: "." })}\n\n`);
    }
  },
  async flood(res, name) {
    // 16 MiB of events as fast as the socket takes them, then the end.
    const event = Buffer.from(`data: ${chunk({ content: "z".repeat(4000) })}\n\n`);
    let written = 0;
    for (let i = 0; i < 4096; i++) {
      written += event.length;
      seen.written.set(name, written);
      if (!res.write(event)) await new Promise((r) => res.once("drain", r));
      if (res.destroyed) return;
    }
    await writeAll(res, [STOP, USAGE_EVENT, "data: [DONE]\n\n"], 0);
    res.end();
  },
};

beforeAll(async () => {
  upstream = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const name = (JSON.parse(body) as { messages: { content: string }[] }).messages[0]!.content;
      seen.closed.set(name, new Promise((r) => res.once("close", () => r())));
      res.writeHead(200, { "content-type": "text/event-stream" });
      void SCRIPTS[name.split(" ")[0]!]!(res, name);
    });
  });
  await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
  const port = (upstream.address() as AddressInfo).port;
  writeFileSync(
    join(dir, "main.route"),
    `
gateway { auth none state memory }
provider up { api openai base_url "http://127.0.0.1:${port}/v1" key env("BYTES_KEY") }
model chat = up/"up-model" { input $1/Mtok output $1/Mtok context 1M max_output 2M }
budget day { per global limit $100 per day }
route chat { when model == "chat" budget day to chat }
`,
  );
  gw = await startServeChild(join(dir, "main.route"), [], 60_000, { BYTES_KEY: KEY });
}, 90_000);

afterAll(async () => {
  await stopServeChildren();
  await new Promise((r) => upstream.close(r));
  rmSync(dir, { recursive: true, force: true });
});

const client = (): OpenAI => new OpenAI({ baseURL: `${gw.base}/v1`, apiKey: "unused", maxRetries: 0 });

function post(name: string, includeUsage: boolean, signal?: AbortSignal): Promise<Response> {
  const body = { model: "chat", stream: true, messages: [{ role: "user", content: name }], ...(includeUsage ? { stream_options: { include_usage: true } } : {}) };
  return fetch(`${gw.base}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), ...(signal ? { signal } : {}) });
}

/** The access-log lines of chat requests, parsed. */
function accessLines(): Record<string, unknown>[] {
  return (gw.stdout() + gw.stderr())
    .split("\n")
    .filter((l) => l.startsWith("{") && l.includes('"path":"/v1/chat/completions"'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The gateway's resident memory, MB. */
function rss(): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${gw.child.pid}/status`, "utf8"))![1]) / 1024;
}

async function until<T>(what: () => T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = what();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error("timed out waiting");
    await pause(20);
  }
}

describe("a stream relayed as bytes", () => {
  it("hands the SDK the text of events cut inside a character, a CRLF and a field name", async () => {
    const stream = await client().chat.completions.create({ model: "chat", stream: true, messages: [{ role: "user", content: "split sdk" }], stream_options: { include_usage: true } });
    let text = "";
    let usage: unknown;
    for await (const c of stream) {
      text += c.choices[0]?.delta.content ?? "";
      if (c.usage) usage = c.usage;
    }
    expect(text).toBe("Hello w\u00f6rld \u{1F642}");
    expect(usage).toEqual(USAGE);
  });

  it("writes the upstream's events byte for byte, without its keep-alives, the usage event only when asked", async () => {
    const tail = `${STOP}`;
    const world = WORLD.toString("utf8");
    const withUsage = await (await post("split raw-usage", true)).text();
    expect(withUsage).toBe(HELLO + world + tail + USAGE_EVENT + "data: [DONE]\n\n");
    const without = await (await post("split raw", false)).text();
    expect(without).toBe(HELLO + world + tail + "data: [DONE]\n\n");
    // Either way the usage event was read: the access log and the budget have the upstream's tokens.
    const lines = await until(() => {
      const l = accessLines().filter((x) => x["status"] === 200);
      return l.length >= 3 ? l : undefined;
    });
    for (const l of lines.slice(-2)) expect(l).toMatchObject({ promptTokens: 11, completionTokens: 7 });
  });

  it("ends with an error event when the upstream stops mid-event, and keeps serving", async () => {
    const stream = await client().chat.completions.create({ model: "chat", stream: true, messages: [{ role: "user", content: "cut" }] });
    let text = "";
    const read = (async () => {
      for await (const c of stream) text += c.choices[0]?.delta.content ?? "";
    })();
    await expect(read).rejects.toThrow(/cut mid-event/);
    expect(text).toBe("Hello");
    const raw = await (await post("cut raw", false)).text();
    expect(raw.startsWith(HELLO)).toBe(true);
    expect(raw).toMatch(/data: \{"error":\{.*"code":"upstream_error"/);
    expect(raw).not.toContain("[DONE]");
    expect(raw).not.toContain(KEY);
    expect(await (await post("split again", false)).text()).toContain("[DONE]");
  });

  it("relays one event of 3 MB whole", async () => {
    const stream = await client().chat.completions.create({ model: "chat", stream: true, messages: [{ role: "user", content: "huge" }] });
    let text = "";
    for await (const c of stream) text += c.choices[0]?.delta.content ?? "";
    expect(text.length).toBe(5 + 3_000_000);
  });

  it("closes the upstream's connection when the client leaves mid-stream", async () => {
    const abort = new AbortController();
    const res = await post("drip leave", false, abort.signal);
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain("Hello");
    abort.abort();
    await seen.closed.get("drip leave");
    // The budget's hold was settled, not left reserved: the gateway still answers, and the log says the client left.
    const line = await until(() => accessLines().find((l) => l["status"] === 499));
    expect(line).toMatchObject({ stream: true });
  });

  it("does not buffer without bound for a client that stops reading, and loses no event once it reads", async () => {
    const rssBefore = rss();
    const res = await post("flood slow", false);
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    let text = dec.decode((await reader.read()).value, { stream: true });
    // Wait until the upstream can write no more: what it wrote is held by sockets and one upstream read, not by the gateway.
    let last = -1;
    for (;;) {
      await pause(300);
      const now = seen.written.get("flood slow") ?? 0;
      if (now === last) break;
      last = now;
    }
    const total = 4096 * Buffer.byteLength(`data: ${chunk({ content: "z".repeat(4000) })}\n\n`);
    console.log(`flood: the upstream stalled after ${(last / 2 ** 20).toFixed(1)} of ${(total / 2 ** 20).toFixed(1)} MiB; gateway RSS ${rssBefore.toFixed(0)} MB before, ${rss().toFixed(0)} MB stalled`);
    expect(last).toBeLessThan(total);
    // Now read it all: every event arrives, in order, then [DONE].
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += dec.decode(value, { stream: true });
    }
    const events = text.split("\n\n");
    expect(events.filter((e) => e.includes('"zzzz')).length).toBe(4096);
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
  }, 60_000);
});
