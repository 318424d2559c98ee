/**
 * Policy tests on the server's clock (issue 18): timeouts, retries, backoff,
 * `Retry-After` and the gateway deadline play out in `aigw check` as they
 * do in `aigw serve` (the agreement with a real server is in
 * test/cli/check-serve-agreement.test.ts), and the `given`s and `expect`s
 * that speak about time, budgets and limits.
 */
import { describe, expect, it } from "vitest";
import { compileSources } from "../../compiler/index.js";
import { prepare } from "../../runtime/engine/prepare.js";
import { factsFromTestRequest } from "../../runtime/engine/facts.js";
import { givenState, givenWorld, runPolicyTests, simulate } from "../../runtime/policy/index.js";

const HEAD = `
gateway { auth none deadline 1.5s }
provider p { api mock }
model big = p/"big" { input $1/Mtok output $1/Mtok max_output 4k }
model son = p/"son" { input $1/Mtok output $1/Mtok max_output 4k }
budget daily { per team limit $100 per day warn 80% }
limit rpm { per team requests 10 per minute }
route chat { when model == "chat" budget daily limit rpm to big fallback son retry 1 timeout 1s }
route quick { when model == "quick" to big fallback son timeout 300ms retry 2 backoff 100ms }
`;

async function results(tests: string) {
  const compiled = compileSources([{ path: "main.route", text: HEAD + tests }]);
  expect(compiled.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return { compiled, results: await runPolicyTests(compiled.graph!, compiled.tests, { tokenizer: { count: (s) => s.length } }) };
}

/** Simulates the policy's only test and returns the simulation. */
async function simulated(test: string) {
  const { compiled } = await results(test);
  const t = compiled.tests[0]!;
  const graph = compiled.graph!;
  return simulate(prepare(graph), factsFromTestRequest(t.request, graph, { count: (s) => s.length }), givenState(t, () => 0.5), givenWorld(t), () => 0.5);
}

describe("policy tests on the server's clock", () => {
  it("answer the issue's example 504 after two timeouts of big, leaving son no time", async () => {
    const { results: [r] } = await results(`test "t" { request { model "chat" } given big fails timeout expect status 504 expect attempts [big] expect retries 1 }`);
    expect(r).toMatchObject({ passed: true, route: "chat", attempts: ["big:timeout", "big:timeout"], status: 504 });
    expect(r!.target).toBeUndefined();
  });

  it("cap a try by the time left: the retry gets what remains of the deadline", async () => {
    const sim = await simulated(`test "t" { request { model "chat" } given big fails timeout expect status 504 }`);
    // 1 s, then a 125–250 ms backoff (0.5 draw: 188 ms), then the 312 ms left.
    expect(sim.elapsedMs).toBe(1_500);
    expect(sim.error?.message).toBe("the request deadline passed before a target answered; 2 tries, the last failing with timeout");
  });

  it("make a slow target time out at its timeout, and a fast enough one answer", async () => {
    const { results: rs } = await results(`
test "slow" { request { model "quick" } given big latency 5s expect attempts [big, son] expect retries 2 }
test "fast" { request { model "quick" } given big latency 299ms expect target big expect retries 0 }`);
    expect(rs.map((r) => [r.passed, r.message])).toEqual([
      [true, undefined],
      [true, undefined],
    ]);
    expect(rs[0]!.attempts).toEqual(["big:timeout", "big:timeout", "big:timeout", "son:200"]);
  });

  it("stop at the deadline when slow tries use it up", async () => {
    const sim = await simulated(`test "t" { request { model "chat" } given big latency 900ms given big fails 503 expect status 504 }`);
    // 900 ms, a 188 ms backoff, 900 ms more would pass 1.5 s: the retry is cut at the deadline and son never runs.
    expect(sim.attempts.map((a) => `${a.model}:${a.cause}`)).toEqual(["big:503", "big:timeout"]);
    expect(sim.status).toBe(504);
  });

  it("let a target fail once and then answer", async () => {
    const { results: [r] } = await results(`test "t" { request { model "quick" } given big fails 503 once expect target big expect retries 1 }`);
    expect(r).toMatchObject({ passed: true, attempts: ["big:503", "big:200"], status: 200, target: "big" });
  });

  it("wait for a Retry-After longer than the backoff, and give up when the deadline cannot", async () => {
    const waited = await simulated(`test "t" { request { model "quick" } given big fails 429 once retry after 400ms expect target big }`);
    expect(waited.elapsedMs).toBe(400);
    const { results: [r] } = await results(`test "t" { request { model "chat" } given big fails 429 retry after 2s expect status 504 expect attempts [big] }`);
    expect(r).toMatchObject({ passed: true, attempts: ["big:429"], status: 504 });
  });

  it("name the budget or limit that refused and the budget that warns", async () => {
    const { results: rs } = await results(`
test "limit" { request { model "chat" team "a" } given limit rpm used 10 expect rejected by rpm expect status 429 }
test "warn" { request { model "chat" team "a" } given budget daily spent $85 expect warned by daily expect status 200 }
test "wrong" { request { model "chat" team "a" } given budget daily spent $100 expect rejected by rpm expect warned by daily }`);
    expect(rs.slice(0, 2).map((r) => r.passed)).toEqual([true, true]);
    expect(rs[2]!.failures!.map((f) => f.message)).toEqual([
      "expected rejected by `rpm`, got rejected by `daily`",
      "expected warned by budget `daily`, got no budget warning",
    ]);
  });

  it("check the names and values of the new givens and expectations", () => {
    const compiled = compileSources([
      {
        path: "main.route",
        text: `${HEAD}
test "t" {
  request { model "chat" }
  given bigg latency 1s
  given son latency 5
  given big fails timeout retry after 1s
  expect rejected by daly
  expect warned by rpm
}`,
      },
    ]);
    expect(compiled.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([
      "E101 unknown model `bigg`",
      "E401 expected a duration like 30s after `latency`, found the number `5`",
      "E401 only a failure with a status carries `Retry-After`",
      "E101 unknown budget or limit `daly`",
      "E101 unknown budget `rpm`",
    ]);
  });
});

describe("policy tests and output guardrails", () => {
  const OUT = `
gateway { auth none }
provider p { api mock }
model big = p/"big"
guardrail clean { on output redact email  block when text matches /forbidden/  flag deny ["refund"] }
route chat { when model == "chat" guard clean to big }
`;
  async function run(tests: string) {
    const compiled = compileSources([{ path: "main.route", text: OUT + tests }]);
    expect(compiled.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    return runPolicyTests(compiled.graph!, compiled.tests);
  }

  it("inspect the reply a target gives: redaction, block and flag, as the server's output guard does", async () => {
    const rs = await run(`
test "redacts" { request { model "chat" } given big answers "write to a@b.co" expect output redacted "write to [EMAIL]" expect status 200 }
test "blocks" { request { model "chat" } given big answers "a forbidden word" expect output blocked by clean expect status 200 }
test "flags" { request { model "chat" } given big answers "a refund" expect output flagged by clean }
test "streams are inspected too" { request { model "chat" stream } given big answers "a forbidden word" expect output blocked by clean }
test "no answer, no output" { request { model "chat" } expect output redacted "" }`);
    expect(rs.map((r) => r.message)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      "expected redacted output \"\", got no output checked (no `given … answers` for the target)",
    ]);
  });
});
