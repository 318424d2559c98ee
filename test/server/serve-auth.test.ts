/**
 * `aigw serve` says at start how callers authenticate, so a policy that can
 * authenticate nobody (no `keys` under the default `auth keys`: lint W504)
 * is loud before the first 401 rather than after. Real `aigw serve`
 * processes on 127.0.0.1 with the built-in mock provider.
 */
import { afterEach, describe, expect, it } from "vitest";
import { policyDir } from "../support/cli.js";
import { startServeChild, stopServeChildren } from "../reliability/edge-helpers.js";
import { hello, KEY_HASH, postChat } from "./helpers.js";

const BODY = `provider demo { api mock }
model fast = demo/"mock-fast"
route chat { when model == "chat"  to fast }
`;

afterEach(stopServeChildren);

// Each child transpiles the TypeScript sources at start: generous on a loaded 2-core machine.
const START_MS = 60_000;
const TEST_MS = 90_000;
const start = (dir: string) => startServeChild(dir, [], START_MS);

describe("aigw serve: how callers authenticate", () => {
  it("warns at start when no key is listed under the default auth keys, and every request is indeed a 401", async () => {
    const serve = await start(policyDir({ "main.route": BODY }));
    expect(serve.stderr()).toContain("warning[W504]: no caller can authenticate");
    expect(serve.stderr()).toContain("auth: keys, but the policy lists no keys: every request will get 401");
    const r = await postChat(serve.base, hello());
    expect(r.status).toBe(401);
    expect(((await r.json()) as { error: { type: string } }).error.type).toBeTruthy();
  }, TEST_MS);

  it("near miss: with one listed key it says how many keys and serves that key's caller", async () => {
    const serve = await start(policyDir({ "main.route": `keys { "${KEY_HASH}" team "search" }\n${BODY}` }));
    expect(serve.stderr()).not.toContain("W504");
    expect(serve.stderr()).toContain("auth: keys (1 key; a request without a listed key gets 401)");
    const r = await postChat(serve.base, hello());
    expect(r.status).toBe(200);
    await r.arrayBuffer();
  }, TEST_MS);

  it("says when anyone may call (auth none)", async () => {
    const serve = await start(policyDir({ "main.route": `gateway { auth none }\n${BODY}` }));
    expect(serve.stderr()).toContain("auth: none (anyone may call, without a key; local development only)");
    expect(serve.stderr()).not.toContain("W504");
  }, TEST_MS);
});
