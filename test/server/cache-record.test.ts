/**
 * What the gateway says about its cache, in-process with an injected clock:
 * the access log and the decision record name the result and the entry, a
 * hit costs nothing and records what it saved, a hit is free of limits
 * unless the cache says `charge hits`, an entry expires exactly at its ttl
 * on the gateway's clock, and no key reaches a log line.
 */
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { sqliteCacheStore } from "../../runtime/cache/index.js";
import { closeAllUpstreams, startUpstream } from "../support/upstreams.js";
import { closeGateways, KEY, KEY_HASH, policy, serve } from "./helpers.js";

afterEach(async () => {
  await closeGateways();
  await closeAllUpstreams();
});

async function setup(extraRoutes = "") {
  const up = await startUpstream("openai");
  let now = 1_800_000_000_000;
  const graph = policy(`keys { "${KEY_HASH}" team "search" }
provider up { api openai  base_url "${up.baseUrl}" }
model gpt = up/"gpt-up" { input $1/Mtok  output $2/Mtok }
limit one { per key  requests 1 per 1h }
limit other { per key  requests 1 per 1h }
cache answers { ttl 10s }
route chat { when model == "chat"  to gpt  cache answers }
route free { when model == "free"  to gpt  limit one  cache answers }
route charged { when model == "charged"  to gpt  limit other  cache { ttl 10s  charge hits } }
${extraRoutes}`);
  const started = await serve(graph, { observe: { logDecisions: true }, world: { env: {}, now: () => now } });
  return { ...started, up, advance: (ms: number) => void (now += ms) };
}

const ask = (model: string, content = "hello") => ({ model, messages: [{ role: "user" as const, content }] });

describe("the cache in the access log and the decision record", () => {
  it("names the result and the entry; a hit costs nothing and saves what the entry cost", async () => {
    const { client, access } = await setup();
    await client.chat.completions.create(ask("chat"));
    await client.chat.completions.create(ask("chat"));
    await new Promise((r) => setTimeout(r, 50));
    const [miss, hit] = access;
    expect(miss!.cache).toMatchObject({ name: "answers", result: "miss" });
    expect(miss!.cache!.entry).toMatch(/^[0-9a-f]{16}$/);
    expect(hit!.cache).toEqual({ name: "answers", result: "hit", entry: miss!.cache!.entry, saved: (11 * 1 + 7 * 2) / 1e6 });
    expect(miss!.cost).toBe((11 * 1 + 7 * 2) / 1e6);
    expect(hit!.cost).toBeUndefined();
    expect(hit!.attempts).toBeUndefined();
    expect(hit!.target).toBe("gpt");
    expect(hit!.decision?.cache).toEqual({ name: "answers", result: "hit", entry: miss!.cache!.entry });
    expect(JSON.stringify(access)).not.toContain(KEY);
  });

  it("a hit is free of limits by default, and counted with `charge hits`", async () => {
    const { client, up } = await setup();
    await client.chat.completions.create(ask("free"));
    const hit = await client.chat.completions.create(ask("free")).withResponse();
    expect(hit.response.headers.get("x-aigw-cache")).toBe("hit");

    await client.chat.completions.create(ask("charged"));
    // Each limit allows one request an hour; the charged hit is the second.
    await expect(client.chat.completions.create(ask("charged"))).rejects.toMatchObject({ status: 429 });
    expect(up.requests).toHaveLength(2);
  });

  it("expires an entry at its ttl on the gateway's clock", async () => {
    const { client, up, advance } = await setup();
    await client.chat.completions.create(ask("chat", "expiring"));
    advance(9_999);
    const before = await client.chat.completions.create(ask("chat", "expiring")).withResponse();
    expect(before.response.headers.get("x-aigw-cache")).toBe("hit");
    expect(before.response.headers.get("age")).toBe("9");
    advance(1);
    const after = await client.chat.completions.create(ask("chat", "expiring")).withResponse();
    expect(after.response.headers.get("x-aigw-cache")).toBe("miss");
    expect(up.requests).toHaveLength(2);
  });

  it("never answers an entry from another policy version", async () => {
    const { gw, client, up } = await setup();
    await client.chat.completions.create(ask("chat", "versioned"));
    gw.setGraph(policy(`keys { "${KEY_HASH}" team "search" }
provider up { api openai  base_url "${up.baseUrl}" }
model gpt = up/"gpt-up" { input $1/Mtok  output $2/Mtok }
cache answers { ttl 10s }
route chat { when model == "chat"  to gpt  cache answers } // a new version`));
    const again = await client.chat.completions.create(ask("chat", "versioned")).withResponse();
    expect(again.response.headers.get("x-aigw-cache")).toBe("miss");
    expect(up.requests).toHaveLength(2);
  });

  it("keeps no caller key and no provider key in the stored entries (a SQLite file, read as bytes)", async () => {
    const up = await startUpstream("openai");
    const dir = mkdtempSync(join(tmpdir(), "aigw-cache-secrets-"));
    const store = sqliteCacheStore({ path: join(dir, "state.db"), clock: Date.now });
    const providerKey = "Zq7uXw2PbL9mR4tYcV8nK3sD6fH1jG5a";
    const graph = policy(`keys { "${KEY_HASH}" team "search" }
provider up { api openai  base_url "${up.baseUrl}"  key env("CACHE_TEST_PROVIDER_KEY") }
model gpt = up/"gpt-up"
route chat { to gpt  cache { ttl 1h } }`);
    const { client } = await serve(graph, { cacheStore: store, world: { env: { CACHE_TEST_PROVIDER_KEY: providerKey } } });
    await client.chat.completions.create(ask("chat", "stored"));
    await client.chat.completions.create({ ...ask("chat", "stored streamed"), stream: true }).then(async (s) => {
      for await (const _ of s);
    });
    const hit = await client.chat.completions.create(ask("chat", "stored")).withResponse();
    expect(hit.response.headers.get("x-aigw-cache")).toBe("hit");
    expect(up.requests[0]!.headers.authorization).toBe(`Bearer ${providerKey}`);
    await store.close();
    const files = readdirSync(dir).map((f) => readFileSync(join(dir, f)).toString("latin1")).join("");
    expect(files).toContain("cache_entries");
    for (const secret of [KEY, providerKey, KEY_HASH]) expect(files).not.toContain(secret);
  });

  it("answers an embeddings request from the cache", async () => {
    const graph = policy(`keys { "${KEY_HASH}" team "search" }
provider demo { api mock }
model vec = demo/"vec"
route embed { to vec  cache { ttl 1h } }`);
    const { client, access } = await serve(graph);
    const first = await client.embeddings.create({ model: "embed", input: ["one", "two"] }).withResponse();
    const second = await client.embeddings.create({ model: "embed", input: ["one", "two"] }).withResponse();
    const other = await client.embeddings.create({ model: "embed", input: ["one", "three"] }).withResponse();
    expect([first, second, other].map((r) => r.response.headers.get("x-aigw-cache"))).toEqual(["miss", "hit", "miss"]);
    expect(second.data.data.map((d) => d.embedding)).toEqual(first.data.data.map((d) => d.embedding));
    await new Promise((r) => setTimeout(r, 50));
    expect(access.map((e) => e.attempts?.length ?? 0)).toEqual([1, 0, 1]);
  });

  it("logs a semantic hit's similarity, the entry that answered and what the embedding cost", async () => {
    const { client, access, up } = await setup(`provider demo { api mock }
model emb = demo/"emb" { input $0.02/Mtok }
route near { when model == "near"  to gpt  cache { ttl 10s  semantic emb } }`);
    // One text written as a string and as two text parts: the exact keys differ, the embedded texts do not.
    await client.chat.completions.create(ask("near", "line one\nline two"));
    const hit = await client.chat.completions
      .create({ model: "near", messages: [{ role: "user", content: [{ type: "text", text: "line one" }, { type: "text", text: "line two" }] }] })
      .withResponse();
    expect(hit.response.headers.get("x-aigw-cache")).toBe("hit; semantic=1.000");
    await new Promise((r) => setTimeout(r, 50));
    const [miss, semantic] = access;
    const embedding = { model: "emb", tokens: expect.any(Number), cost: expect.any(Number) };
    expect(miss!.cache).toMatchObject({ name: "route:near", result: "miss", embedding });
    expect(semantic!.cache).toMatchObject({ name: "route:near", result: "hit", entry: miss!.cache!.entry, similarity: 1, embedding });
    expect(semantic!.cache!.embedding!.cost).toBe((semantic!.cache!.embedding!.tokens! * 0.02) / 1e6);
    expect(semantic!.cost).toBeUndefined();
    expect(up.requests).toHaveLength(1);
  });
});
