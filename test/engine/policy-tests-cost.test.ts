/**
 * `expect cost` (lang/SPEC.md §8.3): what a test's request is charged, from
 * the server's prices (runtime/budget/price.ts) of the model that answered,
 * for the request's input tokens and the reply's (`given T answers`).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { compileSources } from "../../compiler/index.js";
import { loadTokenizer, type Tokenizer } from "../../runtime/engine/tokens.js";
import { runPolicyTests } from "../../runtime/policy/index.js";

const HEAD = `
gateway { auth none }
provider p { api mock }
model big = p/"big" { input $2/Mtok output $10/Mtok }
model son = p/"son" { input $0.50/Mtok output $1.50/Mtok }
model free = p/"free"
guardrail secrets { block api_key }
route chat { when model == "chat" guard secrets to big fallback son on 429 }
route open { when model == "open" to free }
`;

let tokenizer: Tokenizer;
beforeAll(async () => {
  tokenizer = await loadTokenizer();
});

async function failures(tests: string): Promise<(string | undefined)[]> {
  const compiled = compileSources([{ path: "main.route", text: HEAD + tests }]);
  expect(compiled.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return (await runPolicyTests(compiled.graph!, compiled.tests, { tokenizer })).map((r) => r.message);
}

describe("expect cost", () => {
  it("prices the input tokens and the reply's at the answering model's prices", async () => {
    const reply = "Paris is the capital of France.";
    const out = tokenizer.count(reply);
    const dollars = (1000 * 2 + out * 10) / 1e6;
    const test = (expectation: string) => `test "t" {\n  request { model "chat" input_tokens 1000 }\n  given big answers ${JSON.stringify(reply)}\n  expect ${expectation}\n}\n`;
    expect(await failures(test(`cost $${dollars}`))).toEqual([undefined]);
    expect(await failures(test("cost <= $0.01"))).toEqual([undefined]);
    expect(await failures(test("cost > $0.002"))).toEqual([undefined]);
    expect(await failures(test("cost < $0.002"))).toEqual([`expected cost < $0.002, got $${+dollars.toPrecision(6)} (\`big\`: 1000 tokens in, ${out} out)`]);
  });

  it("charges only the try that answered: a fallback is billed at its own prices", async () => {
    expect(await failures(`test "t" {\n  request { model "chat" input_tokens 2000 }\n  given big fails 429\n  expect cost $0.001\n}\n`)).toEqual([undefined]);
  });

  it("charges nothing for a request nothing upstream answered, and says why", async () => {
    const blocked = `test "t" {\n  request { model "chat" input "my key is sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD" }\n  expect blocked by secrets\n  expect cost > $0\n}\n`;
    expect(await failures(blocked)).toEqual(["expected cost > $0, got $0 (nothing upstream answered (blocked by guardrail `secrets` (400)))"]);
    const failed = `test "t" {\n  request { model "chat" input_tokens 10 }\n  given big fails 429\n  given son fails 5xx\n  expect cost $0\n}\n`;
    expect(await failures(failed)).toEqual([undefined]);
  });

  it("says when the model that answered has no price", async () => {
    expect(await failures(`test "t" {\n  request { model "open" input_tokens 10 }\n  expect cost $0\n}\n`)).toEqual(["expected cost $0, but `free` declares no price"]);
  });

  it("takes money only, and one comparison of `<`, `<=`, `>`, `>=` or `==`", () => {
    const r = compileSources([{ path: "main.route", text: HEAD + `test "t" {\n  request { model "chat" }\n  expect cost 5\n}\ntest "u" {\n  request { model "chat" }\n  expect cost != $1\n}\n` }]);
    // Syntax errors are listed first (lang/recover.ts), then the checks of what did parse.
    expect(r.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.code} ${d.span.line}`)).toEqual(["P002 16", "E401 12"]);
  });
});
