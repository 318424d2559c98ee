/**
 * Request shaping (lang/SPEC.md §4.8.2): `set`, `default` and `cap
 * max_tokens` typed per parameter, `upstream_header` never a credential or
 * hop-by-hop header, what `defaults` blocks give, the lowering, the worst
 * case a cap bounds, and W505 no longer raised for a capped route.
 */
import { describe, expect, it } from "vitest";
import { routeBound } from "../../compiler/bounds/worst-case.js";
import { shapeParams } from "../../runtime/request/shape.js";
import { runPolicyTests } from "../../runtime/policy/policy-tests.js";
import { crossCheckTests } from "../../runtime/policy/reference-check.js";
import { compareWithReference } from "../../runtime/policy/reference-check.js";
import { decide } from "../../runtime/engine/decide.js";
import { prepare } from "../../runtime/engine/prepare.js";
import { makeFacts } from "../../runtime/engine/facts.js";
import { parse } from "../../lang/index.js";
import { BASE, compileText, errorCodes, found } from "./helpers.js";

describe("shaping statements", () => {
  it("lower to the route's shaping: overrides, defaults, the cap and headers in order", () => {
    const result = compileText(`${BASE}route r {
  to m
  cap max_tokens 8k
  default max_tokens 4k
  set temperature 0.2
  default top_p 0.9
  set stop ["END", "STOP"]
  upstream_header "X-Team" "research"
  upstream_header "x-project" "atlas"
}`);
    expect(errorCodes(result)).toEqual([]);
    expect(result.graph!.routes[0]!.shaping).toEqual({
      set: { temperature: 0.2, stop: ["END", "STOP"] },
      default: { maxTokens: 4000, topP: 0.9 },
      maxTokensCap: 8000,
      headers: [
        { name: "x-team", value: "research" },
        { name: "x-project", value: "atlas" },
      ],
    });
  });

  it("a route that shapes nothing has no shaping in the graph", () => {
    expect(compileText(`${BASE}route r { to m }`).graph!.routes[0]!.shaping).toBeUndefined();
  });

  it("E202 for an unknown parameter (with did-you-mean) and for capping anything but max_tokens", () => {
    const result = compileText(`${BASE}route r { to m  set temprature 0.2  default seed 7  cap temperature 1 }`);
    expect(found(result, "E202").map((d) => d.message)).toEqual([
      "`temprature` is not a parameter a route can `set`",
      "`seed` is not a parameter a route can `default`",
      "`temperature` cannot be capped: only `max_tokens` can",
    ]);
    expect(result.diagnostics.find((d) => d.message.startsWith("`temprature`"))!.help).toBe("did you mean the parameter `temperature`?");
  });

  it("E201 for a value of the wrong type, E204 for one out of range", () => {
    const result = compileText(`${BASE}route r { to m  set temperature "hot"  default top_p 1.5  cap max_tokens $5  default max_tokens 0  set stop "END" }`);
    expect(found(result, "E201").map((d) => d.message)).toEqual([
      'expected a number like 0.2 after `set temperature`, found the string `"hot"`',
      "expected a token count like 100k after `cap max_tokens`, found money `$5`",
      'expected a list of up to 4 strings like ["END"] after `set stop`, found the string `"END"`',
    ]);
    expect(found(result, "E204").map((d) => d.message)).toEqual(["`default top_p` must be at most 1, found `1.5`", "`default max_tokens` must be more than 0, found `0`"]);
  });

  it("E208 for a parameter shaped twice the same way, or a header given twice; E204 for a default above the cap", () => {
    const result = compileText(`${BASE}route r { to m  set temperature 0.2  set temperature 0.3  upstream_header "x-a" "1"  upstream_header "X-A" "2"  cap max_tokens 1k  default max_tokens 2k }`);
    expect(found(result, "E208").map((d) => d.message)).toEqual(["`set temperature` is given twice", '`upstream_header "x-a"` is given twice']);
    expect(found(result, "E204").map((d) => d.message)).toEqual(["`default max_tokens 2k` is above `cap max_tokens 1k`"]);
  });

  it("E211 for credential, hop-by-hop and gateway-written headers, and for a name that is no header name", () => {
    const result = compileText(`${BASE}route r {
  to m
  upstream_header "Authorization" "Bearer sk-live"
  upstream_header "x-api-key" "k"
  upstream_header "api-key" "k"
  upstream_header "connection" "close"
  upstream_header "transfer-encoding" "chunked"
  upstream_header "host" "evil.example"
  upstream_header "x team" "a"
}`);
    expect(found(result, "E211").map((d) => d.message)).toEqual([
      "`upstream_header` cannot set `authorization` (a credential header)",
      "`upstream_header` cannot set `x-api-key` (a credential header)",
      "`upstream_header` cannot set `api-key` (a credential header)",
      "`upstream_header` cannot set `connection` (hop-by-hop header)",
      "`upstream_header` cannot set `transfer-encoding` (hop-by-hop header)",
      "`upstream_header` cannot set `host` (written by the gateway header)",
      "`x team` is not a header name",
    ]);
    expect(result.graph).toBeUndefined();
  });

  it("E210 beside `reject`: a route that sends nothing shapes nothing", () => {
    const result = compileText(`${BASE}route no { when model == "x"  reject 403  cap max_tokens 1k }
route r { to m }`);
    expect(found(result, "E210").map((d) => d.message.split(",")[0])).toEqual(["`cap` has no effect in route `no`"]);
  });
});

describe("shaping in defaults blocks", () => {
  it("a route takes its blocks' shaping, its own statement winning per parameter and verb", () => {
    const result = compileText(`${BASE}defaults shaped { cap max_tokens 8k  default temperature 0.7  upstream_header "x-team" "shared" }
route a { when model == "a"  use shaped  to m  default temperature 0.1  upstream_header "x-team" "a" }
route b { use shaped  to m }`);
    expect(errorCodes(result)).toEqual([]);
    const [a, b] = result.graph!.routes;
    expect(a!.shaping).toEqual({ default: { temperature: 0.1 }, maxTokensCap: 8000, headers: [{ name: "x-team", value: "a" }] });
    expect(b!.shaping).toEqual({ default: { temperature: 0.7 }, maxTokensCap: 8000, headers: [{ name: "x-team", value: "shared" }] });
    expect(b!.defaults).toEqual([expect.objectContaining({ name: "shaped", settings: ["cap max_tokens 8k", "default temperature 0.7", 'upstream_header "x-team" "shared"'] })]);
  });

  it("checks the statements of a block once, in the block", () => {
    const result = compileText(`${BASE}defaults d { upstream_header "authorization" "x" }
route a { when model == "a"  use d  to m }
route b { use d  to m }`);
    expect(found(result, "E211")).toHaveLength(1);
  });
});

describe("a cap bounds the worst case", () => {
  const policy = (shape: string) => `provider p { api mock }
model big = p/"big" { input $1/Mtok  output $10/Mtok  context 200k  max_output 100k }
model open = p/"open" { input $0/Mtok  output $10/Mtok }
budget daily { per team  limit $100 per day }
route r { when model == "big"  to big  ${shape} }
route o { budget daily  to open  ${shape} }`;

  it("the cost of a try is the model's context in and at most the cap out", () => {
    const uncapped = compileText(policy(""));
    const capped = compileText(policy("cap max_tokens 8k"));
    const bound = (r: typeof capped, name: string) => routeBound(r.graph!, r.graph!.routes.find((x) => x.name === name)!);
    // 200k in at $1/Mtok, 100k out at $10/Mtok: $1.20; capped at 8k out: $0.28
    expect(bound(uncapped, "r").cost).toBeCloseTo(1.2, 9);
    expect(bound(capped, "r").cost).toBeCloseTo(0.28, 9);
    // a model that declares neither bound: unbounded output until capped, then 8k at $10/Mtok (its input is free)
    expect(bound(uncapped, "o").cost).toBe(Infinity);
    expect(bound(capped, "o").cost).toBeCloseTo(0.08, 9);
    expect(bound(compileText(policy("set max_tokens 2k")), "o").cost).toBeCloseTo(0.02, 9);
    expect(bound(compileText(policy("default max_tokens 2k")), "o").cost).toBe(Infinity);
  });

  it("W505 is not raised for a model reached only through a capped route", () => {
    expect(found(compileText(policy("")), "W505").map((d) => d.message.split(":")[0])).toEqual(["model `open` declares neither `max_output` nor `context`"]);
    expect(found(compileText(policy("cap max_tokens 8k")), "W505")).toEqual([]);
  });
});

describe("the shaping rule (shared by the server, explain and the policy tests)", () => {
  const shaping = { set: { topP: 0.5 }, default: { temperature: 0.7, maxTokens: 1000 }, maxTokensCap: 8000 };

  it("sets always, defaults only what is absent, then caps", () => {
    expect(shapeParams({ maxTokens: 20_000, temperature: 0.1 }, shaping)).toEqual({
      params: { maxTokens: 8000, temperature: 0.1, topP: 0.5 },
      changes: [
        { param: "max_tokens", how: "cap", from: 20_000, to: 8000 },
        { param: "top_p", how: "set", to: 0.5 },
      ],
    });
    expect(shapeParams({}, shaping).params).toEqual({ maxTokens: 1000, temperature: 0.7, topP: 0.5 });
    expect(shapeParams({ maxTokens: 500, topP: 0.5 }, shaping).changes).toEqual([{ param: "temperature", how: "default", to: 0.7 }]);
  });

  it("a cap with no default gives an absent max_tokens the cap", () => {
    expect(shapeParams({}, { maxTokensCap: 8000 }).changes).toEqual([{ param: "max_tokens", how: "cap", to: 8000 }]);
  });
});

describe("policy tests state the shaped request (`expect shaped`)", () => {
  const policy = `${BASE}defaults shaped { cap max_tokens 8k  default temperature 0.7 }
route r { use shaped  set top_p 0.5  to m }
`;

  it("compare the parameter of the request sent, after the route's shaping", async () => {
    const result = compileText(`${policy}test "a large ask is capped" {
  request { model "m"  max_tokens 20k  temperature 0.1 }
  expect shaped max_tokens 8k
  expect shaped temperature 0.1
  expect shaped top_p 0.5
}
test "an absent ask gets the cap and the default" {
  request { model "m" }
  expect shaped max_tokens 8000
  expect shaped temperature 0.7
}
test "a wrong expectation fails, saying what was sent" {
  request { model "m"  max_tokens 20k }
  expect shaped max_tokens 20k
}`);
    expect(errorCodes(result)).toEqual([]);
    const results = await runPolicyTests(result.graph!, result.tests);
    expect(results.map((r) => [r.name, r.passed])).toEqual([
      ["a large ask is capped", true],
      ["an absent ask gets the cap and the default", true],
      ["a wrong expectation fails, saying what was sent", false],
    ]);
    expect(results[2]!.failures![0]!.message).toBe("expected max_tokens 20000 in the request sent, got 8000");
  });

  it("E401 for a parameter it cannot compare, or a value of the wrong type", () => {
    const result = compileText(`${policy}test "t" {
  request { model "m" }
  expect shaped stop 1
  expect shaped temprature 0.2
  expect shaped max_tokens "8k"
}`);
    expect(found(result, "E401").map((d) => d.message)).toEqual([
      "`expect shaped` takes `max_tokens`, `temperature`, `top_p`, not `stop`",
      "`expect shaped` takes `max_tokens`, `temperature`, `top_p`, not `temprature`",
      'expected a token count like 100k after `expect shaped max_tokens`, found the string `"8k"`',
    ]);
  });

  it("the reference interpreter agrees on every test's shaped request, and a disagreement is reported", () => {
    const text = `${policy}test "t" {
  request { model "m"  max_tokens 20k }
  expect shaped max_tokens 8k
}`;
    const result = compileText(text);
    expect(crossCheckTests([parse(text, "policy.route").file], result.graph!, result.tests)).toEqual([]);
    const facts = makeFacts({ model: "m", maxTokens: 20_000 }, { count: (t) => t.length });
    const state = { budgetSpent: () => 0, limitUsed: () => 0, draw: () => 0 };
    const d = decide(prepare(result.graph!), facts, state);
    const reference = { kind: "route" as const, route: "r", targets: ["m"], retries: 0, fallbackOn: ["429", "5xx", "timeout", "connection"], pick: undefined, downgrade: undefined, sent: { max_tokens: 8000, temperature: 0.7, top_p: 0.5 } };
    expect(compareWithReference(d, reference, { max_tokens: 8000, temperature: 0.7, top_p: 0.5 })).toBeUndefined();
    expect(compareWithReference(d, reference, { max_tokens: 20_000, temperature: 0.7, top_p: 0.5 })).toBe("route `r`: the evaluator sends max_tokens 20000, the reference 8000");
  });
});

describe("a capped route's targets are asked the shaped max_tokens", () => {
  it("a target whose max_output is below the caller's ask takes it once the route caps it, and the reference agrees", async () => {
    const text = `provider p { api mock }
model small = p/"small" { input $1/Mtok  output $2/Mtok  max_output 8k }
model cheap = p/"cheap" { input $1/Mtok  output $2/Mtok  max_output 8k }
model big = p/"big" { input $1/Mtok  output $20/Mtok  max_output 100k }
route capped { when model == "capped"  cap max_tokens 8k  to small }
route open { when model == "open"  to small }
route pick { when model == "pick"  cap max_tokens 8k  split cheapest { 50% cheap  50% big } }
test "capped: taken" {
  request { model "capped"  max_tokens 20k }
  expect target small
  expect status 200
  expect shaped max_tokens 8k
}
test "uncapped: no target can take it" {
  request { model "open"  max_tokens 20k }
  expect status 400
}
test "cheapest prices the capped ask, so the model that could not take the caller's still wins" {
  request { model "pick"  max_tokens 20k }
  expect target cheap
}`;
    const result = compileText(text);
    expect(errorCodes(result)).toEqual([]);
    const results = await runPolicyTests(result.graph!, result.tests);
    expect(results.map((r) => [r.name, r.passed, r.message])).toEqual([
      ["capped: taken", true, undefined],
      ["uncapped: no target can take it", true, undefined],
      ["cheapest prices the capped ask, so the model that could not take the caller's still wins", true, undefined],
    ]);
    expect(crossCheckTests([parse(text, "policy.route").file], result.graph!, result.tests)).toEqual([]);
  });
});
