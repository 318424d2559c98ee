/**
 * Streams relayed as bytes, end to end (runtime/providers/wire-pass.ts):
 * the real server, an upstream on 127.0.0.1 that writes its event stream in
 * reads cut where an attacker would cut them (inside a UTF-8 sequence,
 * inside `data:`, between an event's CR and LF), each read its own TCP
 * write. A chat caller of an OpenAI-compatible upstream and a Messages
 * caller of an Anthropic upstream get the upstream's bytes exactly; the
 * usage still settles the budget; an output guardrail that redacts still
 * redacts (the chunk path); a stream that turns malformed mid-way ends with
 * the gateway's error event and no `[DONE]`.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { budgetKey, memoryStore, type Store } from "../../runtime/state/index.js";
import { closeGateways, delay, KEY, KEY_HASH, policy, serve } from "./helpers.js";

const servers: Server[] = [];
const stores: Store[] = [];
afterEach(async () => {
  await closeGateways();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

/** An upstream that answers every request with `reads`, one write each, a few milliseconds apart so each is its own TCP read. */
async function upstream(reads: readonly Buffer[]): Promise<string> {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", async () => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.flushHeaders();
      for (const r of reads) {
        await delay(3);
        res.write(r);
      }
      res.end();
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** `text` cut before each of `marks` (substrings), and `bytes` bytes into the match. */
function cutAt(text: string, marks: readonly [string, number][]): Buffer[] {
  const all = Buffer.from(text);
  const at = marks.map(([m, k]) => all.indexOf(m) + k).sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const i of at) {
    out.push(all.subarray(from, i));
    from = i;
  }
  out.push(all.subarray(from));
  return out;
}

const chunk = (delta: unknown, finish: string | null = null) =>
  `data: {"id":"chatcmpl-b","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_1","choices":[{"index":0,"delta":${JSON.stringify(delta)},"logprobs":null,"finish_reason":${JSON.stringify(finish)}}]}\r\n\r\n`;
const USAGE = 'data: {"id":"chatcmpl-b","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-2024-08-06","choices":[],"usage":{"prompt_tokens":11,"completion_tokens":6,"total_tokens":17}}\r\n\r\n';
const TEXT = "déjà vu, 東京 🎉 mail ann@example.com";
const OPENAI = [chunk({ role: "assistant", content: "" }), ": keep-alive\r\n\r\n", chunk({ content: "déjà vu, " }), chunk({ content: "東京 🎉" }), chunk({ content: " mail ann@example.com" }), chunk({}, "stop"), USAGE, "data: [DONE]\r\n\r\n"].join("");
/** Inside `é` (2 bytes), `東` (3), `🎉` (4), inside `data:`, between CR and LF, and inside the usage object. */
const OPENAI_READS = cutAt(OPENAI, [
  ["é", 1],
  ["東", 2],
  ["🎉", 3],
  ["data: {\"id\":\"chatcmpl-b\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"gpt-4o-2024-08-06\",\"system_fingerprint\":\"fp_1\",\"choices\":[{\"index\":0,\"delta\":{}", 3],
  ["]}\r\n\r\ndata: {\"id\":\"chatcmpl-b\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"gpt-4o-2024-08-06\",\"choices\":[]", 3],
  ['"completion_tokens"', 5],
]);

function gatewayPolicy(base: string, api: "openai" | "anthropic", extra = "", uses = "") {
  return policy(`
keys { "${KEY_HASH}" team "search" }
provider up { api ${api} base_url "${base}" }
model main = up/"${api === "openai" ? "gpt-4o" : "claude-sonnet-4-5"}" { input $1000/Mtok output $2000/Mtok context 8k }
${extra}
route chat { when model == "chat" ${uses} to main }`);
}

async function post(base: string, path: string, body: unknown): Promise<Response> {
  return fetch(`${base}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${KEY}`, "x-api-key": KEY, "content-type": "application/json", "anthropic-version": "2023-06-01" },
    body: JSON.stringify(body),
  });
}

const streamed = (body: Record<string, unknown> = {}) => ({ model: "chat", messages: [{ role: "user", content: "hello there" }], max_tokens: 10, stream: true, ...body });

/** The `content` deltas of a chat stream, whatever its line endings. */
function contentOf(text: string): string {
  let out = "";
  for (const line of text.split(/\r?\n/)) {
    if (!line.startsWith("data: {")) continue;
    const c = JSON.parse(line.slice(6)) as { choices?: { delta?: { content?: string } }[] };
    for (const ch of c.choices ?? []) out += ch.delta?.content ?? "";
  }
  return out;
}

describe("a chat stream from an OpenAI-compatible upstream", () => {
  it("reaches the caller byte for byte, keep-alive and CRLF included, however its reads were cut", async () => {
    expect(OPENAI_READS.length).toBeGreaterThanOrEqual(7);
    const { base, access } = await serve(gatewayPolicy(await upstream(OPENAI_READS), "openai"));
    const r = await post(base, "/v1/chat/completions", streamed({ stream_options: { include_usage: true } }));
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("text/event-stream");
    expect(r.headers.get("x-aigw-target")).toBe("main");
    expect(Buffer.from(await r.arrayBuffer()).equals(Buffer.from(OPENAI))).toBe(true);
    await delay(20);
    expect(access[0]).toMatchObject({ status: 200, promptTokens: 11, completionTokens: 6 });
  });

  it("leaves out the usage chunk the caller did not ask for, and settles the budget from it", async () => {
    const store = memoryStore({ clock: Date.now });
    stores.push(store);
    const graph = gatewayPolicy(await upstream(OPENAI_READS), "openai", "budget b { per team limit $10 per day exceeded reject }", "budget b");
    const { base } = await serve(graph, { store });
    const r = await post(base, "/v1/chat/completions", streamed());
    expect(await r.text()).toBe(OPENAI.replace(USAGE, ""));
    await delay(20);
    const [v] = await store.read([{ key: budgetKey("b", "search"), window: { kind: "calendar", unit: "day" } }]);
    expect({ spent: v!.spent, reserved: v!.reserved }).toEqual({ spent: 11 * 1000 + 6 * 2000, reserved: 0 });
  });

  it("is still redacted by an output guardrail, which reads the chunks instead", async () => {
    const graph = gatewayPolicy(await upstream(OPENAI_READS), "openai", "guardrail pii { on output redact email }", "guard pii");
    const { base } = await serve(graph);
    const r = await post(base, "/v1/chat/completions", streamed());
    const text = await r.text();
    expect(contentOf(text)).toBe(TEXT.replace("ann@example.com", "[EMAIL]"));
    expect(text).not.toContain("ann@example.com");
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
  });

  it("is read as chunks when more than a mebibyte of keep-alives came before its first event (the bytes kept for a relay are bounded)", async () => {
    const pad = Buffer.from(`: ${"x".repeat(64 * 1024)}\n\n`);
    const reads = [...Array.from({ length: 20 }, () => pad), ...OPENAI_READS];
    const { base } = await serve(gatewayPolicy(await upstream(reads), "openai"));
    const r = await post(base, "/v1/chat/completions", streamed());
    const text = await r.text();
    expect(contentOf(text)).toBe(TEXT);
    expect(text).not.toContain("xxxx");
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
  });

  it("ends with the gateway's error event and no [DONE] when the upstream turns malformed mid-way, after the events before it", async () => {
    const good = chunk({ role: "assistant", content: "" }) + chunk({ content: "déjà" });
    const reads = [Buffer.from(good), Buffer.from("data: <html>not json{{\r\n\r\n"), Buffer.from(chunk({ content: "never" }) + "data: [DONE]\r\n\r\n")];
    const { base, access } = await serve(gatewayPolicy(await upstream(reads), "openai"));
    const r = await post(base, "/v1/chat/completions", streamed());
    expect(r.status).toBe(200);
    const text = await r.text();
    expect(text.startsWith(good)).toBe(true);
    const rest = text.slice(good.length);
    expect(rest).toMatch(/^data: \{"error":\{.*"code":"upstream_error".*\}\}\n\n$/);
    expect(rest).toContain("a stream event is not JSON");
    expect(text).not.toContain("[DONE]");
    expect(text).not.toContain("never");
    await delay(20);
    expect(access[0]).toMatchObject({ status: 200, error: "stream_error" });
  });
});

describe("a relayed stream whose caller leaves", () => {
  it("cancels the upstream request, and the budget's hold is released", async () => {
    let upstreamClosed!: () => void;
    const closed = new Promise<void>((r) => (upstreamClosed = r));
    const server = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(chunk({ role: "assistant", content: "" }) + chunk({ content: "and then silence" }));
      // Never ends on its own: only the gateway's cancel closes it.
      res.on("close", () => upstreamClosed());
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const store = memoryStore({ clock: Date.now });
    stores.push(store);
    const graph = gatewayPolicy(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, "openai", "budget b { per team limit $10 per day exceeded reject }", "budget b");
    const { base } = await serve(graph, { store });
    const abort = new AbortController();
    const r = await fetch(`${base}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
      body: JSON.stringify(streamed()),
      signal: abort.signal,
    });
    const reader = r.body!.getReader();
    let got = "";
    while (!got.includes("and then silence")) got += new TextDecoder().decode((await reader.read()).value);
    abort.abort();
    await closed;
    for (let i = 0; i < 100; i++) {
      const [v] = await store.read([{ key: budgetKey("b", "search"), window: { kind: "calendar", unit: "day" } }]);
      if (v!.reserved === 0) return;
      await delay(10);
    }
    throw new Error("the hold was not released");
  });
});

describe("a Messages stream from an Anthropic upstream", () => {
  const ev = (type: string, data: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  const STREAM = [
    ev("message_start", { message: { id: "msg_b", type: "message", role: "assistant", model: "claude-sonnet-4-5", content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 9, output_tokens: 1 } } }),
    ev("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
    ev("ping", {}),
    ev("content_block_delta", { index: 0, delta: { type: "text_delta", text: "Grüße aus 東京 🎉" } }),
    ev("content_block_stop", { index: 0 }),
    ev("message_delta", { delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: 8 } }),
    ev("message_stop", {}),
  ].join("");

  it("reaches a Messages caller byte for byte, ping included, and its usage is logged", async () => {
    const reads = cutAt(STREAM, [
      ["ü", 1],
      ["東", 1],
      ["🎉", 2],
      ["event: ping", 3],
      ['"output_tokens":8', 4],
    ]);
    const { base, access } = await serve(gatewayPolicy(await upstream(reads), "anthropic"));
    const r = await post(base, "/v1/messages", { model: "chat", max_tokens: 10, stream: true, messages: [{ role: "user", content: "hello" }] });
    expect(r.status).toBe(200);
    expect(Buffer.from(await r.arrayBuffer()).equals(Buffer.from(STREAM))).toBe(true);
    await delay(20);
    expect(access[0]).toMatchObject({ status: 200, promptTokens: 9, completionTokens: 8 });
  });
});
