/**
 * Budgets shared and predicted: two gateways on one Redis admit no more
 * than the budget together, and the policy's own `test` blocks with `given
 * budget B spent $X` agree with the live server primed through the store.
 */
import { afterAll, describe, expect, it } from "vitest";
import { compileSources } from "../../compiler/index.js";
import { runPolicyTests } from "../../runtime/policy/index.js";
import { budgetKey, dollarsToMicros, memoryStore, redisStore, type Store } from "../../runtime/state/index.js";
import { startRedis, type RedisServer } from "../support/redis.js";
import { closeGateways, KEY, KEY_HASH, policy, serve } from "../server/helpers.js";

const DAY = { kind: "calendar", unit: "day" } as const;
const opened: Store[] = [];
let redis: RedisServer | undefined;

afterAll(async () => {
  await closeGateways();
  await Promise.all(opened.map((s) => s.close()));
  await redis?.stop();
});

const chat = (base: string) =>
  fetch(`${base}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "chat", messages: [{ role: "user", content: "hello there" }], max_tokens: 10 }),
  });

const POLICY = `
keys { "${KEY_HASH}" team "search" }
provider p { api mock latency 30ms }
model big = p/"big" { input $1000/Mtok output $2000/Mtok context 8k }
model cheap = p/"cheap" { input $1/Mtok output $1/Mtok context 8k }
budget b { per team limit $0.20 per day exceeded downgrade cheap }
route r { when model == "chat" budget b to big }
test "an over-budget team is downgraded" {
  request { model "chat" team "search" }
  given budget b spent $0.20
  expect target cheap
}
test "a team under budget gets big" {
  request { model "chat" team "search" }
  given budget b spent $0.05
  expect target big
}
`;

describe("shared and predicted budgets", () => {
  it("two gateways sharing one redis admit no more than the budget together", async () => {
    redis = await startRedis();
    const graph = policy(POLICY.replace("exceeded downgrade cheap", "exceeded reject"));
    const a = redisStore({ clock: Date.now, url: redis.url, prefix: "two:" });
    const b = redisStore({ clock: Date.now, url: redis.url, prefix: "two:" });
    opened.push(a, b);
    const [ga, gb] = await Promise.all([serve(graph, { store: a }), serve(graph, { store: b })]);
    const replies = await Promise.all(Array.from({ length: 40 }, (_, i) => chat(i % 2 ? ga.base : gb.base)));
    expect(replies.some((r) => r.status === 200)).toBe(true);
    expect(replies.some((r) => r.status === 429)).toBe(true);
    const [v] = await a.read([{ key: budgetKey("b", "search"), window: DAY }]);
    expect(v!.reserved).toBe(0);
    expect(v!.spent).toBeLessThanOrEqual(dollarsToMicros(0.2));
  }, 30_000);

  it("`given budget B spent $X` tests agree with the live server primed through the store", async () => {
    const compiled = compileSources([{ path: "main.route", text: POLICY }]);
    const results = await runPolicyTests(compiled.graph!, compiled.tests);
    expect(results.map((r) => r.passed)).toEqual([true, true]);
    for (const [spent, target] of [
      [0.2, "cheap"],
      [0.05, "big"],
    ] as const) {
      const s = memoryStore({ clock: Date.now });
      opened.push(s);
      const r = await s.reserve(budgetKey("b", "search"), 1, dollarsToMicros(1), DAY);
      await s.settle(r.reservation!, dollarsToMicros(spent));
      const { base } = await serve(compiled.graph!, { store: s });
      const res = await chat(base);
      expect(res.status).toBe(200);
      expect(res.headers.get("x-aigw-target")).toBe(target);
    }
  });

  it("a redis that goes away makes requests a 503 state_unavailable with Retry-After, never a 500, and nothing is sent", async () => {
    const own = await startRedis();
    const store = redisStore({ clock: Date.now, url: own.url, prefix: "gone:" });
    opened.push(store);
    const { base, logs } = await serve(policy(POLICY.replace("exceeded downgrade cheap", "exceeded reject")), { store });
    expect((await chat(base)).status).toBe(200);
    await own.stop();
    const res = await chat(base);
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
    const body = (await res.json()) as { error: { code: string; type: string; message: string } };
    expect(body.error).toMatchObject({ code: "state_unavailable", type: "server_error" });
    expect(body.error.message).not.toContain(own.url);
    expect(logs.some((l) => l.msg === "state store unavailable: request refused")).toBe(true);
    expect(logs.some((l) => l.level === "error")).toBe(false);
  });
});
