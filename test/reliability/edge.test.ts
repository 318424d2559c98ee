/**
 * Malformed and hostile HTTP at the uWebSockets.js edge, case by case, on one
 * gateway that lives through all of them (mock provider, plus a fake OpenAI
 * upstream on 127.0.0.1 for the calls a client abandons): invalid and
 * non-object JSON, deep nesting, huge heads, bodies over the limit, bodies
 * that never finish, pipelined requests, clients that leave at every stage,
 * unknown paths and methods. Each gets its status and an OpenAI-style error,
 * or a clean close; at the end the same gateway answers as before and has
 * logged no error. Generated input is in edge-fuzz.test.ts; what only uWS's
 * own 10 s idle timeout ends, and a real `aigw serve` process, in
 * edge-process.test.ts.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { behave, closeAllUpstreams, startUpstream, type FakeUpstream } from "../support/upstreams.js";
import { closeGateways, hello, KEY, KEY_HASH, policy, postChat, serve, type Started } from "../server/helpers.js";
import { closeRawConnections, expectError, fetched, httpRequest, RawConnection, rawRequest, sleep } from "./edge-helpers.js";
import { MAX_JSON_DEPTH } from "../../runtime/pipeline/validate.js";

const MAX_BODY = 512 * 1024;
/** Short, so the slow-body cases take a second; production's default is 30 s. */
const BODY_TIMEOUT_MS = 1000;

let up: FakeUpstream;
let gw: Started;
let port: number;

beforeAll(async () => {
  up = await startUpstream("openai");
  gw = await serve(
    policy(`
gateway { max_body 512KB }
provider demo { api mock }
provider real { api openai base_url "${up.baseUrl}" timeout 10s }
keys { "${KEY_HASH}" team "edge" }
model fast = demo/"mock-fast"
model gpt = real/"gpt-4o"
route chat { when model == "chat"  to fast }
route upstream { when model == "upstream"  to gpt }
`),
    { http: { bodyTimeoutMs: BODY_TIMEOUT_MS } },
  );
  port = gw.gw.port;
});
afterEach(() => {
  closeRawConnections();
  up.setDefault(behave.reply());
});
afterAll(async () => {
  await closeGateways();
  await closeAllUpstreams();
});

const AUTH = { authorization: `Bearer ${KEY}`, "content-type": "application/json" };
const chat = (body: string | Uint8Array, headers: Record<string, string> = {}) => httpRequest("POST", "/v1/chat/completions", { ...AUTH, ...headers }, body);
const ok = JSON.stringify(hello());

/** The access-log entry of the request whose log line matches `pred`, once it is written. */
async function accessEntry(pred: (e: Started["access"][number]) => boolean): Promise<Started["access"][number]> {
  for (let i = 0; i < 200; i++) {
    const e = gw.access.find(pred);
    if (e) return e;
    await sleep(10);
  }
  throw new Error("no such access-log entry");
}

describe("bodies that are not a chat request", () => {
  it("invalid JSON, a non-object and an empty body are 400s with the OpenAI error shape", async () => {
    const cases: [string, string][] = [
      ["{not json", "invalid_json"],
      ['{"model":"chat",', "invalid_json"],
      ['{"model":"chat"}}', "invalid_json"],
      ["{'model':'chat'}", "invalid_json"],
      ['{"model":NaN}', "invalid_json"],
      ["\uFEFF" + ok, "invalid_json"], // a byte-order mark is not JSON
      ["", "invalid_json"],
      ["   ", "invalid_json"],
      ["[]", "invalid_request"],
      ["[" + ok + "]", "invalid_request"],
      ["123", "invalid_request"],
      ['"a string"', "invalid_request"],
      ["null", "invalid_request"],
      ["true", "invalid_request"],
    ];
    for (const [body, code] of cases) {
      const { res, conn } = await rawRequest(port, chat(body));
      const e = expectError(res, 400);
      expect(e, JSON.stringify(body)).toMatchObject({ type: "invalid_request_error", code, param: null });
      conn.destroy();
    }
  });

  it("a Content-Length of 0 is answered at once, not left waiting for a body", async () => {
    const { res } = await rawRequest(port, httpRequest("POST", "/v1/chat/completions", { ...AUTH, "content-length": "0" }));
    expect(expectError(res, 400).message).toContain("empty");
  });

  it("100k nested brackets, anywhere, are a 400 naming the top-level field (never a stack overflow or a 500)", async () => {
    const N = 100_000;
    const arrays = "[".repeat(N) + "]".repeat(N);
    const objects = '{"a":'.repeat(N / 2) + "1" + "}".repeat(N / 2);
    const msg = '"messages":[{"role":"user","content":"hi"}]';
    const cases: [string, string | null, string][] = [
      ["[".repeat(N), null, "invalid_json"], // never closed
      [arrays, null, "invalid_request"],
      [`{"model":"chat",${msg},"extra":${arrays}}`, "extra", "invalid_request"],
      [`{"model":"chat",${msg},"metadata":${objects}}`, "metadata", "invalid_request"],
      [`{"model":"chat","messages":[{"role":"user","content":"hi","extra":${arrays}}]}`, "messages", "invalid_request"],
      [`{"model":"chat","messages":[{"role":"user","content":[{"type":"text","text":"hi","x":${objects}}]}]}`, "messages", "invalid_request"],
      [`{"model":"chat",${msg},"tools":[{"type":"function","function":{"name":"f","parameters":${objects}}}]}`, "tools", "invalid_request"],
      [`{"model":"upstream",${msg},"stream":true,"response_format":{"type":"json_schema","json_schema":${objects}}}`, "response_format", "invalid_request"],
    ];
    for (const [body, param, code] of cases) {
      const { res, conn } = await rawRequest(port, chat(body));
      const e = expectError(res, 400);
      expect(e, body.slice(0, 80)).toMatchObject({ code, param });
      conn.destroy();
    }
    expect(up.requests).toHaveLength(0); // nothing reached a provider
  });

  it(`nesting up to ${MAX_JSON_DEPTH} levels is accepted, one more is refused`, async () => {
    // the body object is level 1, so `extra` holds MAX_JSON_DEPTH - 1 levels
    const nested = (levels: number) => "[".repeat(levels) + "]".repeat(levels);
    const at = await postChat(gw.base, `{"model":"chat","messages":[{"role":"user","content":"hi"}],"extra":${nested(MAX_JSON_DEPTH - 1)}}`);
    expect(at.status).toBe(200);
    await at.arrayBuffer();
    const over = await fetched(await postChat(gw.base, `{"model":"chat","messages":[{"role":"user","content":"hi"}],"extra":${nested(MAX_JSON_DEPTH)}}`));
    expect(expectError(over, 400)).toMatchObject({ param: "extra", message: `\`extra\` nests deeper than ${MAX_JSON_DEPTH} levels` });
  });

  it("invalid UTF-8 in the path and headers is tolerated: the request is answered on its merits", async () => {
    const path = Buffer.concat([Buffer.from("GET /v1/\xff\xfe HTTP/1.1\r\nhost: x\r\nx-junk: ", "latin1"), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from("\r\n\r\n")]);
    const notFound = await rawRequest(port, path);
    expect(expectError(notFound.res, 404).code).toBe("not_found");
    const badKey = Buffer.concat([Buffer.from("POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nauthorization: Bearer sk-", "latin1"), Buffer.from([0xff, 0xc3]), Buffer.from(`\r\ncontent-length: ${ok.length}\r\n\r\n${ok}`)]);
    const unauthorized = await rawRequest(port, badKey);
    expect(expectError(unauthorized.res, 401).code).toBe("invalid_api_key");
    // a request id that is not a sane token is replaced, never echoed
    const hostileId = Buffer.concat([Buffer.from(`POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nauthorization: Bearer ${KEY}\r\nx-request-id: <script> `, "latin1"), Buffer.from([0xff]), Buffer.from(`${"x".repeat(300)}\r\ncontent-length: ${ok.length}\r\n\r\n${ok}`)]);
    const { res } = await rawRequest(port, hostileId);
    expect(res.status).toBe(200);
    expect(res.headers["x-request-id"]).toMatch(/^req_[a-z0-9_]+$/);
  });
});

describe("heads and bodies over the limits", () => {
  it("heads up to 16 KiB are served, in one header or many (uWS v20.57 alone would refuse those over 4 KiB)", async () => {
    for (const headers of [{ "x-big": "a".repeat(15_000) }, Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`x-h${i}`, "b".repeat(500)]))]) {
      const { res } = await rawRequest(port, chat(ok, headers));
      expect(res.status, res.body).toBe(200);
    }
    const { res } = await rawRequest(port, httpRequest("GET", `/healthz?${"q".repeat(12_000)}`, {}));
    expect(res.status, res.body).toBe(200);
  });

  it("a head over 16 KiB gets the JSON 431 and a close (or uWS closes at once when the head arrives in pieces)", async () => {
    for (const headers of [{ "x-big": "a".repeat(20_000) }, Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`x-h${i}`, "b".repeat(600)]))]) {
      const conn = await RawConnection.open(port);
      conn.write(chat(ok, headers));
      await conn.closedWithin(5000);
      // nothing was served; if uWS parsed the head, the answer is the 431
      if (conn.all.length > 0) {
        expect(conn.all).toHaveLength(1);
        const e = expectError(conn.all[0]!, 431);
        expect(e).toMatchObject({ code: "request_headers_too_large", type: "invalid_request_error" });
      }
    }
    // a long query string counts too
    const conn = await RawConnection.open(port);
    conn.write(httpRequest("GET", `/healthz?${"q".repeat(20_000)}`, {}));
    await conn.closedWithin(5000);
    if (conn.all.length > 0) expectError(conn.all[0]!, 431);
  });

  it("a 64 KB head, past uWS v20.57's own cap, gets a 431 and a close (uWS's HTML one there), never an answer", async () => {
    const conn = await RawConnection.open(port);
    conn.write(chat(ok, { "x-big": "a".repeat(64 * 1024) }));
    await conn.closedWithin(5000);
    expect(conn.all.length).toBeLessThanOrEqual(1);
    if (conn.all.length > 0) expect(conn.all[0]!.status).toBe(431);
  });

  it("48 header lines (as many as uWS parses) within the size limit are served", async () => {
    const headers = Object.fromEntries(Array.from({ length: 44 }, (_, i) => [`x-h${i}`, "v"]));
    const { res } = await rawRequest(port, chat(ok, headers));
    expect(res.status).toBe(200);
  });

  it("ambiguous framing is never guessed: two Content-Lengths get a 400 and a close, a length beside chunked a close (uWS v20.57 answers its own 400 first)", async () => {
    const body = '{"model":"chat","messages":[{"role":"user","content":"hi"}]}';
    const head = `POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: ${AUTH.authorization}\r\ncontent-type: application/json\r\n`;
    const twoLengths = await RawConnection.open(port);
    twoLengths.write(`${head}content-length: ${body.length}\r\ncontent-length: 5\r\n\r\n${body}`);
    expect(expectError(await twoLengths.response(0), 400).message).toContain("framing is ambiguous");
    await twoLengths.closedWithin(5000);
    expect(twoLengths.all).toHaveLength(1);
    const lengthAndChunked = await RawConnection.open(port);
    lengthAndChunked.write(`${head}content-length: 5\r\ntransfer-encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`);
    await lengthAndChunked.closedWithin(5000);
    // uWS refuses it before aigw sees it: v20.30 closes without an answer, v20.57 sends an HTML 400 first
    expect(lengthAndChunked.all.length).toBeLessThanOrEqual(1);
    if (lengthAndChunked.all.length > 0) expect(lengthAndChunked.all[0]!.status).toBe(400);
  });

  it("a body over max_body is a 413 and the connection closes (declared, streamed, or sent whole)", async () => {
    const big = Buffer.alloc(MAX_BODY + 1024, 0x61);
    const variants: Buffer[] = [
      // declared too large: answered before any of the body is sent
      httpRequest("POST", "/v1/chat/completions", { ...AUTH, "content-length": String(10 * MAX_BODY) }),
      // chunked with no length: answered once the limit is crossed
      Buffer.concat([httpRequest("POST", "/v1/chat/completions", { ...AUTH, "transfer-encoding": "chunked" }), Buffer.from(`${big.length.toString(16)}\r\n`), big, Buffer.from("\r\n0\r\n\r\n")]),
      // sent whole, with a request pipelined behind it that must not be served
      Buffer.concat([chat(big), httpRequest("GET", "/healthz", {})]),
    ];
    for (const bytes of variants) {
      const conn = await RawConnection.open(port);
      conn.write(bytes);
      const res = await conn.response(0);
      expect(expectError(res, 413).code).toBe("request_too_large");
      await conn.closedWithin(5000);
      expect(conn.all).toHaveLength(1);
    }
  });

  it("a body that stops half-way, or drips, gets a 408 and a close while other requests are served", async () => {
    const head = httpRequest("POST", "/v1/chat/completions", { ...AUTH, "content-length": String(ok.length) });
    const stalled = await RawConnection.open(port);
    stalled.write(Buffer.concat([head, Buffer.from(ok.slice(0, 10))]));
    const dripping = await RawConnection.open(port);
    dripping.write(head);
    let sent = 0;
    const drip = setInterval(() => dripping.write(ok[sent++ % ok.length]!), 50);
    try {
      // a normal request meanwhile is answered without waiting for them
      const r = await postChat(gw.base, hello());
      expect(r.status).toBe(200);
      await r.arrayBuffer();
      expect(stalled.isClosed || dripping.isClosed).toBe(false);
      for (const conn of [stalled, dripping]) {
        const res = await conn.response(0, 5 * BODY_TIMEOUT_MS);
        expect(expectError(res, 408)).toMatchObject({ code: "request_timeout", type: "invalid_request_error" });
        await conn.closedWithin(5000);
      }
    } finally {
      clearInterval(drip);
    }
    // logged as what the client got, never as an internal error
    const logged = await accessEntry((e) => e.status === 408);
    expect(logged.path).toBe("/v1/chat/completions");
    expect(logged.error).toBe("request_timeout");
  });

  it("headers sent and no body at all: the same 408", async () => {
    const conn = await RawConnection.open(port);
    conn.write(httpRequest("POST", "/v1/chat/completions", { ...AUTH, "content-length": "100" }));
    expectError(await conn.response(0, 5 * BODY_TIMEOUT_MS), 408);
    await conn.closedWithin(5000);
  });
});

describe("pipelined requests", () => {
  it("several requests in one write, answered without waiting on anything, are each answered in order", async () => {
    const conn = await RawConnection.open(port);
    conn.write(
      Buffer.concat([
        httpRequest("GET", "/healthz", {}),
        chat("{not json"),
        httpRequest("GET", "/v1/models", { authorization: `Bearer ${KEY}` }),
        httpRequest("GET", "/nowhere", {}),
        chat(ok), // the mock answers without I/O
        chat(JSON.stringify({ model: "chat", messages: [{ role: "user", content: 3 }] })),
        httpRequest("DELETE", "/v1/chat/completions", {}),
      ]),
    );
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await conn.response(i)).status);
    expect(statuses).toEqual([200, 400, 200, 404, 200, 400, 405]);
    expect(JSON.parse(conn.all[4]!.body).choices[0].message.content).toContain("hello there");
    expect(expectError(conn.all[5]!).param).toBe("messages[0].content");
    expect(conn.isClosed).toBe(false);
  });

  it("HEAD is answered as GET without a body, so the next response on the connection stays in step", async () => {
    const conn = await RawConnection.open(port);
    conn.bodiless.add(0).add(1).add(2);
    conn.write(Buffer.concat([httpRequest("HEAD", "/healthz", {}), httpRequest("HEAD", "/nowhere", {}), httpRequest("HEAD", "/v1/models", {}), httpRequest("GET", "/healthz", {})]));
    const [health, missing, models, get] = [await conn.response(0), await conn.response(1), await conn.response(2), await conn.response(3)];
    expect([health.status, missing.status, models.status, get.status]).toEqual([200, 404, 401, 200]);
    expect(health.headers["content-length"]).toBe(String('{"status":"ok"}'.length));
    expect(get.body).toBe('{"status":"ok"}');
    expect(conn.received.split('{"status":"ok"}')).toHaveLength(2); // the body went out once, after the GET
  });

  it("a request pipelined behind one still waiting on its upstream makes uWS close the connection; the upstream call is cancelled", async () => {
    up.next(behave.stallHeaders());
    const before = up.requests.length;
    const conn = await RawConnection.open(port);
    conn.write(chat(JSON.stringify(hello("upstream"))));
    await up.waitForRequests(before + 1);
    conn.write(httpRequest("GET", "/healthz", {}));
    await conn.closedWithin(5000);
    expect(conn.all).toHaveLength(0);
    await up.requests[before]!.aborted;
    const logged = await accessEntry((e) => e.model === "upstream" && e.aborted === true);
    expect(logged.status).toBe(499);
  });
});

describe("clients that go away", () => {
  it("before the body is complete: nothing reaches a provider", async () => {
    const before = up.requests.length;
    const conn = await RawConnection.open(port);
    const body = JSON.stringify(hello("upstream"));
    conn.write(Buffer.concat([httpRequest("POST", "/v1/chat/completions", { ...AUTH, "content-length": String(body.length) }), Buffer.from(body.slice(0, 20))]));
    await sleep(20);
    conn.destroy();
    await conn.closed;
    // logged as a client that left (499) before its model was even known
    await accessEntry((e) => e.status === 499 && e.aborted === true && e.model === undefined);
    expect(up.requests.length).toBe(before);
  });

  it("during a stalled upstream call: the upstream sees its request aborted", async () => {
    up.next(behave.stallHeaders());
    const before = up.requests.length;
    const conn = await RawConnection.open(port);
    conn.write(chat(JSON.stringify(hello("upstream"))));
    await up.waitForRequests(before + 1);
    conn.destroy();
    await up.requests[before]!.aborted;
    expect(up.requests[before]!.clientAborted).toBe(true);
  });

  it("mid-stream: the upstream stream is cancelled", async () => {
    up.next(behave.stallBody());
    const before = up.requests.length;
    const conn = await RawConnection.open(port);
    conn.write(chat(JSON.stringify({ ...hello("upstream"), stream: true })));
    await conn.sees("data: {"); // the first event was relayed
    conn.destroy();
    await up.requests[before]!.aborted;
    const logged = await accessEntry((e) => e.model === "upstream" && e.stream === true && e.aborted === true);
    expect(logged.status).toBe(499);
  });

  it("right after connecting, mid-head, and after the whole request of a streamed mock reply", async () => {
    const streamed = chat(JSON.stringify({ model: "chat", stream: true, messages: [{ role: "user", content: "x ".repeat(2000) }] }));
    for (const bytes of [Buffer.alloc(0), streamed.subarray(0, 30), streamed]) {
      const conn = await RawConnection.open(port);
      if (bytes.length) conn.write(bytes);
      conn.destroy();
      await conn.closed;
    }
    const r = await fetch(`${gw.base}/healthz`);
    expect(r.status).toBe(200);
  });
});

describe("paths and methods", () => {
  it("unknown paths are 404 and wrong methods 405 with Allow, all in the OpenAI shape", async () => {
    const cases: [Buffer, number, string][] = [
      [httpRequest("GET", "/", {}), 404, "not_found"],
      [httpRequest("GET", "/v1/chat/completions/../models", {}), 404, "not_found"],
      [httpRequest("POST", "/v2/chat/completions", AUTH, ok), 404, "not_found"],
      [httpRequest("GET", `/${"x".repeat(2000)}`, {}), 404, "not_found"],
      [httpRequest("GET", "/v1/chat/completions", {}), 405, "method_not_allowed"],
      [httpRequest("PUT", "/v1/chat/completions", AUTH, ok), 405, "method_not_allowed"],
      [httpRequest("DELETE", "/healthz", {}), 405, "method_not_allowed"],
      [httpRequest("OPTIONS", "/v1/chat/completions", {}), 405, "method_not_allowed"],
      [httpRequest("PATCH", "/v1/models", AUTH, "{}"), 405, "method_not_allowed"],
    ];
    for (const [bytes, status, code] of cases) {
      const { res, conn } = await rawRequest(port, bytes);
      expect(expectError(res, status).code).toBe(code);
      if (status === 405) expect(res.headers["allow"]).toBeTruthy();
      conn.destroy();
    }
  });
});

describe("after all of it", () => {
  it("the gateway is alive, healthy, answers completions and has logged no error", async () => {
    expect((await fetch(`${gw.base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${gw.base}/readyz`);
    expect(ready.status).toBe(200);
    const reply = await gw.client.chat.completions.create(hello());
    expect(reply.choices[0]!.message.content).toContain("hello there");
    const viaUpstream = await gw.client.chat.completions.create(hello("upstream"));
    expect(viaUpstream.choices[0]!.message.content).toBe("hello from openai");
    const stream = await gw.client.chat.completions.create({ ...hello("upstream"), stream: true });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe("hello from openai");
    expect(gw.logs.filter((l) => l.level === "error")).toEqual([]);
    expect(gw.access.some((e) => e.status >= 500)).toBe(false);
  });
});
