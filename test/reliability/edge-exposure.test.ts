/**
 * What an anonymous or cross-site client can get out of, or into, a real
 * `aigw serve` process:
 * - unauthenticated `/metrics` labels a `per key` budget with the 12-hex
 *   key id the access log shows, never the key's full SHA-256;
 * - a body that trickles in is answered 408 in the OpenAI error shape
 *   before the connection closes (uWS would otherwise close it silently at
 *   its 10 s idle timeout, long before the default 30 s `--body-timeout`);
 * - a POST whose content type is not JSON (`text/plain`, none at all: what
 *   a web page can send cross-site without a preflight) is a 415, even with
 *   `auth none`; `application/json` with parameters is accepted.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KEY, KEY_HASH } from "../server/helpers.js";
import { closeRawConnections, expectError, httpRequest, RawConnection, startServeChild, stopServeChildren, type ServeChild } from "./edge-helpers.js";

const dir = mkdtempSync(join(tmpdir(), "aigw-exposure-"));
let serve: ServeChild;

beforeAll(async () => {
  writeFileSync(
    join(dir, "main.route"),
    `
gateway { state memory  auth none }
provider demo { api mock }
keys { "${KEY_HASH}" team "edge" }
model fast = demo/"mock-fast" { input $1/Mtok  output $1/Mtok }
budget burst { per key  limit $5 per 1h }
route chat { budget burst  to fast }
`,
  );
  // start-up transpiles the sources on the fly: slow on a busy machine
  serve = await startServeChild(join(dir, "main.route"), [], 90_000);
}, 120_000);

afterAll(async () => {
  closeRawConnections();
  await stopServeChildren();
  rmSync(dir, { recursive: true, force: true });
});

const CHAT = JSON.stringify({ model: "chat", messages: [{ role: "user", content: "hi" }] });

function post(headers: Record<string, string>, body = CHAT): Promise<Response> {
  return fetch(`${serve.base}/v1/chat/completions`, { method: "POST", headers, body });
}

describe("a real aigw serve process", () => {
  it("shows key ids, not key hashes, on unauthenticated /metrics", async () => {
    const res = await post({ authorization: `Bearer ${KEY}`, "content-type": "application/json" });
    expect(res.status).toBe(200);
    const metrics = await (await fetch(`${serve.base}/metrics`)).text();
    const id = KEY_HASH.slice(0, "sha256:".length + 12);
    expect(metrics).toContain(`aigw_budget_spent_dollars{budget="burst",scope="key",scope_key="${id}"}`);
    expect(metrics).not.toContain(KEY_HASH.slice("sha256:".length, "sha256:".length + 13));
  });

  it("answers 408 to a body that trickles in, before the connection closes", { timeout: 40_000 }, async () => {
    const conn = await RawConnection.open(serve.port);
    const head = `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${CHAT.length}\r\n\r\n`;
    conn.write(head);
    let sent = 0;
    const drip = setInterval(() => {
      if (sent < CHAT.length - 1 && !conn.isClosed) conn.write(CHAT[sent++]!);
    }, 400);
    try {
      const res = await conn.response(0, 30_000);
      expectError(res, 408);
      await conn.closed;
    } finally {
      clearInterval(drip);
    }
  });

  it("refuses a POST whose body is not declared as JSON with 415, also with auth none", async () => {
    for (const type of ["text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]) {
      const res = await post({ "content-type": type });
      expect(res.status, type).toBe(415);
      const body = (await res.json()) as { error: { type: string; code: string; param: unknown; message: string } };
      expect(body.error).toMatchObject({ type: "invalid_request_error", code: "unsupported_media_type", param: null });
    }
    // no content type at all (a Blob without a type, sent cross-site): raw, since fetch adds one for a string body
    const conn = await RawConnection.open(serve.port);
    conn.write(httpRequest("POST", "/v1/chat/completions", {}, CHAT));
    expectError(await conn.response(0), 415);
    // JSON with parameters, in any case
    expect((await post({ "content-type": "Application/JSON; charset=utf-8" })).status).toBe(200);
  });
});
