/**
 * bench/load/frames against the real bench mock (bench/mock-upstream.ts,
 * uWebSockets.js) over real sockets: a paced stream read frame by frame is
 * whole and its gaps are taken between paced frames; through a relay that
 * drops one frame of one stream, or stalls one stream, the concurrent-streams
 * run counts exactly that stream as not held, and a stalled stream does not
 * hold the run past its deadline.
 *
 * The relay sabotages on request (`x-sabotage`): `drop` removes the frame of
 * token 17 from every stream, `drop-one` only from the second stream it
 * relays, `stall` stops relaying a stream at token 5 and never ends it.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { concurrentFrames, framesAtOneConnection } from "../../bench/load/frames.js";
import { pacedBody, paceOf, startMockUpstream, type MockUpstream } from "../../bench/mock-upstream.js";
import { STREAM_CHUNKS } from "../../bench/mock-wires.js";
import { FRAMES } from "../../bench/sse-frames.js";

let mock: MockUpstream;
let relay: Server;
let relayUrl = "";
let relayed = 0;
/** The relay's request count when the `drop-one` run starts. */
let first = -1;
const BODY = JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }], stream: true });

beforeAll(async () => {
  mock = await startMockUpstream();
  // A plain relay to the mock that can drop one frame (`x-sabotage: drop`) or stop relaying (`x-sabotage: stall`).
  relay = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const asked = req.headers["x-sabotage"];
      const nth = relayed++;
      const sabotage = asked === "drop-one" ? (nth === first + 1 ? "drop" : undefined) : asked;
      void request(`http://127.0.0.1:${mock.port}${req.url}`, { method: "POST", headers: { "content-type": "application/json" }, body: Buffer.concat(chunks) }).then(async (up) => {
        res.writeHead(up.statusCode, { "content-type": "text/event-stream" });
        for await (const chunk of up.body) {
          const text = (chunk as Buffer).toString("utf8");
          if (sabotage === "stall" && text.includes("token5")) return; // never ends
          res.write(sabotage === "drop" ? text.replace(/data: [^\n]*token17"[^\n]*\n\n/, "") : text);
        }
        res.end();
      });
    });
  });
  await new Promise<void>((r) => relay.listen(0, "127.0.0.1", r));
  relayUrl = `http://127.0.0.1:${(relay.address() as AddressInfo).port}`;
});

afterAll(async () => {
  relay?.closeAllConnections();
  await new Promise<void>((r) => relay?.close(() => r()));
  await mock?.close();
});

const spec = (url: string, headers: Record<string, string> = {}) => ({ url, path: "/v1/chat/completions", headers: { "content-type": "application/json", ...headers }, body: pacedBody(BODY, 2), stream: true, paceMs: 2 });

describe("the pace marker", () => {
  it("round-trips through a request body and ignores what is not a pace", () => {
    expect(paceOf(Buffer.from(pacedBody(BODY, 25)))).toBe(25);
    expect(paceOf(Buffer.from(BODY))).toBeUndefined();
    expect(paceOf(Buffer.from('{"user":"bench-pace-x"}'))).toBeUndefined();
    expect(paceOf(Buffer.from('{"user":"bench-pace-99999"}'))).toBeUndefined();
  });
});

describe("frames at one connection", () => {
  it("reads every frame of each paced stream, with a first token and the gaps between paced frames", async () => {
    const r = await framesAtOneConnection({ ...spec(`http://127.0.0.1:${mock.port}`), seconds: 0.3 });
    expect(r.failed).toBe(0);
    expect(r.ok).toBeGreaterThan(0);
    expect(r.ttftMs.count).toBe(r.ok);
    expect(r.ttftMs.p50).toBeGreaterThanOrEqual(r.ttfbMs.p50);
    // Frames 2 to 49 are paced: 48 gaps a stream.
    expect(r.gaps.gapMs.count).toBe(r.ok * (STREAM_CHUNKS - 2));
  });

  it("counts a stream that lost a frame as failed, with why", async () => {
    const r = await framesAtOneConnection({ ...spec(relayUrl, { "x-sabotage": "drop" }), seconds: 0 });
    expect(r).toMatchObject({ streams: 1, ok: 0, failed: 1 });
    expect(r.errors[0]).toContain("1 missing, 0 duplicated, 0 out of order");
  });
});

describe("concurrent streams", () => {
  it("holds every stream through a faithful relay", async () => {
    const r = await concurrentFrames({ ...spec(relayUrl), count: 40, deadlineMs: 20_000 });
    expect(r).toMatchObject({ count: 40, held: 40, failed: 0 });
    expect(r.gaps.gapMs.count).toBe(40 * (STREAM_CHUNKS - 2));
  });

  it("counts exactly the one stream that lost a frame as not held", async () => {
    first = relayed;
    const r = await concurrentFrames({ ...spec(relayUrl, { "x-sabotage": "drop-one" }), count: 5, deadlineMs: 20_000 });
    expect(r).toMatchObject({ count: 5, held: 4, failed: 1 });
    expect(r.errors).toEqual(["frames: 1 missing, 0 duplicated, 0 out of order"]);
  });

  it("does not count stalled streams, and returns by the deadline", async () => {
    const stalled = await concurrentFrames({ ...spec(relayUrl, { "x-sabotage": "stall" }), count: 3, deadlineMs: 1_500 });
    expect(stalled).toMatchObject({ held: 0, failed: 3 });
    expect(stalled.errors.join(" ")).toContain("3 stream(s) not complete 1500 ms after their send");
    expect(FRAMES).toBe(STREAM_CHUNKS + 2);
  });
});
