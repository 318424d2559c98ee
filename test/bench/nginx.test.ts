/**
 * The bench's proxy-limit anchor (bench/nginx.ts): a real nginx started from
 * the generated configuration forwards a POST body and the reply verbatim to
 * and from an upstream on 127.0.0.1, relays a stream as it is written (no
 * response buffering: the first event arrives before the upstream sends the
 * second), reuses upstream connections, and leaves nothing behind when the
 * process group stops.
 */
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProcessGroup } from "../../bench/children.js";
import { ensureNginx, startNginx, type RunningNginx } from "../../bench/nginx.js";

let upstream: Server;
let release: () => void = () => {};
const sockets = new Set<unknown>();
const seen: { body: string; auth: string | undefined }[] = [];
let group: ProcessGroup;
let nginx: RunningNginx;

beforeAll(async () => {
  expect(ensureNginx().available).toBe(true);
  upstream = createServer((req, res) => {
    sockets.add(req.socket);
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => {
      seen.push({ body, auth: req.headers.authorization });
      if (req.url === "/stream") {
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.write("data: one\n\n");
        release = () => res.end("data: two\n\n");
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ echoed: body }));
    });
  });
  await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  group = new ProcessGroup();
  nginx = await startNginx(group, 0, base, "/v1/chat/completions", { "content-type": "application/json" }, "{}");
});

afterAll(async () => {
  await group?.stopAll();
  await new Promise<void>((r) => upstream?.close(() => r()));
});

describe("nginx as the bench's plain reverse proxy", () => {
  it("forwards the body and headers, and the reply verbatim", async () => {
    const body = JSON.stringify({ model: "m", messages: [{ role: "user", content: "héllo ".repeat(2000) }] });
    const res = await request(`${nginx.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json", authorization: "Bearer k" }, body });
    expect(res.statusCode).toBe(200);
    expect(await res.body.json()).toEqual({ echoed: body });
    expect(seen.at(-1)).toEqual({ body, auth: "Bearer k" });
  });

  it("keeps upstream connections alive across requests", async () => {
    const before = sockets.size;
    for (let i = 0; i < 20; i++) {
      const res = await request(`${nginx.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
      await res.body.dump();
    }
    expect(sockets.size - before).toBeLessThanOrEqual(1);
  });

  it("relays a stream as it is written", async () => {
    const res = await request(`${nginx.url}/stream`, { method: "POST", body: "{}" });
    const reader = res.body[Symbol.asyncIterator]();
    const first = await reader.next();
    expect(Buffer.from(first.value as Buffer).toString("utf8")).toContain("data: one");
    release();
    let rest = "";
    for (let r = await reader.next(); !r.done; r = await reader.next()) rest += Buffer.from(r.value as Buffer).toString("utf8");
    expect(rest).toContain("data: two");
  });

  it("is gone, with its files, when the group stops", async () => {
    const pid = nginx.spawned.pid;
    await group.stopAll();
    expect(existsSync(nginx.dir)).toBe(false);
    expect(() => process.kill(pid, 0)).toThrow();
  });
});
