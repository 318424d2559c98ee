/**
 * A rolling restart never corrupts a stream: a real `aigw serve` receives
 * SIGTERM while it relays a streamed completion (the fake upstream drips its
 * events 250 ms apart). The stream must still end as well-formed HTTP/1.1
 * chunked framing — every event, then the last chunk, then the connection
 * closes — as read by Node's strict HTTP parser (`http.request`, which fails
 * with `HPE_STRICT`/`HPE_INVALID_CHUNK_SIZE` on anything written after the
 * last chunk) and by the `openai` SDK. The process then exits 0. The first
 * two cases run again with `--workers 2` (the stream is on one of two
 * worker threads; SIGTERM drains both).
 */
import { request } from "node:http";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { behave, closeAllUpstreams, startUpstream, type FakeUpstream } from "../support/upstreams.js";
import { KEY, KEY_HASH } from "../server/helpers.js";
import { startServeChild, stopServeChildren, type ServeChild } from "./edge-helpers.js";

const dir = mkdtempSync(join(tmpdir(), "aigw-drain-"));
const GAP_MS = 250;

afterEach(async () => {
  await stopServeChildren();
  await closeAllUpstreams();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function serveStreaming(args: string[] = []): Promise<{ serve: ServeChild; up: FakeUpstream }> {
  const up = await startUpstream("openai");
  up.setDefault(behave.drip(GAP_MS));
  const path = join(dir, `main-${up.port}.route`);
  writeFileSync(
    path,
    `
provider real { api openai base_url "${up.baseUrl}" timeout 20s }
keys { "${KEY_HASH}" team "drain" }
model gpt = real/"gpt-4o"
route chat { to gpt }
`,
  );
  // start-up transpiles the sources on the fly: slow on a busy machine
  const serve = await startServeChild(path, args, 90_000);
  return { serve, up };
}

const BODY = JSON.stringify({ model: "chat", stream: true, messages: [{ role: "user", content: "hi" }] });

/** Streams one completion with node:http; calls `onFirstData` once the first bytes of the body arrived. */
function strictStream(port: number, onFirstData: () => void): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, method: "POST", path: "/v1/chat/completions", headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" } },
      (res) => {
        let body = "";
        let first = true;
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          body += c;
          if (first) {
            first = false;
            onFirstData();
          }
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(BODY);
  });
}

describe.each([[1], [2]])("SIGTERM while a stream is in flight (--workers %i)", (workers) => {
  it("ends the stream with well-formed chunked framing (node:http's strict parser) and exits 0", { timeout: 120_000 }, async () => {
    const { serve } = await serveStreaming(["--workers", String(workers)]);
    const res = await strictStream(serve.port, () => serve.child.kill("SIGTERM"));
    expect(res.status).toBe(200);
    const events = res.body.split("\n\n").filter((e) => e.startsWith("data: "));
    expect(events.at(-1)).toBe("data: [DONE]");
    // every content delta arrived, in order
    const text = events
      .slice(0, -1)
      .map((e) => (JSON.parse(e.slice(6)) as { choices: { delta: { content?: string } }[] }).choices[0]?.delta.content ?? "")
      .join("");
    expect(text).toBe("hello from openai");
    expect(await serve.exited).toBe(0);
  });

  it("lets the openai SDK read the whole stream to its end", { timeout: 120_000 }, async () => {
    const { serve } = await serveStreaming(["--workers", String(workers)]);
    const client = new OpenAI({ apiKey: KEY, baseURL: `${serve.base}/v1`, maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: "chat", stream: true, messages: [{ role: "user", content: "hi" }] });
    let text = "";
    let signalled = false;
    for await (const chunk of stream) {
      if (!signalled) {
        signalled = true;
        serve.child.kill("SIGTERM");
      }
      text += chunk.choices[0]?.delta.content ?? "";
    }
    expect(text).toBe("hello from openai");
    expect(await serve.exited).toBe(0);
  });
});

describe("SIGTERM while a stream is in flight, one thread", () => {
  it("tells a stream that starts while draining that the connection will close, in its head", { timeout: 120_000 }, async () => {
    const { serve } = await serveStreaming();
    // One stream keeps the drain open. The listener closes at SIGTERM, so the late stream rides a
    // kept-alive connection opened before it.
    const { Agent } = await import("node:http");
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const warm = await new Promise<number>((resolve, reject) => {
      const r = request({ host: "127.0.0.1", port: serve.port, path: "/healthz", agent }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      });
      r.on("error", reject);
      r.end();
    });
    expect(warm).toBe(200);
    const keep = strictStream(serve.port, () => {});
    await new Promise((r) => setTimeout(r, 100));
    serve.child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 200));
    const late = await new Promise<{ status: number; connection: string | undefined; body: string }>((resolve, reject) => {
      const r = request(
        { host: "127.0.0.1", port: serve.port, method: "POST", path: "/v1/chat/completions", agent, headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" } },
        (res) => {
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (c: string) => void (body += c));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body }));
          res.on("error", reject);
        },
      );
      r.on("error", reject);
      r.end(BODY);
    });
    agent.destroy();
    expect(late.status).toBe(200);
    expect(late.connection).toBe("close");
    expect(late.body.trimEnd().endsWith("data: [DONE]")).toBe(true);
    expect((await keep).body.trimEnd().endsWith("data: [DONE]")).toBe(true);
    expect(await serve.exited).toBe(0);
  });
});
