import { describe, expect, it } from "vitest";
import { BASE, compileText, errorCodes } from "./helpers.js";
import type { Graph } from "../../compiler/graph.js";

function graphOf(text: string): Graph {
  const r = compileText(text);
  expect(errorCodes(r)).toEqual([]);
  return r.graph!;
}

describe("lowering", () => {
  it("fills gateway and provider defaults", () => {
    const g = graphOf(`${BASE}route r { to m }`);
    expect(g.gateway).toEqual({
      state: { kind: "sqlite", path: ".aigw/state.db" },
      auth: "keys",
      logBodies: false,
      maxBodyBytes: 1048576,
      deadlineMs: 60000,
    });
    expect(g.providers["p"]).toMatchObject({ api: "mock", timeoutMs: 30000, mock: { latencyMs: 0, failRate: 0, failStatus: 500 } });
    expect(g.version).toBe(1);
    expect(g.policy).toMatch(/^p-[0-9a-f]{12}$/);
  });

  it("marks an `openai` provider that serves the Responses API", () => {
    const g = graphOf(`provider p { api openai responses true }
provider q { api openai responses false }
model m = p/"up"
model n = q/"up"
route r { to m fallback n }`);
    expect(g.providers["p"]!.responses).toBe(true);
    expect(g.providers["q"]!.responses).toBeUndefined();
  });

  it("normalises units: dollars, milliseconds, $/Mtok, tokens, bytes", () => {
    const g = graphOf(`provider p { api openai key env("K") timeout 2m base_url "http://h" }
provider q { api mock latency 250ms fail_rate 10% fail_status 503 }
gateway { max_body 512KB deadline 1h state redis(env("R")) admin_token env("A") log_bodies true listen ":9" }
model m = p/"up" { input $0.002/ktok output $0.000001/tok context 1.5M max_output 4k }
budget b { per user limit $12.50 per 36h warn 90% exceeded downgrade m }
limit l { tokens 2M per hour requests 5 per month }
route r { to m timeout 45s }`);
    expect(g.gateway).toEqual({
      listen: ":9",
      state: { kind: "redis", url: { env: "R" } },
      auth: "keys",
      adminToken: { env: "A" },
      logBodies: true,
      maxBodyBytes: 512 * 1024,
      deadlineMs: 3_600_000,
    });
    expect(g.providers["p"]).toMatchObject({ api: "openai", key: { env: "K" }, timeoutMs: 120_000, baseUrl: "http://h" });
    expect(g.providers["p"]!.mock).toBeUndefined();
    expect(g.providers["p"]!.responses).toBeUndefined();
    expect(g.providers["q"]!.mock).toEqual({ latencyMs: 250, failRate: 10, failStatus: 503 });
    expect(g.models["m"]).toMatchObject({ provider: "p", upstream: "up", inputPrice: 2, outputPrice: 1, context: 1_500_000, maxOutput: 4000 });
    expect(g.budgets["b"]).toMatchObject({
      scope: "user",
      limit: 12.5,
      window: { kind: "rolling", ms: 36 * 3_600_000 },
      warnPercent: 90,
      exceeded: { action: "downgrade", model: "m" },
    });
    expect(g.limits["l"]).toMatchObject({
      scope: "global",
      tokens: { count: 2_000_000, window: { kind: "calendar", unit: "hour" } },
      requests: { count: 5, window: { kind: "calendar", unit: "month" } },
    });
    expect(g.routes[0]!.timeoutMs).toBe(45_000);
  });

  it("lowers state forms and auth none", () => {
    expect(graphOf(`${BASE}gateway { state memory auth none }\nroute r { to m }`).gateway).toMatchObject({ state: { kind: "memory" }, auth: "none" });
    expect(graphOf(`${BASE}gateway { state redis("redis://h:6379") }\nroute r { to m }`).gateway.state).toEqual({
      kind: "redis",
      url: { value: "redis://h:6379" },
    });
    expect(graphOf(`${BASE}gateway { state sqlite("x.db") }\nroute r { to m }`).gateway.state).toEqual({ kind: "sqlite", path: "x.db" });
  });

  it("fills route defaults: fallback reasons, retry, no timeout", () => {
    const g = graphOf(`${BASE}model n = p/"n" { input $1/Mtok output $1/Mtok }
route r { when model == "a" to m fallback n retry 2 }
route s { when model == "b" split { 50% m 50% n } }`);
    expect(g.routes[0]).toMatchObject({
      target: { kind: "to", model: "m" },
      fallback: ["n"],
      fallbackOn: ["429", "5xx", "timeout", "connection"],
      retry: { count: 2, backoffMs: 250 },
    });
    expect(g.routes[0]!.timeoutMs).toBeUndefined();
    expect(g.routes[1]).toMatchObject({
      target: { kind: "split", arms: [{ model: "m", weight: 50 }, { model: "n", weight: 50 }] },
      fallback: [],
      retry: { count: 0, backoffMs: 250 },
    });
  });

  it("lowers explicit fallback reasons, split by and joined guard/budget/limit lists", () => {
    const g = graphOf(`${BASE}model n = p/"n" { input $1/Mtok output $1/Mtok }
guardrail g1 { flag email }
guardrail g2 { flag phone }
budget b { limit $1 per day }
limit l { requests 1 per minute }
route r {
  when model == "a"
  split by header("X-User") { 70% m 30% n }
  fallback n on 429, 5xx, connection
  retry 1 backoff 1s
  guard g1
  guard g2, g1
  budget b
  limit l
}`);
    expect(g.routes[0]).toMatchObject({
      target: { kind: "split", by: { name: "header", arg: "x-user" } },
      fallbackOn: ["429", "5xx", "connection"],
      retry: { count: 1, backoffMs: 1000 },
      guard: ["g1", "g2"],
      budgets: ["b"],
      limits: ["l"],
      span: { file: "policy.route", line: 8, column: 1, endLine: 17, endColumn: 2 },
    });
  });

  it("lowers conditions: flattened and/or, operators, literals in base units", () => {
    const g = graphOf(`${BASE}route r {
  when model == "a" and (header("X-T") == "p" and (stream or not tools)) and input_tokens >= 10k
    and input_bytes < 2KB and team in ["x", "y"] and text matches /hi/i and user != "u"
  to m
}`);
    expect(g.routes[0]!.when).toEqual({
      op: "and",
      args: [
        { op: "eq", fact: { name: "model" }, value: "a" },
        { op: "eq", fact: { name: "header", arg: "x-t" }, value: "p" },
        { op: "or", args: [{ op: "truthy", fact: { name: "stream" } }, { op: "not", arg: { op: "truthy", fact: { name: "tools" } } }] },
        { op: "ge", fact: { name: "input_tokens" }, value: 10000 },
        { op: "lt", fact: { name: "input_bytes" }, value: 2048 },
        { op: "in", fact: { name: "team" }, values: ["x", "y"] },
        { op: "matches", fact: { name: "text" }, source: "hi", flags: "i" },
        { op: "ne", fact: { name: "user" }, value: "u" },
      ],
    });
  });

  it("lowers guardrails: sides, detectors, conditions", () => {
    const g = graphOf(`${BASE}guardrail g {
  redact email
  on output block matches /k-[0-9]{1,40}/s, deny ["x"]
  on both flag when input_tokens > 1k
}
route r { to m guard g }`);
    expect(g.guardrails["g"]!.rules).toEqual([
      { on: "input", action: "redact", detectors: [{ kind: "builtin", name: "email" }] },
      {
        on: "output",
        action: "block",
        detectors: [
          { kind: "pattern", source: "k-[0-9]{1,40}", flags: "s" },
          { kind: "deny", words: ["x"] },
        ],
      },
      { on: "input", action: "flag", when: { op: "gt", fact: { name: "input_tokens" }, value: 1000 } },
      { on: "output", action: "flag", when: { op: "gt", fact: { name: "input_tokens" }, value: 1000 } },
    ]);
  });

  it("lowers keys with every label and team/user pulled out", () => {
    const h = `sha256:${"ab".repeat(32)}`;
    const g = graphOf(`${BASE}keys { "${h}" team "t" user "u" env "prod" }\nroute r { to m }`);
    expect(g.keys[h]).toEqual({ team: "t", user: "u", labels: { team: "t", user: "u", env: "prod" } });
  });

  it("indexes routes by requested model, keeping first-match order", () => {
    const g = graphOf(`${BASE}route a { when model == "x" to m }
route b { when header("h") == "1" to m }
route c { when model in ["x", "y"] and team == "t" to m }
route d { when model == "y" or model == "z" to m }
route e { when model == "y" or team == "t" to m }
route f { when not (model == "q") and team == "z" to m }
route g { when (model == "x" or model == "w") and model in ["w", "v"] to m }
route h { to m }`);
    expect(g.index).toEqual({
      byModel: { x: [0, 2], y: [2, 3], z: [3], w: [6] },
      anyModel: [1, 4, 5, 7],
    });
    expect(g.accepted).toEqual(["w", "x", "y", "z"]);
  });

  it("lowers tests to test cases with base units and spans", () => {
    const r = compileText(`${BASE}budget b { limit $10 per day }
limit l { tokens 1M per day }
route r { when model == "chat" split { 100% m } budget b limit l fallback n }
model n = p/"n" { input $1/Mtok output $1/Mtok }
test "t" {
  request { model "chat" header "X-Tier" "gold" metadata "k" "v" team "s" input "hi" input_tokens 2k stream tools false }
  given split picks m
  given m fails 5xx
  given n fails 503
  given budget b spent $2.50
  given limit l used 100k
  expect route r
  expect attempts [m, n]
  expect retries 0
  expect status 502
  expect redacted input "x"
}`);
    expect(errorCodes(r)).toEqual([]);
    expect(r.tests).toEqual([
      {
        name: "t",
        span: { file: "policy.route", line: 7, column: 1, endLine: 19, endColumn: 2 },
        request: {
          model: "chat",
          headers: { "x-tier": "gold" },
          metadata: { k: "v" },
          team: "s",
          input: "hi",
          inputTokens: 2000,
          stream: true,
          tools: false,
        },
        given: [
          { kind: "split-picks", target: "m" },
          { kind: "fails", target: "m", reason: "5xx" },
          { kind: "fails", target: "n", reason: "503" },
          { kind: "budget-spent", budget: "b", amount: 2.5 },
          { kind: "limit-used", limit: "l", amount: 100000 },
        ],
        expect: [
          { kind: "route", route: "r", span: { file: "policy.route", line: 14, column: 3, endLine: 14, endColumn: 17 } },
          { kind: "attempts", targets: ["m", "n"], span: { file: "policy.route", line: 15, column: 3, endLine: 15, endColumn: 25 } },
          { kind: "retries", count: 0, span: { file: "policy.route", line: 16, column: 3, endLine: 16, endColumn: 19 } },
          { kind: "status", status: 502, span: { file: "policy.route", line: 17, column: 3, endLine: 17, endColumn: 20 } },
          { kind: "redacted", text: "x", span: { file: "policy.route", line: 18, column: 3, endLine: 18, endColumn: 28 } },
        ],
      },
    ]);
  });

  it("gives no graph and no tests when there are errors", () => {
    const r = compileText(`${BASE}route r { to m timeout 5$ }\ntest "t" { request { model "x" } expect route r }`);
    expect(r.graph).toBeUndefined();
    expect(r.tests).toEqual([]);
    expect(r.diagnostics.some((d) => d.code === "E201")).toBe(true);
  });

  it("the policy version depends on the text, not only the meaning", () => {
    const a = compileText(`${BASE}route r { to m }`).graph!.policy;
    const b = compileText(`${BASE}route r {  to m }`).graph!.policy;
    expect(a).not.toBe(b);
    expect(compileText(`${BASE}route r { to m }`).graph!.policy).toBe(a);
  });
});

describe("names that are also JavaScript object keys", () => {
  it("stay plain own properties in the graph and in test requests", () => {
    const h = `sha256:${"cd".repeat(32)}`;
    const r = compileText(`provider __proto__ { api mock }
model constructor = __proto__/"x" { input $1/Mtok output $1/Mtok }
keys { "${h}" __proto__ "a" team "t" }
route toString { when model == "__proto__" to constructor }
test "t" { request { model "__proto__" header "__proto__" "v" metadata "constructor" "w" } expect route toString }`);
    expect(errorCodes(r)).toEqual([]);
    const g = JSON.parse(JSON.stringify(r.graph));
    expect(Object.keys(g.providers)).toEqual(["__proto__"]);
    expect(Object.keys(g.models)).toEqual(["constructor"]);
    expect(g.keys[h].labels).toEqual(JSON.parse('{"__proto__": "a", "team": "t"}'));
    expect(Object.keys(g.index.byModel)).toEqual(["__proto__"]);
    expect(Object.keys(r.tests[0]!.request.headers)).toEqual(["__proto__"]);
    expect(Object.keys(r.tests[0]!.request.metadata)).toEqual(["constructor"]);
  });
});
