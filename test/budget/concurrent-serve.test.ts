/**
 * `concurrent N` limits against the real gateway (uWebSockets.js, the real
 * pipeline, a mock upstream that answers after 300 ms), called with the
 * `openai` SDK: a burst admits exactly N, the rest get 429 with
 * `Retry-After: 1`; slots free when requests end (answered, streamed to
 * the end, or abandoned by the client); two gateways on one SQLite file
 * share the slots, so the limit holds across processes.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { sqliteStore } from "../../runtime/state/index.js";
import { behave, closeAllUpstreams, startUpstream } from "../support/upstreams.js";
import { closeGateways, delay, hello, helloStream, KEY_HASH, policy, postChat, serve } from "../server/helpers.js";

const SOURCE = (n: number) => `
gateway { state memory }
provider slow { api mock  latency 300ms }
model echo = slow/"echo"
keys { "${KEY_HASH}" team "search" }
limit inflight { per key  concurrent ${n} }
route chat { to echo  limit inflight }
`;

afterEach(async () => {
  await closeGateways();
  await closeAllUpstreams();
});

async function burst(base: string, n: number): Promise<Response[]> {
  return Promise.all(Array.from({ length: n }, () => postChat(base, hello("echo"))));
}

describe("concurrent limits", () => {
  it("admit exactly N of a burst, refuse the rest with Retry-After: 1, and free the slots when requests end", async () => {
    const s = await serve(policy(SOURCE(3)));
    const first = await burst(s.base, 8);
    expect(first.map((r) => r.status).sort()).toEqual([200, 200, 200, 429, 429, 429, 429, 429]);
    const refused = first.find((r) => r.status === 429)!;
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/3 of 3 requests in flight/);
    // Every slot was released: the next burst gets its three again.
    expect((await burst(s.base, 3)).map((r) => r.status)).toEqual([200, 200, 200]);
  });

  it("hold a slot for a stream until it ends, and free the slot of a request the client abandons", async () => {
    const up = await startUpstream("openai");
    const s = await serve(
      policy(`
gateway { state memory }
provider up { api openai  base_url "${up.baseUrl}"  key env("UP_KEY") }
model echo = up/"echo"
keys { "${KEY_HASH}" team "search" }
limit inflight { per key  concurrent 1 }
route chat { to echo  limit inflight }
`),
      { world: { env: { UP_KEY: "sk-up" } } },
    );
    up.next(behave.drip(150));
    const stream = await s.client.chat.completions.create(helloStream("echo"));
    // The first event is in; the rest drip for a while: the slot is still held.
    expect((await postChat(s.base, hello("echo"))).status).toBe(429);
    for await (const _ of stream) void _;
    const after = async (): Promise<number> => {
      let status = 0;
      for (let i = 0; i < 40 && status !== 200; i++) {
        status = (await postChat(s.base, hello("echo"))).status;
        if (status !== 200) await delay(50);
      }
      return status;
    };
    expect(await after()).toBe(200);

    // A client that leaves mid-stream frees its slot too.
    const abandoned = new AbortController();
    up.next(behave.drip(150));
    const gone = await s.client.chat.completions.create(helloStream("echo"), { signal: abandoned.signal });
    expect((await postChat(s.base, hello("echo"))).status).toBe(429);
    abandoned.abort();
    await (async () => {
      try {
        for await (const _ of gone) void _;
      } catch {
        // aborted, as meant
      }
    })();
    expect(await after()).toBe(200);
  });

  it("hold across two gateways on one SQLite file", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "aigw-concurrent-")), "state.db");
    const a = await serve(policy(SOURCE(3).replace("state memory", `state sqlite("${path}")`)), { store: sqliteStore({ path, clock: Date.now }) });
    const b = await serve(policy(SOURCE(3).replace("state memory", `state sqlite("${path}")`)), { store: sqliteStore({ path, clock: Date.now }) });
    const both = await Promise.all([burst(a.base, 4), burst(b.base, 4)]);
    expect(both.flat().filter((r) => r.status === 200)).toHaveLength(3);
    expect(both.flat().filter((r) => r.status === 429)).toHaveLength(5);
  });
});
