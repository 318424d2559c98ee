/**
 * `expect header` (lang/SPEC.md §8.3): the budget and rate-limit headers a
 * test's request gets, made by the server's own admission and refusals.ts
 * from the test's `given`s — `x-ratelimit-*` on an answer and on a limit's
 * 429 (with `retry-after`), `x-aigw-budget-warning` in a budget's warn zone —
 * and an expectation naming a header the gateway never sets is E401.
 */
import { describe, expect, it } from "vitest";
import { compileSources } from "../../compiler/index.js";
import { runPolicyTests } from "../../runtime/policy/index.js";

const HEAD = `
gateway { auth none }
provider p { api mock }
model big = p/"big" { input $1/Mtok output $1/Mtok context 8k max_output 1k }
model free = p/"free"
limit rpm { per key requests 10 per minute tokens 100k per minute }
limit daily-requests { per team requests 1000 per day }
budget daily { per team limit $100 per day warn 80% exceeded reject }
guardrail secrets { block api_key }
route chat { when model == "chat" guard secrets limit rpm budget daily to big }
route open { when model == "open" to free }
route two { when model == "two" limit rpm, daily-requests to big }
`;

async function failures(tests: string): Promise<(string | undefined)[]> {
  const compiled = compileSources([{ path: "main.route", text: HEAD + tests }]);
  expect(compiled.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return (await runPolicyTests(compiled.graph!, compiled.tests)).map((r) => r.message);
}

const test = (request: string, lines: string): string => `test "t" {\n  request { ${request} }\n  ${lines}\n}\n`;

describe("expect header", () => {
  it("states an admitted request's rate-limit headers, counting the request itself", async () => {
    const given = `given limit rpm used 3\n  given budget daily spent $10`;
    const ok = [
      `expect header "x-ratelimit-limit-requests" "10"`,
      `expect header "x-ratelimit-remaining-requests" "6"`,
      `expect header "x-ratelimit-reset-requests" "1m0s"`,
      `expect header "X-RateLimit-Limit-Tokens" "100000"`,
      `expect header "x-ratelimit-reset-tokens" "1m0s"`,
    ];
    expect(await failures(test(`model "chat" input "hello" max_tokens 100 team "t"`, `${given}\n  ${ok.join("\n  ")}`))).toEqual([undefined]);
    expect(await failures(test(`model "chat" team "t"`, `${given}\n  expect header "x-ratelimit-remaining-requests" "7"`))).toEqual([`expected header \`x-ratelimit-remaining-requests\` "7", got "6"`]);
  });

  it("reserves the request's worst case on the tokens counter, as the server's admission does", async () => {
    // 3 used, then the worst case: the input bound of a one-message body with "hello" plus max_tokens 100 (an upper bound, not a count).
    const [small] = await failures(test(`model "chat" input "hello" max_tokens 100`, `given limit rpm used 3\n  expect header "x-ratelimit-remaining-tokens" "0"`));
    const remaining = Number(/got "(\d+)"/.exec(small ?? "")?.[1]);
    expect(remaining).toBeLessThan(100_000 - 3 - 100);
    expect(remaining).toBeGreaterThan(100_000 - 3 - 100 - 200);
    const [larger] = await failures(test(`model "chat" input "hello" max_tokens 600`, `given limit rpm used 3\n  expect header "x-ratelimit-remaining-tokens" "0"`));
    expect(Number(/got "(\d+)"/.exec(larger ?? "")?.[1])).toBe(remaining - 500);
  });

  it("shows the tightest limit of each kind, as a caller pacing itself needs", async () => {
    expect(await failures(test(`model "two" team "t"`, `given limit daily-requests used 995\n  expect header "x-ratelimit-remaining-requests" "4"\n  expect header "x-ratelimit-limit-requests" "1000"`))).toEqual([undefined]);
    expect(await failures(test(`model "two" team "t"`, `given limit daily-requests used 10\n  expect header "x-ratelimit-limit-requests" "10"\n  expect header "x-ratelimit-remaining-requests" "9"`))).toEqual([undefined]);
  });

  it("states a limit's 429: retry-after and the counters used up", async () => {
    const lines = [`expect rejected by rpm`, `expect header "retry-after" "60"`, `expect header "x-ratelimit-remaining-requests" "0"`, `expect header "x-ratelimit-reset-requests" "1m0s"`];
    expect(await failures(test(`model "chat" team "t"`, `given limit rpm used 10\n  ${lines.join("\n  ")}`))).toEqual([undefined]);
  });

  it("states a budget's warning with the percentage the server computes (the request's reservation included)", async () => {
    expect(await failures(test(`model "chat" team "t" max_tokens 10`, `given budget daily spent $85\n  expect warned by daily\n  expect header "x-aigw-budget-warning" "daily; 85%"`))).toEqual([undefined]);
    expect(await failures(test(`model "chat" team "t"`, `given budget daily spent $10\n  expect header "x-aigw-budget-warning" "daily; 10%"`))).toEqual([
      `expected header \`x-aigw-budget-warning\` "daily; 10%", got no such header (the answer has \`x-ratelimit-limit-requests\`, \`x-ratelimit-remaining-requests\`, \`x-ratelimit-reset-requests\`, \`x-ratelimit-limit-tokens\`, \`x-ratelimit-remaining-tokens\`, \`x-ratelimit-reset-tokens\`)`,
    ]);
  });

  it("finds no header where the server sends none: no limits, a blocked request, failed tries", async () => {
    expect(await failures(test(`model "open"`, `expect header "x-ratelimit-remaining-requests" "9"`))).toEqual(["expected header `x-ratelimit-remaining-requests` \"9\", got no such header (answered by `free`)"]);
    const blocked = test(`model "chat" input "my key is sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD"`, `expect header "x-ratelimit-remaining-requests" "9"`);
    expect(await failures(blocked)).toEqual(["expected header `x-ratelimit-remaining-requests` \"9\", got no such header (blocked by guardrail `secrets` (400))"]);
    const failed = test(`model "chat"`, `given big fails 503\n  expect header "x-ratelimit-remaining-requests" "9"`);
    expect((await failures(failed))[0]).toMatch(/^expected header `x-ratelimit-remaining-requests` "9", got no such header \(failed after/);
  });

  it("is E401 for a header the gateway never sets, or a word that is not `header`", () => {
    const diagnostics = (lines: string): string[] =>
      compileSources([{ path: "main.route", text: HEAD + test(`model "chat"`, lines) }]).diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.column} ${d.message} | ${d.help ?? ""}`);
    const at = HEAD.split("\n").length + 2;
    expect(diagnostics(`expect header "x-ratelimit-remaining-request" "9"`)).toEqual([
      `E401 ${at}:17 \`x-ratelimit-remaining-request\` is not a header the gateway sets on an answer | did you mean the header \`x-ratelimit-remaining-requests\`?`,
    ]);
    expect(diagnostics(`expect header "content-type" "application/json"`)[0]).toMatch(/^E401 .* `content-type` is not a header the gateway sets on an answer \| the headers a test can expect: `x-ratelimit-limit-requests`/);
    expect(diagnostics(`expect heder "retry-after" "1"`)).toEqual([`E401 ${at}:10 unknown expectation \`heder\` | did you mean the expectation \`header\`?`]);
  });
});
