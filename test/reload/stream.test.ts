/**
 * A streaming response that started before reloads finishes intact on the
 * graph it started with, while requests that start after a reload see the
 * new policy.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { fsSource } from "../../runtime/server/reload/index.js";
import { chat, startReloading, stopAll, streamModels, tempDir, versionText, writeFile } from "./helpers.js";

const PARTS = 40;
let upstream: Server | undefined;

afterEach(async () => {
  await stopAll();
  upstream?.closeAllConnections();
  await new Promise<void>((r) => (upstream ? upstream.close(() => r()) : r()));
  upstream = undefined;
});

/** An OpenAI-compatible upstream that streams one chunk, then the rest once `release()` is called. */
async function gatedUpstream(): Promise<{ baseUrl: string; release: () => void; started: Promise<void> }> {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let started!: () => void;
  const first = new Promise<void>((r) => (started = r));
  const chunk = (delta: Record<string, unknown>, finish: string | null = null): string =>
    `data: ${JSON.stringify({ id: "chatcmpl-slow", object: "chat.completion.chunk", created: 1, model: "slow-upstream", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  upstream = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(chunk({ role: "assistant", content: "part-0 " }));
      started();
      void gate.then(async () => {
        for (let i = 1; i < PARTS; i++) {
          res.write(chunk({ content: `part-${i} ` }));
          await new Promise((r) => setTimeout(r, 2));
        }
        res.write(chunk({}, "stop"));
        res.end("data: [DONE]\n\n");
      });
    });
  });
  await new Promise<void>((r) => upstream!.listen(0, "127.0.0.1", r));
  const { port } = upstream.address() as AddressInfo;
  return { baseUrl: `http://127.0.0.1:${port}/v1`, release, started: first };
}

describe("a stream in flight during reloads", () => {
  it("finishes intact on the policy it started with", async () => {
    const up = await gatedUpstream();
    const slowPolicy = [
      'gateway { auth none admin_token env("AIGW_ADMIN_TOKEN") }',
      `provider up { api openai base_url "${up.baseUrl}" }`,
      'model slow = up/"slow-upstream"',
      'route chat { when model == "chat" to slow }',
      "",
    ].join("\n");
    const dir = tempDir({ "main.route": slowPolicy });
    const { base, reloader } = await startReloading(fsSource([dir]));
    const v1 = reloader.graph.policy;

    const streaming = fetch(`${base}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "chat", stream: true, messages: [{ role: "user", content: "tell me a long story" }] }),
    });
    await up.started;
    const res = await streaming;
    expect(res.status).toBe(200);
    expect(res.headers.get("x-aigw-policy")).toBe(v1);

    // Several reloads while the stream is open; new requests move on.
    for (const v of ["a", "b", "a"] as const) {
      writeFile(join(dir, "main.route"), versionText(v));
      expect((await reloader.reload("signal")).status).toBe("applied");
      const now = await chat(base);
      expect(now).toMatchObject({ status: 200, target: v, policy: reloader.graph.policy });
    }
    expect(reloader.graph.policy).not.toBe(v1);

    up.release();
    const body = await res.text();
    const content = body
      .split("\n")
      .filter((l) => l.startsWith("data: {"))
      .map((l) => (JSON.parse(l.slice(6)) as { choices: { delta: { content?: string } }[] }).choices[0]?.delta.content ?? "")
      .join("");
    expect(content).toBe(Array.from({ length: PARTS }, (_, i) => `part-${i} `).join(""));
    expect(streamModels(body)).toEqual(["slow-upstream"]);
    expect(body.trimEnd().endsWith("data: [DONE]")).toBe(true);
  });
});
