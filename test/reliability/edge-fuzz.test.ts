/**
 * Property tests of the HTTP edge with fast-check, through a real gateway on
 * 127.0.0.1 (mock provider): a wrong value in any checked field of a chat
 * request is a 400 naming the field's path; any JSON value, any bytes and
 * any invalid UTF-8 as the body are 4xx OpenAI-style errors, never a 5xx;
 * a client that leaves at any byte of its request or any moment of its
 * reply leaves the server serving. No error is logged throughout.
 */
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { closeGateways, KEY, KEY_HASH, policy, postChat, serve, type Started } from "../server/helpers.js";
import { closeRawConnections, expectError, fetched, httpRequest, RawConnection, sleep } from "./edge-helpers.js";
import { mutatedRequest, validRequest } from "./edge-fields.js";

const POLICY = `
gateway { max_body 256KB }
provider demo { api mock }
keys { "${KEY_HASH}" team "edge" }
model fast = demo/"mock-fast"
route chat { when model == "chat"  to fast }
`;

let gw: Started;
beforeAll(async () => {
  gw = await serve(policy(POLICY));
});
afterEach(closeRawConnections);
afterAll(closeGateways);

const AUTH = { authorization: `Bearer ${KEY}`, "content-type": "application/json" };

describe("the edge under generated input", () => {
  it("answers the request that uses every checked field with 200", async () => {
    const r = await postChat(gw.base, validRequest());
    expect(r.status, await r.clone().text()).toBe(200);
    await r.arrayBuffer();
  });

  it("a wrong value in any field of the chat request is a 400 naming its path", async () => {
    await fc.assert(
      fc.asyncProperty(mutatedRequest, async ({ body, param }) => {
        const res = await fetched(await postChat(gw.base, body));
        const e = expectError(res, 400);
        expect(e.type).toBe("invalid_request_error");
        expect(e.code).toBe("invalid_request");
        expect(e.param).toBe(param);
        expect(e.message).toContain("`" + param);
      }),
      { numRuns: 300 },
    );
  });

  it("any JSON value as the body is a 4xx error, never a 5xx", async () => {
    const body = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }),
      // a valid request with extra fields of any value (they are passed through, or refused when they are known)
      fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 }).map((extra) => ({ ...validRequest(), ...extra })),
    );
    await fc.assert(
      fc.asyncProperty(body, async (value) => {
        const r = await postChat(gw.base, JSON.stringify(value));
        const res = await fetched(r);
        expect(res.status, res.body).toBeLessThan(500);
        if (res.status >= 400) expectError(res);
        else expect(res.status).toBe(200);
      }),
      { numRuns: 200 },
    );
  });

  it("random bytes and invalid UTF-8 are a 400 invalid_json or invalid_request", async () => {
    const invalidSequences = fc.constantFrom(
      [0xff],
      [0xfe, 0xff],
      [0xc3, 0x28], // a lead byte without its continuation
      [0xa0, 0xa1], // continuations without a lead
      [0xc0, 0x80], // an overlong NUL
      [0xed, 0xa0, 0x80], // a UTF-16 surrogate encoded in UTF-8
      [0xf4, 0x90, 0x80, 0x80], // past U+10FFFF
      [0xe2, 0x82], // truncated
    );
    // the bad bytes inside the content string of a request that is otherwise valid
    const inString = fc.tuple(invalidSequences, fc.string({ maxLength: 20 })).map(([bad, text]) => {
      const [head, tail] = JSON.stringify({ model: "chat", messages: [{ role: "user", content: `${text}\u0000BAD` }] }).split("\\u0000BAD") as [string, string];
      return { bytes: Buffer.concat([Buffer.from(head), Buffer.from(bad), Buffer.from(tail)]) };
    });
    const randomBytes = fc.uint8Array({ minLength: 1, maxLength: 300 }).map((b) => ({ bytes: Buffer.from(b) }));
    await fc.assert(
      fc.asyncProperty(fc.oneof(inString, randomBytes), async ({ bytes }) => {
        const r = await fetch(`${gw.base}/v1/chat/completions`, { method: "POST", headers: AUTH, body: bytes });
        const e = expectError(await fetched(r), 400);
        expect(["invalid_json", "invalid_request"]).toContain(e.code);
      }),
      { numRuns: 150 },
    );
    // the message says what is wrong
    const bad = Buffer.concat([Buffer.from('{"model":"chat","messages":[{"role":"user","content":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}]}')]);
    const e = expectError(await fetched(await fetch(`${gw.base}/v1/chat/completions`, { method: "POST", headers: AUTH, body: bad })), 400);
    expect(e).toMatchObject({ code: "invalid_json", message: "request body is not valid utf-8" });
  });

  it("a client that leaves at any byte of its request, or while its reply is written, leaves the server serving", async () => {
    const port = gw.gw.port;
    const requests = [
      httpRequest("POST", "/v1/chat/completions", AUTH, JSON.stringify(validRequest())),
      httpRequest("POST", "/v1/chat/completions", AUTH, JSON.stringify({ model: "chat", stream: true, messages: [{ role: "user", content: "stream me ".repeat(50) }] })),
      httpRequest("POST", "/v1/chat/completions", { ...AUTH, "transfer-encoding": "chunked" }, `5\r\n{"mod\r\n`),
      httpRequest("GET", "/v1/models", { authorization: `Bearer ${KEY}` }),
    ];
    const cut = fc.record({
      which: fc.nat({ max: requests.length - 1 }),
      // where to stop sending, as a fraction of the request's bytes (1: all of it)
      at: fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constant(1)),
      // how long to wait before leaving: 0 leaves in the same tick as the last write
      waitMs: fc.constantFrom(0, 0, 1, 5),
    });
    await fc.assert(
      fc.asyncProperty(cut, async ({ which, at, waitMs }) => {
        const bytes = requests[which]!;
        const conn = await RawConnection.open(port);
        conn.write(bytes.subarray(0, Math.round(bytes.length * at)));
        if (waitMs > 0) await sleep(waitMs);
        conn.destroy();
        await conn.closed;
      }),
      { numRuns: 60 },
    );
    // every one of them is finished (answered or abandoned) and the server answers as before
    const health = await fetch(`${gw.base}/healthz`);
    expect(health.status).toBe(200);
    const r = await postChat(gw.base, { model: "chat", messages: [{ role: "user", content: "still there?" }] });
    expect(r.status).toBe(200);
    expect(((await r.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toContain("still there?");
    expect(gw.logs.filter((l) => l.level === "error")).toEqual([]);
  });
});
