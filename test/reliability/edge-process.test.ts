/**
 * The process never crashes: a real `aigw serve` child (with
 * `--body-timeout 500ms`) takes every kind of hostile input at once — heads
 * uWS cannot parse, heads and bodies that never finish or trickle in, bad
 * JSON, deep nesting, invalid UTF-8, a huge header, a body over the limit,
 * pipelining behind an upstream call, clients leaving mid-call and
 * mid-stream — while a normal request is served. What only uWS's own idle
 * timeout ends (a head that never completes, one it cannot parse) is closed
 * by it (about 10 s, fixed in the binding; about 30 s in v20.57), which is why this file takes
 * that long. Afterwards the same process is alive, healthy, answers a
 * completion, logged no error, and stops on SIGTERM with 0.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { UsageError } from "../../cli/args.js";
import { serveCommand } from "../../cli/commands/serve.js";
import type { Io } from "../../cli/io.js";
import { behave, closeAllUpstreams, startUpstream } from "../support/upstreams.js";
import { hello, KEY, KEY_HASH } from "../server/helpers.js";
import { loadEngine } from "../../runtime/server/uws-load.js";
import { closeRawConnections, expectError, httpRequest, RawConnection, sleep, startServeChild, stopServeChildren } from "./edge-helpers.js";

const dir = mkdtempSync(join(tmpdir(), "aigw-edge-"));

afterAll(async () => {
  closeRawConnections();
  await stopServeChildren();
  await closeAllUpstreams();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * uWS v20.57 (loaded on Node 22 and later) treats the unparsable heads below differently from v20.30 (Node 20):
 * it answers garbage and HTTP/1.0 with its own 505 and a close, parses 60 header lines and an unknown method
 * (so aigw answers them), and its idle timeout is about 30 s rather than 10 s (measured on both bindings).
 */
const engine = loadEngine().info;
const V2057 = engine.kind === "native" && engine.detail.startsWith("uWebSockets.js native binding (v20.57");

/** How long uWS's idle timeout may take to close a connection (10 s, or 30 s on v20.57, checked every 4 s), with room for a loaded machine. */
const UWS_IDLE_BOUND_MS = V2057 ? 45_000 : 20_000;

describe("a real aigw serve process under hostile input", () => {
  it("closes what it must, answers the rest, serves a normal request meanwhile, and is alive and clean afterwards", { timeout: UWS_IDLE_BOUND_MS + 40_000 }, async () => {
    const up = await startUpstream("openai");
    writeFileSync(
      join(dir, "main.route"),
      `
gateway { max_body 64KB }
provider demo { api mock }
provider real { api openai base_url "${up.baseUrl}" timeout 20s }
keys { "${KEY_HASH}" team "edge" }
model fast = demo/"mock-fast"
model gpt = real/"gpt-4o"
route chat { when model == "chat"  to fast }
route upstream { when model == "upstream"  to gpt }
`,
    );
    // start-up transpiles the sources on the fly: slow on a busy machine
    const serve = await startServeChild(join(dir, "main.route"), ["--body-timeout", "500ms"], 30_000);
    const port = serve.port;
    const AUTH = { authorization: `Bearer ${KEY}`, "content-type": "application/json" };
    const ok = JSON.stringify(hello());
    const chat = (body: string | Uint8Array, headers: Record<string, string> = {}) => httpRequest("POST", "/v1/chat/completions", { ...AUTH, ...headers }, body);
    const conn = async (bytes?: Uint8Array | string) => {
      const c = await RawConnection.open(port);
      if (bytes !== undefined) c.write(bytes);
      return c;
    };

    // -- heads uWS cannot parse or never sees the end of: no answer, then a close (at once, or at its idle timeout)
    const unparsed = await Promise.all([
      conn("POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\n"), // a head that never ends
      conn("\x00\x01\xff garbage\r\n\r\n"),
      conn(`GET /healthz HTTP/1.1\r\nhost: x\r\n${Array.from({ length: 60 }, (_, i) => `x-h${i}: v\r\n`).join("")}\r\n`), // more headers than uWS parses
      conn("GET /healthz HTTP/1.0\r\n\r\n"), // uWS does not answer HTTP/1.0
      conn("FOO /healthz HTTP/1.1\r\nhost: x\r\n\r\n"), // a method uWS does not know
    ]);
    const headDrip = await conn();
    const head = "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nx-slow: " + "s".repeat(200);
    let dripped = 0;
    const drip = setInterval(() => headDrip.write(head[dripped++ % head.length]!), 200);

    try {
      // -- answered with an error (and a close where the request cannot be finished)
      const answered: [Uint8Array | string, number, boolean][] = [
        [chat("{not json"), 400, false],
        [chat("[".repeat(60_000)), 400, false],
        [chat(`{"model":"chat","messages":[{"role":"user","content":"hi"}],"x":${"[".repeat(20_000)}${"]".repeat(20_000)}}`), 400, false],
        [chat(Buffer.concat([Buffer.from('{"model":"chat","messages":[{"role":"user","content":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}]}')])), 400, false],
        [chat(JSON.stringify({ model: "chat", messages: [{ role: "user", content: 3 }] })), 400, false],
        [chat(ok, { "x-big": "h".repeat(20_000) }), 431, true],
        [chat("x".repeat(100 * 1024)), 413, true],
        [httpRequest("POST", "/v1/chat/completions", { ...AUTH, "content-length": "500" }, "{\"model\""), 408, true],
        [httpRequest("GET", "/nowhere", {}), 404, false],
        [httpRequest("DELETE", "/v1/models", {}), 405, false],
      ];
      await Promise.all(
        answered.map(async ([bytes, status, closes]) => {
          const c = await conn(bytes);
          const res = await c.response(0, 10_000).catch(() => undefined);
          if (res === undefined) {
            // only a huge head may go unanswered: uWS closes at once when one arrives in pieces
            expect(status).toBe(431);
            expect(c.isClosed).toBe(true);
            return;
          }
          expectError(res, status);
          if (closes) await c.closedWithin(5000);
          c.destroy();
        }),
      );

      // -- pipelined behind an upstream call, and clients leaving mid-call and mid-stream
      up.next(behave.stallHeaders(), behave.stallHeaders(), behave.stallBody());
      const pipelined = await conn(chat(JSON.stringify(hello("upstream"))));
      await up.waitForRequests(1);
      pipelined.write(httpRequest("GET", "/healthz", {}));
      await pipelined.closedWithin(5000);
      const leaver = await conn(chat(JSON.stringify(hello("upstream"))));
      await up.waitForRequests(2);
      leaver.destroy();
      const streamer = await conn(chat(JSON.stringify({ ...hello("upstream"), stream: true })));
      await streamer.sees("data: {");
      streamer.destroy();
      await Promise.all(up.requests.slice(0, 3).map((r) => r.aborted));

      // -- a normal request is served while the heads that never end are still held open
      const r = await fetch(`${serve.base}/v1/chat/completions`, { method: "POST", headers: AUTH, body: ok });
      expect(r.status).toBe(200);
      await r.arrayBuffer();
      expect(unparsed[0]!.isClosed || headDrip.isClosed).toBe(false);

      // -- uWS closes every one of them (an unknown method at once, the rest at its idle timeout); v20.30 without
      // an answer, v20.57 after its own 505 for garbage and HTTP/1.0, or aigw's for the heads it parses
      await Promise.all([...unparsed, headDrip].map((c) => c.closedWithin(UWS_IDLE_BOUND_MS)));
      const expected = V2057 ? [[], [505], [200], [505], [405]] : [[], [], [], [], []];
      expect(unparsed.map((c) => c.all.map((r) => r.status))).toEqual(expected);
    } finally {
      clearInterval(drip);
    }

    // -- afterwards: alive, healthy, serving, and nothing logged as an error or answered with a 5xx
    expect(serve.child.exitCode).toBeNull();
    expect((await fetch(`${serve.base}/healthz`)).status).toBe(200);
    const after = await fetch(`${serve.base}/v1/chat/completions`, { method: "POST", headers: AUTH, body: JSON.stringify(hello("upstream")) });
    expect(after.status).toBe(200);
    expect(((await after.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toBe("hello from openai");
    await sleep(50); // the access log is written once per event-loop turn
    const lines = serve.stdout().trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as { level: string; status?: number; msg: string });
    expect(lines.filter((l) => l.level === "error")).toEqual([]);
    expect(lines.filter((l) => (l.status ?? 0) >= 500)).toEqual([]);
    expect(lines.some((l) => l.msg === "request" && l.status === 408)).toBe(true);
    expect(await serve.stop()).toBe(0);
  });

  it("refuses a --body-timeout or --compile-idle that is not a positive duration", async () => {
    const io: Io = { out: () => {}, err: () => {}, isTty: false, env: {}, cwd: process.cwd() };
    for (const flag of ["--body-timeout", "--compile-idle"]) {
      for (const bad of ["soon", "0", "-5s", "10h"]) {
        await expect(serveCommand([dir, flag, bad], io, { stop: Promise.resolve() })).rejects.toThrow(UsageError);
      }
    }
  });
});
