import { describe, expect, it } from "vitest";
import type { Graph } from "../../compiler/graph.js";
import { prepare } from "../../runtime/engine/prepare.js";
import { decide } from "../../runtime/engine/decide.js";
import type { Decision, RejectedDecision, RoutedDecision } from "../../runtime/engine/decision.js";
import { GraphError } from "../../runtime/engine/expr.js";
import { makeFacts, type FactsInit } from "../../runtime/engine/facts.js";
import { emptyState, NO_SCOPE_VALUE, type StateView } from "../../runtime/engine/state.js";
import { describeTraceEvent, type TraceEvent } from "../../runtime/engine/trace.js";
import { and, budget, eq, fact, graph, header, limit, model, route } from "./fixtures.js";

function routed(d: Decision): RoutedDecision {
  if (d.kind !== "route") throw new Error(`expected a routed decision, got ${d.kind}`);
  return d;
}
function rejected(d: Decision): RejectedDecision {
  if (d.kind !== "rejected") throw new Error(`expected a rejected decision, got ${d.kind}`);
  return d;
}
const run = (g: Graph, init: FactsInit, state: StateView = emptyState()): Decision => decide(prepare(g), makeFacts(init), state);
const targets = (d: Decision): string[] => routed(d).plan.targets.map((t) => t.model);

describe("route matching", () => {
  const g = graph({
    routes: [
      route("premium", { when: and(model("chat"), header("x-tier", "premium")), to: "gpt-4o" }, 1),
      route("team-any", { when: eq(fact("team"), "ops"), to: "ops-model" }, 2),
      route("chat", { when: model("chat"), to: "mini" }, 3),
      route("embed", { when: model("embed"), to: "e5" }, 4),
      route("catch-all", { to: "fallback-model" }, 5),
    ],
  });

  it("takes the first route whose when holds", () => {
    expect(routed(run(g, { model: "chat", headers: { "x-tier": "premium" } })).route).toEqual({ name: "premium", index: 0, span: g.routes[0]!.span });
    expect(routed(run(g, { model: "chat" })).route.name).toBe("chat");
  });

  it("keeps first-match order across the model bucket and the any-model routes", () => {
    // team-any (index 1) sits between premium (0) and chat (2) and must win over chat.
    expect(routed(run(g, { model: "chat", team: "ops" })).route.name).toBe("team-any");
    expect(routed(run(g, { model: "embed", team: "ops" })).route.name).toBe("team-any");
    expect(routed(run(g, { model: "embed" })).route.name).toBe("embed");
  });

  it("uses only any-model routes for an unknown or missing model", () => {
    expect(routed(run(g, { model: "nope" })).route.name).toBe("catch-all");
    expect(routed(run(g, {})).route.name).toBe("catch-all");
  });

  it("returns 404 with the accepted models when nothing matches", () => {
    const g2 = graph({ routes: [route("chat", { when: model("chat"), to: "mini" }), route("embed", { when: model("embed"), to: "e5" })] });
    const d = run(g2, { model: "gpt-5" });
    expect(d).toMatchObject({ kind: "no-route", status: 404, model: "gpt-5", accepted: ["chat", "embed"] });
    expect(d.kind === "no-route" && d.message).toBe("no route accepts model `gpt-5`; accepted models: `chat`, `embed`");
    expect(run(g2, {}).kind === "no-route" && (run(g2, {}) as { message: string }).message).toMatch(/^the request names no model/);
  });

  it("returns the route's guardrails and shares plans between decisions", () => {
    const g2 = prepare(graph({ routes: [route("r", { to: "a", fallback: ["b"], guard: [] })] }));
    const a = routed(decide(g2, makeFacts({}), emptyState()));
    const b = routed(decide(g2, makeFacts({}), emptyState()));
    expect(a.plan).toBe(b.plan);
    expect(a.guardrails).toEqual([]);
  });
});

describe("attempt plans", () => {
  it("lists the target, then the fallbacks, each once, with retries, reasons, backoff and timeout", () => {
    const g = graph({
      routes: [route("r", { split: [["a", 1], ["b", 1]], fallback: ["b", "c", "a", "c"], on: ["429", "5xx"], retry: 2, backoffMs: 250, timeoutMs: 5000 })],
    });
    const d = routed(run(g, {}, { ...emptyState(), draw: () => 0 }));
    expect(d.split?.model).toBe("a");
    expect(d.plan.targets).toEqual([
      { model: "a", provider: "p", upstream: "up-a", retries: 2, timeoutMs: 5000 },
      { model: "b", provider: "p", upstream: "up-b", retries: 2, timeoutMs: 5000 },
      { model: "c", provider: "p", upstream: "up-c", retries: 2, timeoutMs: 5000 },
    ]);
    expect(d.plan).toMatchObject({ fallbackOn: ["429", "5xx"], backoffMs: 250, maxAttempts: 9 });
    expect(targets(run(g, {}, { ...emptyState(), draw: () => 0.99 }))).toEqual(["b", "c", "a"]);
  });

  it("uses the provider timeout when the route has none, and default reasons when it lists none", () => {
    const d = routed(run(graph({ routes: [route("r", { to: "a", fallback: ["b"] })] }), {}));
    expect(d.plan.targets[0]!.timeoutMs).toBe(30_000);
    expect(d.plan.fallbackOn).toEqual(["429", "5xx", "timeout", "connection"]);
  });
});

describe("splits", () => {
  const g = graph({ routes: [route("r", { split: [["a", 70], ["b", 30]], fallback: ["c"] })] });

  it("picks by the draw against cumulative weights", () => {
    expect(routed(run(g, {}, { ...emptyState(), draw: () => 0.69 })).split).toEqual({ model: "a", by: undefined, value: undefined, draw: 0.69, forced: false });
    expect(routed(run(g, {}, { ...emptyState(), draw: () => 0.7 })).split?.model).toBe("b");
  });

  it("honours a forced pick from a test, but only for an arm", () => {
    expect(routed(run(g, {}, { ...emptyState(0), forcedSplit: "b" })).split).toMatchObject({ model: "b", forced: true });
    expect(routed(run(g, {}, { ...emptyState(0), forcedSplit: "zzz" })).split).toMatchObject({ model: "a", forced: false });
  });

  it("is sticky by key, and falls back to the draw when the fact is missing", () => {
    const keyed = graph({ routes: [route("r", { split: [["a", 50], ["b", 50]], by: fact("header", "x-user") })] });
    let draws = 0;
    const state: StateView = { ...emptyState(), draw: () => (draws++, 0.99) };
    const first = routed(run(keyed, { headers: { "x-user": "u-42" } }, state)).split!;
    expect(first.value).toBe("u-42");
    expect(first.draw).toBeUndefined();
    for (let i = 0; i < 5; i++) expect(routed(run(keyed, { headers: { "x-user": "u-42" } }, state)).split!.model).toBe(first.model);
    expect(draws).toBe(0);
    const missing = routed(run(keyed, {}, state)).split!;
    expect(missing).toMatchObject({ model: "b", value: undefined, draw: 0.99 });
    expect(draws).toBe(1);
  });

  it("with no positive weight, tries the fallback chain only", () => {
    const zero = graph({ routes: [route("r", { split: [["a", 0], ["b", 0]], fallback: ["c"] })] });
    const d = routed(run(zero, {}));
    expect(d.split).toBeUndefined();
    expect(targets(d)).toEqual(["c"]);
  });
});

describe("budgets and limits", () => {
  const g = graph({
    routes: [route("r", { to: "gpt-4o", fallback: ["sonnet"], budgets: ["team-daily", "global-cap"], limits: ["per-key"] })],
    budgets: {
      "team-daily": budget(200, { action: "downgrade", model: "mini" }, "team", 80),
      "global-cap": budget(10_000, { action: "reject" }, "global"),
    },
    limits: { "per-key": limit("key", 600, 200_000) },
  });
  const spent = (by: Record<string, number>, used: Record<string, number> = {}): StateView => ({
    ...emptyState(),
    budgetSpent: (b) => by[b] ?? 0,
    limitUsed: (l, _k, m) => used[`${l}/${m}`] ?? 0,
  });

  it("charges each budget and limit with its scope key", () => {
    const calls: string[] = [];
    const state: StateView = {
      budgetSpent: (b, k) => (calls.push(`${b}:${k}`), 0),
      limitUsed: (l, k, m) => (calls.push(`${l}:${k}:${m}`), 0),
      draw: () => 0,
    };
    const d = routed(decide(prepare(g), makeFacts({ team: "search", key: "sha256:k" }), state));
    expect(calls).toEqual(["team-daily:search", "global-cap:global", "per-key:sha256:k:requests", "per-key:sha256:k:tokens"]);
    expect(d.budgets.map((b) => [b.budget, b.scopeKey, b.state])).toEqual([
      ["team-daily", "search", "ok"],
      ["global-cap", "global", "ok"],
    ]);
    expect(d.limits[0]).toMatchObject({ limit: "per-key", scopeKey: "sha256:k", requestsUsed: 0, tokensUsed: 0, exhausted: undefined });
  });

  it("uses a placeholder scope key when the caller has no value for the scope", () => {
    expect(routed(run(g, {})).budgets[0]!.scopeKey).toBe(NO_SCOPE_VALUE);
  });

  it("warns at the warn percentage", () => {
    expect(routed(run(g, { team: "t" }, spent({ "team-daily": 160 }))).budgets[0]!.state).toBe("warn");
    expect(routed(run(g, { team: "t" }, spent({ "team-daily": 159 }))).budgets[0]!.state).toBe("ok");
  });

  it("downgrades to the budget's model alone when a downgrade budget is exceeded", () => {
    const d = routed(run(g, { team: "t" }, spent({ "team-daily": 200 })));
    expect(d.downgrade).toEqual({ budget: "team-daily", model: "mini" });
    expect(targets(d)).toEqual(["mini"]);
    expect(d.split).toBeUndefined();
  });

  it("rejects with 429 naming the budget; reject wins over downgrade", () => {
    const d = rejected(run(g, { team: "t" }, spent({ "team-daily": 500, "global-cap": 10_000 })));
    expect(d.status).toBe(429);
    expect(d.reason).toEqual({ kind: "budget", budget: "global-cap", scopeKey: "global", spent: 10_000, limit: 10_000 });
    expect(d.message).toContain("`global-cap`");
  });

  it("rejects with 429 when a limit is used up, for either measure", () => {
    const byRequests = rejected(run(g, { key: "k" }, spent({}, { "per-key/requests": 600 })));
    expect(byRequests.reason).toEqual({ kind: "limit", limit: "per-key", scopeKey: "k", measure: "requests", used: 600, count: 600 });
    const byTokens = rejected(run(g, { key: "k" }, spent({}, { "per-key/tokens": 250_000 })));
    expect(byTokens.reason).toMatchObject({ measure: "tokens", used: 250_000, count: 200_000 });
    expect(run(g, { key: "k" }, spent({}, { "per-key/requests": 599 })).kind).toBe("route");
  });

  it("scopes by route and user", () => {
    const g2 = graph({
      routes: [route("r1", { to: "a", budgets: ["b"], limits: ["l"] })],
      budgets: { b: budget(1, { action: "reject" }, "route") },
      limits: { l: limit("user", 1) },
    });
    const d = routed(run(g2, { user: "ana" }));
    expect([d.budgets[0]!.scopeKey, d.limits[0]!.scopeKey]).toEqual(["r1", "ana"]);
  });
});

describe("the tracer", () => {
  const g = graph({
    routes: [
      route("premium", { when: and(model("chat"), header("x-tier", "premium")), split: [["a", 1], ["b", 1]] }, 3),
      route("chat", { when: model("chat"), to: "mini", budgets: ["bud"] }, 9),
    ],
    budgets: { bud: budget(10, { action: "reject" }) },
  });

  it("reports every route considered with why, then budgets and the plan", () => {
    const events: TraceEvent[] = [];
    decide(prepare(g), makeFacts({ model: "chat", headers: { "x-tier": "basic" }, team: "t" }), emptyState(), { tracer: (e) => events.push(e) });
    expect(events.map((e) => e.kind)).toEqual(["candidates", "route", "route", "budget", "plan"]);
    const [, premium, chat] = events;
    expect(premium).toMatchObject({ kind: "route", matched: false, route: { name: "premium", span: { line: 3 } } });
    expect(premium!.kind === "route" && premium!.reason).toContain('header("x-tier") is "basic"');
    expect(chat).toMatchObject({ kind: "route", matched: true, route: { name: "chat" } });
  });

  it("reports the split draw and a missing route", () => {
    const events: TraceEvent[] = [];
    decide(prepare(g), makeFacts({ model: "chat", headers: { "x-tier": "premium" } }), emptyState(0.6), { tracer: (e) => events.push(e) });
    expect(events.find((e) => e.kind === "split")).toMatchObject({ choice: { model: "b", draw: 0.6 } });
    const none: TraceEvent[] = [];
    decide(prepare(g), makeFacts({ model: "x" }), emptyState(), { tracer: (e) => none.push(e) });
    expect(none.map((e) => e.kind)).toEqual(["candidates", "no-route"]);
  });

  it("does not change the decision", () => {
    const f = makeFacts({ model: "chat", headers: { "x-tier": "premium" }, team: "t" });
    expect(decide(prepare(g), f, emptyState(0.3), { tracer: () => {} })).toEqual(decide(prepare(g), f, emptyState(0.3)));
  });
});

describe("bad graphs", () => {
  it("are refused on first use with a GraphError", () => {
    const g = graph({ routes: [route("r", { to: "a", budgets: ["nope"] })] });
    expect(() => decide(prepare(g), makeFacts({}), emptyState())).toThrow(GraphError);
    const g2 = graph({ routes: [route("r", { to: "a" })] });
    g2.index.anyModel = [3];
    expect(() => decide(prepare(g2), makeFacts({}), emptyState())).toThrow(/names route 3/);
    const g3 = graph({ routes: [route("r", { to: "a" })] });
    delete (g3.models as Record<string, unknown>).a;
    expect(() => decide(prepare(g3), makeFacts({}), emptyState())).toThrow(/unknown model `a`/);
  });
});

describe("trace lines", () => {
  it("describe a decision in the policy's terms", () => {
    const g = graph({
      routes: [
        route("premium", { when: and(model("chat"), header("x-tier", "premium")), split: [["a", 70], ["b", 30]], fallback: ["c"], retry: 1, backoffMs: 250 }, 3),
        route("chat", { when: model("chat"), to: "mini", budgets: ["bud"], limits: ["lim"] }, 9),
      ],
      budgets: { bud: budget(10, { action: "downgrade", model: "tiny" }, "team", 50) },
      limits: { lim: limit("key", 100, 1000) },
    });
    const lines: string[] = [];
    const trace = (e: TraceEvent): void => void lines.push(describeTraceEvent(e));
    decide(prepare(g), makeFacts({ model: "chat", headers: { "x-tier": "basic" }, team: "t", key: "k" }), { ...emptyState(), budgetSpent: () => 12, limitUsed: () => 5 }, { tracer: trace });
    expect(lines).toEqual([
      "model `chat`: 2 route(s) for this model and 0 for any model",
      'route premium (main.route:3) does not match: `header("x-tier") == "premium"` is false (header("x-tier") is "basic")',
      'route chat (main.route:9) matches: `model == "chat"` is true (model is "chat")',
      "budget bud (team `t`): $12 of $10 spent, exceeded",
      "limit lim (key `k`): 5 of 100 requests, 5 of 1000 tokens used",
      "budget bud is exceeded: downgraded to tiny",
      "attempts: tiny; fall back on 429, 5xx, timeout, connection",
    ]);
    lines.length = 0;
    decide(prepare(g), makeFacts({ model: "chat", headers: { "x-tier": "premium" } }), emptyState(0.8), { tracer: trace });
    expect(lines.slice(-2)).toEqual(["split { 70% a 30% b } picks b (by draw 0.8000)", "attempts: b (+1 retries) → c (+1 retries); fall back on 429, 5xx, timeout, connection; backoff 250ms"]);
  });
});
