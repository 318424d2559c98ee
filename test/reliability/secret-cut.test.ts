/**
 * A provider key never leaks through the cut of an upstream error body: a
 * real `aigw serve` calls a fake upstream that answers 401 with a body
 * echoing the gateway's provider key at every offset around the 16 KiB
 * error-body limit (after whitespace, which the error excerpt folds away,
 * so whatever survives the cut is shown). Neither the caller's error, nor
 * the access log, nor stderr carries any run of 6 characters of the key,
 * for JSON and streamed requests alike.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { behave, closeAllUpstreams, startUpstream } from "../support/upstreams.js";
import { KEY, KEY_HASH } from "../server/helpers.js";
import { startServeChild, stopServeChildren } from "./edge-helpers.js";

const dir = mkdtempSync(join(tmpdir(), "aigw-secret-cut-"));
/** The gateway's error-body limit (runtime/providers/http.ts). */
const LIMIT = 16 * 1024;
/** Not key-shaped (no `sk-`): only knowing the key can redact it. */
const PROVIDER_KEY = "Zq7uXw2PbL9mR4tYcV8nK3sD6fH1jG5a";

afterAll(async () => {
  await stopServeChildren();
  await closeAllUpstreams();
  rmSync(dir, { recursive: true, force: true });
});

/** Every run of 6 characters of the key found in `text`. */
function leaks(text: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 6 <= PROVIDER_KEY.length; i++) if (text.includes(PROVIDER_KEY.slice(i, i + 6))) out.push(PROVIDER_KEY.slice(i, i + 6));
  return out;
}

describe("an upstream error body echoing the provider key around the 16 KiB cut", () => {
  it("never shows any part of the key, at any offset, to the caller or in the logs", { timeout: 180_000 }, async () => {
    const up = await startUpstream("openai");
    writeFileSync(
      join(dir, "main.route"),
      `
provider real { api openai base_url "${up.baseUrl}" key env("AIGW_TEST_CUT_KEY") timeout 20s }
keys { "${KEY_HASH}" team "cut" }
model gpt = real/"gpt-4o"
route chat { to gpt }
`,
    );
    process.env["AIGW_TEST_CUT_KEY"] = PROVIDER_KEY;
    const serve = await startServeChild(join(dir, "main.route"), [], 90_000);
    delete process.env["AIGW_TEST_CUT_KEY"];

    const found: string[] = [];
    for (let at = LIMIT - PROVIDER_KEY.length - 2; at <= LIMIT + 2; at++) {
      for (const stream of [false, true]) {
        up.next(behave.raw(401, { "content-type": "text/plain" }, [" ".repeat(at) + PROVIDER_KEY + " was rejected"]));
        const res = await fetch(`${serve.base}/v1/chat/completions`, {
          method: "POST",
          headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
          body: JSON.stringify({ model: "chat", stream, messages: [{ role: "user", content: "hi" }] }),
        });
        const body = await res.text();
        expect(res.status).toBeGreaterThanOrEqual(400);
        for (const l of leaks(body)) found.push(`offset ${at}${stream ? " (stream)" : ""}: \`${l}\` in the response`);
      }
    }
    await serve.stop();
    for (const l of leaks(serve.stdout())) found.push(`\`${l}\` in the access log`);
    for (const l of leaks(serve.stderr())) found.push(`\`${l}\` on stderr`);
    expect(found).toEqual([]);
    // the requests did reach the upstream, with the key
    expect(up.requests.length).toBe(2 * (PROVIDER_KEY.length + 5));
    expect(up.requests[0]!.headers.authorization).toBe(`Bearer ${PROVIDER_KEY}`);
  });
});
