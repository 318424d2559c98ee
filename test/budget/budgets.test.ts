/**
 * Budgets and rate limits through the real server (runtime/budget): the
 * atomic reservation, downgrade and reject, limit 429s with OpenAI's
 * headers, settlement from the provider's usage, warnings, the admin list,
 * and no reservation left behind after failures, timeouts and aborts.
 */
import { afterEach, describe, expect, it } from "vitest";
import { budgetKey, dollarsToMicros, memoryStore, type Store } from "../../runtime/state/index.js";
import { closeGateways, KEY, KEY_HASH, policy, serve } from "../server/helpers.js";

const head = (provider = "{ api mock latency 20ms }", extra = "") => `
gateway { admin_token env("ADMIN") }
keys { "${KEY_HASH}" team "search" }
provider p ${provider}
model big = p/"big" { input $1000/Mtok output $2000/Mtok context 8k }
model cheap = p/"cheap" { input $1/Mtok output $1/Mtok context 8k }
${extra}
`;

const DAY = { kind: "calendar", unit: "day" } as const;
const stores: Store[] = [];
function store(clock: () => number = Date.now): Store {
  const s = memoryStore({ clock });
  stores.push(s);
  return s;
}

afterEach(async () => {
  await closeGateways();
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

async function chat(base: string, body: Record<string, unknown> = {}, signal?: AbortSignal): Promise<Response> {
  return fetch(`${base}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "chat", messages: [{ role: "user", content: "hello there" }], max_tokens: 10, ...body }),
    ...(signal ? { signal } : {}),
  });
}

async function counter(s: Store, budget: string, scope: string): Promise<{ spent: number; reserved: number }> {
  const [v] = await s.read([{ key: budgetKey(budget, scope), window: DAY }]);
  return { spent: v!.spent, reserved: v!.reserved };
}

describe("hard budgets", () => {
  it("never admit more than the limit with many concurrent requests", async () => {
    const s = store();
    // worst case per request: (11 bytes of text + 4 a message + 4 a block + 3) × 1000 + 10 × 2000 = 42,000 µ$; $0.10 admits two at a time
    const graph = policy(head("{ api mock latency 50ms }", `budget b { per team limit $0.10 per day exceeded reject }\nroute r { when model == "chat" budget b to big }`));
    const { base } = await serve(graph, { store: s });
    const replies = await Promise.all(Array.from({ length: 30 }, () => chat(base)));
    const ok = replies.filter((r) => r.status === 200).length;
    expect(ok).toBeGreaterThan(0);
    expect(replies.filter((r) => r.status === 429).length).toBe(30 - ok);
    const c = await counter(s, "b", "search");
    expect(c.reserved).toBe(0);
    expect(c.spent).toBeLessThanOrEqual(dollarsToMicros(0.1));
  });

  it("settles with the provider's usage times the model's prices", async () => {
    const s = store();
    const { base } = await serve(policy(head(undefined, `budget b { per team limit $10 per day exceeded reject }\nroute r { when model == "chat" budget b to big }`)), { store: s });
    const res = await chat(base);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { usage: { prompt_tokens: number; completion_tokens: number } };
    expect(await counter(s, "b", "search")).toEqual({ spent: body.usage.prompt_tokens * 1000 + body.usage.completion_tokens * 2000, reserved: 0 });
  });

  it("settles a stream from its final usage chunk", async () => {
    const s = store();
    const { base } = await serve(policy(head(undefined, `budget b { per team limit $10 per day exceeded reject }\nroute r { when model == "chat" budget b to big }`)), { store: s });
    const res = await chat(base, { stream: true, stream_options: { include_usage: true } });
    const text = await res.text();
    const usage = text
      .split("\n")
      .filter((l) => l.startsWith("data: {"))
      .map((l) => JSON.parse(l.slice(6)) as { usage?: { prompt_tokens: number; completion_tokens: number } })
      .find((c) => c.usage)!.usage!;
    expect(await counter(s, "b", "search")).toEqual({ spent: usage.prompt_tokens * 1000 + usage.completion_tokens * 2000, reserved: 0 });
  });

  it("rejects with a 429 naming the budget and when it resets", async () => {
    const s = store();
    const { base } = await serve(policy(head(undefined, `budget b { per team limit $0.01 per day exceeded reject }\nroute r { when model == "chat" budget b to big }`)), { store: s });
    const res = await chat(base);
    expect(res.status).toBe(429);
    const body = (await res.json()) as { error: { code: string; message: string; type: string } };
    expect(body.error.code).toBe("budget_exceeded");
    expect(body.error.message).toContain("budget `b`");
    expect(body.error.message).toMatch(/resets at \d{4}-\d\d-\d\dT00:00:00\.000Z/);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await counter(s, "b", "search")).toEqual({ spent: 0, reserved: 0 });
  });

  it("downgrades when the worst case does not fit, and when the budget is spent", async () => {
    const s = store();
    const { base } = await serve(policy(head(undefined, `budget b { per team limit $0.01 per day exceeded downgrade cheap }\nroute r { when model == "chat" budget b to big }`)), { store: s });
    const first = await chat(base);
    expect(first.status).toBe(200);
    expect(first.headers.get("x-aigw-target")).toBe("cheap");
    // now spent past the limit: admission refuses the full plan and re-plans to the downgrade
    const r = await s.reserve(budgetKey("b", "search"), 1, dollarsToMicros(1), DAY);
    await s.settle(r.reservation!, dollarsToMicros(0.02));
    const second = await chat(base);
    expect(second.headers.get("x-aigw-target")).toBe("cheap");
    expect((await counter(s, "b", "search")).reserved).toBe(0);
  });

  it("refuses once spent reaches the limit, even a request priced at nothing", async () => {
    const s = store();
    const free = `model free = p/"free" { input $0/Mtok output $0/Mtok context 8k }\nbudget b { per team limit $0.01 per day exceeded reject }\nroute r { when model == "chat" budget b to free }`;
    const { base } = await serve(policy(head(undefined, free)), { store: s });
    expect((await chat(base)).status).toBe(200);
    const r = await s.reserve(budgetKey("b", "search"), 1, dollarsToMicros(1), DAY);
    await s.settle(r.reservation!, dollarsToMicros(0.01));
    const refused = await chat(base);
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("budget_exceeded");
    expect(await counter(s, "b", "search")).toEqual({ spent: dollarsToMicros(0.01), reserved: 0 });
  });

  it("decides without reading the counters first, except when the decision record is logged", async () => {
    const counting = (s: Store): { store: Store; reads: () => number } => {
      let reads = 0;
      const store = new Proxy(s, {
        get(target, prop) {
          const v = Reflect.get(target, prop) as unknown;
          if (prop === "read") return (...a: unknown[]) => (reads++, (v as (...a: unknown[]) => unknown).apply(target, a));
          return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      });
      return { store, reads: () => reads };
    };
    const graph = policy(head(undefined, `budget b { per team limit $0.01 per day exceeded downgrade cheap }\nroute r { when model == "chat" budget b to big }`));
    const plain = counting(store());
    const { base } = await serve(graph, { store: plain.store });
    // Admission alone refuses `big` and re-plans: the same downgrade a decide on the counters gives.
    expect((await chat(base)).headers.get("x-aigw-target")).toBe("cheap");
    expect((await chat(base)).headers.get("x-aigw-target")).toBe("cheap");
    expect(plain.reads()).toBe(0);
    const logged = counting(store());
    const { base: loggedBase } = await serve(graph, { store: logged.store, observe: { logDecisions: true } });
    expect((await chat(loggedBase)).headers.get("x-aigw-target")).toBe("cheap");
    expect(logged.reads()).toBe(1);
  });

  it("sends x-aigw-budget-warning past the warn percentage and logs the crossing once", async () => {
    const s = store();
    const { base, logs } = await serve(policy(head(undefined, `budget b { per team limit $1 per day warn 3% exceeded reject }\nroute r { when model == "chat" budget b to big }`)), { store: s });
    const first = await chat(base);
    // reserved (22 tokens of input bound × 1000 + 10 × 2000) = 42,000 µ$ of $1
    expect(first.headers.get("x-aigw-budget-warning")).toMatch(/^b; 4%$/);
    const second = await chat(base);
    expect(second.headers.get("x-aigw-budget-warning")).toMatch(/^b; \d+%$/);
    expect(logs.filter((l) => l.msg === "budget warning crossed")).toHaveLength(1);
  });
});

describe("rate limits", () => {
  // Per-minute windows: a real clock could cross a minute boundary between two requests.
  const MID_MINUTE = Date.UTC(2026, 0, 1, 12, 0, 30);
  const fixed = () => MID_MINUTE;

  it("name the refusing limit in the access log when admission (not the counters read before deciding) refuses", async () => {
    const real = store(fixed);
    // Reads that always look empty, as a read racing another gateway's admission can: only the atomic admission refuses.
    const stale = new Proxy(real, {
      get(target, prop) {
        if (prop === "read") return async (counters: Parameters<Store["read"]>[0]) => (await target.read(counters)).map((r) => ({ ...r, spent: 0, reserved: 0 }));
        const v = Reflect.get(target, prop) as unknown;
        return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const { base, access } = await serve(policy(head(undefined, `limit one { per key requests 1 per minute }\nroute r { when model == "chat" limit one to big }`)), { store: stale, world: { now: fixed } });
    expect((await chat(base)).status).toBe(200);
    const refused = await chat(base);
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toContain("rate limit `one`");
    expect((access.at(-1) as { rejectedBy?: unknown }).rejectedBy).toEqual({ kind: "limit", name: "one" });
  });

  it("say what is left in x-ratelimit headers, and answer 429 with Retry-After and the same headers once used up", async () => {
    const s = store(fixed);
    const { base } = await serve(policy(head(undefined, `limit rl { per key requests 2 per minute }\nroute r { when model == "chat" limit rl to big }`)), { store: s, world: { now: fixed } });
    // Successes carry them too, so a client can pace itself before it is refused.
    const first = await chat(base);
    expect(first.status).toBe(200);
    expect(first.headers.get("x-ratelimit-limit-requests")).toBe("2");
    expect(first.headers.get("x-ratelimit-remaining-requests")).toBe("1");
    expect(first.headers.get("x-ratelimit-reset-requests")).toBe("30s");
    const second = await chat(base);
    expect(second.status).toBe(200);
    expect(second.headers.get("x-ratelimit-remaining-requests")).toBe("0");
    expect(second.headers.get("x-ratelimit-limit-tokens")).toBeNull();
    const res = await chat(base);
    expect(res.status).toBe(429);
    expect(((await res.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: "rate_limited", message: expect.stringContaining("rate limit `rl`") });
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(res.headers.get("x-ratelimit-limit-requests")).toBe("2");
    expect(res.headers.get("x-ratelimit-remaining-requests")).toBe("0");
    expect(res.headers.get("x-ratelimit-reset-requests")).toMatch(/^\d+s$/);
  });
});

describe("a state store that fails", () => {
  const budget = `budget b { per team limit $10 per day exceeded reject }\nroute r { when model == "chat" budget b to big }`;
  const failing = (s: Store, method: "admit" | "finish"): Store =>
    new Proxy(s, {
      get(target, prop) {
        if (prop === method) return async () => Promise.reject(new Error("the store went away"));
        const v = Reflect.get(target, prop) as unknown;
        return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });

  it("at admission: 503 state_unavailable with Retry-After, the cause only in the log", async () => {
    const { base, logs } = await serve(policy(head(undefined, budget)), { store: failing(store(), "admit") });
    const res = await chat(base);
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("state_unavailable");
    expect(body.error.message).not.toContain("went away");
    expect(logs.find((l) => l.msg === "state store unavailable: request refused")?.fields).toMatchObject({ error: "the store went away" });
  });

  it("at settlement: the paid-for reply still reaches the caller and the unrecorded cost is logged", async () => {
    const { base, logs } = await serve(policy(head(undefined, budget)), { store: failing(store(), "finish") });
    const res = await chat(base);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { choices: unknown[] }).choices).toHaveLength(1);
    const line = logs.find((l) => l.msg === "state store unavailable: a cost was not recorded");
    expect(line?.level).toBe("error");
    expect(line?.fields).toMatchObject({ model: "big", costMicros: expect.any(Number) });
    expect((line?.fields?.["costMicros"] as number) > 0).toBe(true);
  });
});

describe("no reservation leaks", () => {
  const budget = `budget b { per team limit $10 per day exceeded reject }\nroute r { when model == "chat" budget b to big }`;

  it("after an upstream failure", async () => {
    const s = store();
    const { base } = await serve(policy(head("{ api mock fail_rate 100% fail_status 500 }", budget)), { store: s });
    expect((await chat(base)).status).toBe(502);
    expect(await counter(s, "b", "search")).toEqual({ spent: 0, reserved: 0 });
  });

  it("after a timeout", async () => {
    const s = store();
    const { base } = await serve(policy(head("{ api mock latency 2s timeout 50ms }", budget)), { store: s });
    expect((await chat(base)).status).toBe(504);
    expect(await counter(s, "b", "search")).toEqual({ spent: 0, reserved: 0 });
  });

  for (const stream of [false, true]) {
    it(`after the client aborts (${stream ? "stream" : "json"})`, async () => {
      const s = store();
      const { base, access } = await serve(policy(head("{ api mock latency 300ms }", budget)), { store: s });
      const ac = new AbortController();
      const pending = chat(base, { stream }, ac.signal).catch(() => "aborted");
      while ((await counter(s, "b", "search")).reserved === 0) await new Promise((r) => setTimeout(r, 5));
      ac.abort();
      expect(await pending).toBe("aborted");
      while (access.length === 0) await new Promise((r) => setTimeout(r, 10));
      expect(await counter(s, "b", "search")).toEqual({ spent: 0, reserved: 0 });
    });
  }
});

describe("GET /admin/budgets", () => {
  it("lists every budget counter in dollars behind the admin token", async () => {
    const s = store();
    const { base } = await serve(policy(head(undefined, `budget b { per team limit $10 per day exceeded reject }\nroute r { when model == "chat" budget b to big }`)), { store: s, world: { env: { ADMIN: "secret" } } });
    expect((await chat(base)).status).toBe(200);
    expect((await fetch(`${base}/admin/budgets`)).status).toBe(401);
    const res = await fetch(`${base}/admin/budgets`, { headers: { authorization: "Bearer secret" } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { budgets: { budget: string; scope: string; spent: number; reserved: number; limit: number; resetAt: string }[] };
    expect(body.budgets).toHaveLength(1);
    expect(body.budgets[0]).toMatchObject({ budget: "b", scope: "search", reserved: 0, limit: 10 });
    expect(body.budgets[0]!.spent).toBeGreaterThan(0);
    expect(body.budgets[0]!.resetAt).toMatch(/T00:00:00\.000Z$/);
  });
});
