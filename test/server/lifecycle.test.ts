/**
 * The server over time: split shares over many requests, sticky splits,
 * hot graph swaps that leave requests in flight alone, graceful shutdown,
 * and a slow streaming client.
 */
import { afterEach, describe, expect, it } from "vitest";
import { seededRandom } from "../../runtime/engine/index.js";
import { behave, closeAllUpstreams, startUpstream } from "../support/upstreams.js";
import { closeGateways, delay, hello, helloStream, json, KEY_HASH, policy, postChat, serve } from "./helpers.js";
import { hashKey } from "../../runtime/pipeline/auth.js";

afterEach(async () => {
  await closeGateways();
  await closeAllUpstreams();
});

const SPLIT = (by = "") => `
provider demo { api mock }
keys {
  "${KEY_HASH}" team "search"
  "${hashKey("sk-other")}" team "support"
}
model a = demo/"a"
model b = demo/"b"
route chat {
  when model == "chat"
  split ${by} { 70% a  30% b }
}
`;

describe("splits", () => {
  it("an unkeyed split shares traffic by weight", async () => {
    const { base } = await serve(policy(SPLIT()), { world: { random: seededRandom(7) } });
    const counts: Record<string, number> = { a: 0, b: 0 };
    const n = 400;
    for (let i = 0; i < n; i++) {
      const r = await postChat(base, hello());
      counts[r.headers.get("x-aigw-target")!]!++;
      await r.arrayBuffer();
    }
    expect(counts.a! + counts.b!).toBe(n);
    expect(counts.a! / n).toBeGreaterThan(0.6);
    expect(counts.a! / n).toBeLessThan(0.8);
  });

  it("a split by key is sticky", async () => {
    const { base } = await serve(policy(SPLIT("by key")));
    const targets = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const r = await postChat(base, hello());
      targets.add(r.headers.get("x-aigw-target")!);
      await r.arrayBuffer();
    }
    expect(targets.size).toBe(1);
  });
});

describe("graph swaps and shutdown", () => {
  const slowPolicy = (url: string, route: string) =>
    policy(`
provider one { api openai base_url "${url}" }
keys { "${KEY_HASH}" team "search" }
model a = one/"a"
model b = one/"b"
route ${route} { when model == "chat"  to a }`);

  it("a request in flight finishes on the graph it started with", async () => {
    const up = await startUpstream("openai");
    const first = slowPolicy(up.baseUrl, "old-route");
    const { base, gw } = await serve(first);
    up.next(behave.reply({}, 200));
    const inflight = postChat(base, hello());
    await up.waitForRequests(1);
    gw.setGraph(slowPolicy(up.baseUrl, "new-route"));
    const after = await postChat(base, hello());
    expect(after.headers.get("x-aigw-route")).toBe("new-route");
    const old = await inflight;
    expect(old.status).toBe(200);
    expect(old.headers.get("x-aigw-route")).toBe("old-route");
    expect(old.headers.get("x-aigw-policy")).toBe(first.policy);
  });

  it("graceful shutdown: stops accepting, lets the in-flight request finish", async () => {
    const up = await startUpstream("openai");
    const { base, gw } = await serve(slowPolicy(up.baseUrl, "chat"));
    up.next(behave.reply({ text: "finished" }, 300));
    const inflight = postChat(base, hello()).then(async (r) => [r.status, (await json(r)).choices[0].message.content]);
    await up.waitForRequests(1);
    const closing = gw.close(5000);
    await delay(20);
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
    expect(await inflight).toEqual([200, "finished"]);
    await closing;
  });
});

describe("streaming to a slow client", () => {
  it("delivers a long stream completely to a client that starts reading late", async () => {
    const up = await startUpstream("openai");
    const text = "word ".repeat(200_000); // ~1 MB of content in three deltas
    up.next(behave.reply({ text }));
    const { base } = await serve(
      policy(`
provider one { api openai base_url "${up.baseUrl}" }
keys { "${KEY_HASH}" team "search" }
model a = one/"a"
route chat { when model == "chat"  to a }`),
    );
    const r = await postChat(base, helloStream());
    const reader = r.body!.getReader();
    await delay(100); // the client does not read for a while
    let got = "";
    const dec = new TextDecoder();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      got += dec.decode(value, { stream: true });
    }
    let content = "";
    for (const line of got.split("\n")) {
      if (!line.startsWith("data: {")) continue;
      content += JSON.parse(line.slice(6)).choices[0]?.delta?.content ?? "";
    }
    expect(content).toBe(text);
    expect(got.trimEnd().endsWith("data: [DONE]")).toBe(true);
  });
});
