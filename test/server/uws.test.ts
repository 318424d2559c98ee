/**
 * The uWebSockets.js edge on its own: routing a request through the wrapper,
 * body reading with a limit, streaming with backpressure, abort detection and
 * graceful close.
 */
import { afterEach, describe, expect, it } from "vitest";
import { connect } from "node:net";
import type { HttpServer, RequestHandler } from "../../runtime/server/uws.js";

/** Set by uws-fallback.test.ts before anything imports uWebSockets.js. */
const FORCED = process.env.UWS_USE_FALLBACK === "1";
const { createHttpServer, httpEngine } = await import("../../runtime/server/uws.js");
// Without the flag: the native binding wherever one loads (native-engine.test.ts says where that must be).
const WANT = FORCED ? "fallback" : httpEngine.kind;

let server: HttpServer | undefined;
afterEach(async () => {
  await server?.close(100);
  server = undefined;
});

async function start(handler: RequestHandler, bodyLimit = 1024): Promise<string> {
  server = createHttpServer({ handler, bodyLimit: () => bodyLimit });
  const port = await server.listen("127.0.0.1", 0);
  return `http://127.0.0.1:${port}`;
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe(`uws edge (${WANT})`, () => {
  it("reports the engine", () => {
    expect(httpEngine.kind).toBe(WANT);
    expect(httpEngine.detail).toMatch(/uWebSockets\.js/);
  });

  it("copies method, path, query, lower-cased headers and the body", async () => {
    const base = await start(async (req, res) => {
      const body = await req.body();
      res.send(200, [["content-type", "application/json"]], JSON.stringify({
        method: req.method, path: req.path, query: req.query, h: req.headers["x-thing"], body: body.toString(),
      }));
    });
    const r = await fetch(`${base}/a/b?x=1`, { method: "POST", headers: { "X-Thing": "yes" }, body: "hello" });
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ method: "POST", path: "/a/b", query: "x=1", h: "yes", body: "hello" });
  });

  it("rejects a body over the limit with 413 (declared or streamed)", async () => {
    const base = await start(async (req, res) => {
      try {
        await req.body();
        res.send(200, [], "ok");
      } catch {
        res.send(413, [], "too large");
      }
    }, 10);
    const r = await fetch(`${base}/x`, { method: "POST", body: "x".repeat(100) });
    expect(r.status).toBe(413);
    // chunked upload without content-length
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode("y".repeat(8)));
        c.enqueue(new TextEncoder().encode("y".repeat(8)));
        c.close();
      },
    });
    const r2 = await fetch(`${base}/x`, { method: "POST", body: stream, duplex: "half" } as RequestInit);
    expect(r2.status).toBe(413);
  });

  it("turns a handler failure into a 500 json error", async () => {
    const base = await start(async () => {
      throw new Error("boom");
    });
    const r = await fetch(`${base}/`);
    expect(r.status).toBe(500);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe("internal_error");
  });

  it("streams with backpressure: write reports a slow reader and writable() resumes", async () => {
    let sawBackpressure = false;
    const chunk = "z".repeat(64 * 1024);
    const total = 200;
    const base = await start(async (_req, res) => {
      res.start(200, [["content-type", "text/plain"]]);
      for (let i = 0; i < total; i++) {
        if (!res.write(chunk)) {
          sawBackpressure = true;
          await res.writable();
        }
        if (res.aborted) return;
      }
      res.end();
    });
    const r = await fetch(`${base}/s`);
    const reader = r.body!.getReader();
    let got = 0;
    await delay(100); // let the server fill the socket buffers
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      got += value.byteLength;
    }
    expect(got).toBe(chunk.length * total);
    if (httpEngine.kind === "native") expect(sawBackpressure).toBe(true);
  });

  it("sends a large whole body to a client that reads late (tryEnd/onWritable)", async () => {
    const big = Buffer.alloc(8 * 1024 * 1024, 97);
    const base = await start((_req, res) => res.send(200, [["content-type", "application/octet-stream"]], big));
    const r = await fetch(`${base}/big`);
    await delay(100);
    const got = Buffer.from(await r.arrayBuffer());
    expect(got.length).toBe(big.length);
    expect(got.equals(big)).toBe(true);
  });

  it("reports a client that goes away, once, and ignores writes after it", async () => {
    let aborted = 0;
    let resolveAbort!: () => void;
    const abortedP = new Promise<void>((r) => (resolveAbort = r));
    const base = await start((_req, res) => {
      res.onAbort(() => {
        aborted++;
        resolveAbort();
      });
      res.start(200, []);
      res.write("first");
    });
    const port = Number(new URL(base).port);
    const sock = connect(port, "127.0.0.1", () => {
      sock.write("GET /slow HTTP/1.1\r\nhost: x\r\n\r\n");
    });
    sock.once("data", () => sock.destroy());
    await abortedP;
    expect(aborted).toBe(1);
  });

  it("closes gracefully: an in-flight request finishes, new connections are refused", async () => {
    const base = await start(async (_req, res) => {
      await delay(150);
      res.send(200, [], "done");
    });
    const inflight = fetch(`${base}/slow`).then(async (r) => [r.status, await r.text()]);
    // wait for the request to arrive rather than for a fixed time: the machine may be loaded
    for (let i = 0; i < 500 && server!.inFlight === 0; i++) await delay(10);
    expect(server!.inFlight).toBe(1);
    const closing = server!.close(2000);
    await delay(10);
    await expect(fetch(`${base}/again`)).rejects.toThrow();
    expect(await inflight).toEqual([200, "done"]);
    await closing;
    server = undefined;
  });
});
