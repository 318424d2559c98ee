/**
 * Output guardrails on streams in the language: a `matches` pattern needs a
 * longest match (derived from the regex, or the guardrail's `window N`), an
 * output condition may read the text only as `text matches /…/` (E209),
 * `streams off` opts a guardrail out, and a `test` can state a streamed reply
 * (`given T replies "…" streamed in chunks of 3`) and expect what the stream
 * released or its content-filter end.
 */
import { describe, expect, it } from "vitest";
import { compileSources } from "../../compiler/index.js";
import { regexMaxLength } from "../../compiler/regex-span.js";
import { runPolicyTests } from "../../runtime/policy/policy-tests.js";

const BASE = `gateway { auth none }
provider demo { api mock }
model small = demo/"small"
route chat { when model == "chat" guard g to small }
`;
const compile = (guardrail: string, tests = "") => compileSources([{ path: "main.route", text: `${BASE}guardrail g { ${guardrail} }\n${tests}` }]);
const codes = (guardrail: string) => compile(guardrail).diagnostics.filter((d) => d.severity === "error").map((d) => `${d.code} ${d.span.line}:${d.span.column}`);

describe("the longest match of a regex", () => {
  it.each([
    ["launch codes", "", 12],
    ["launch codes", "i", 24],
    ["k-[0-9]{1,40}", "", 2 + 80],
    ["(ab|c)?d$", "", 3],
    ["x{3}", "", 3],
    ["\\bword\\b", "", 4],
    ["a.b", "", 4],
  ])("/%s/%s is %i", (source, flags, n) => expect(regexMaxLength(source, flags)).toBe(n));

  it.each([["a+"], ["BEGIN.*END"], ["x{2,}"], ["(ab)*c"]])("/%s/ has none", (source) => expect(regexMaxLength(source, "")).toBeUndefined());
});

describe("E209", () => {
  it("refuses an output pattern without a longest match, at the regex", () => {
    expect(codes("on output redact matches /BEGIN.*END/")).toEqual(["E209 5:40"]);
    expect(codes("on both block when text matches /a+b/")).toEqual(["E209 5:47"]);
  });

  it("refuses an output condition on `text` other than `matches`", () => {
    expect(codes('on output block when text == "x"')).toEqual(["E209 5:36"]);
  });

  it("accepts a bounded pattern, a `window`, `streams off`, or an input-only rule", () => {
    expect(codes("on output redact matches /k-[0-9]{1,40}/")).toEqual([]);
    expect(codes("on output redact matches /BEGIN.*END/  window 400")).toEqual([]);
    expect(codes('on output block when text == "x"  streams off')).toEqual([]);
    expect(codes("redact matches /a+/")).toEqual([]);
    expect(compile("on output redact email  streams off").graph?.guardrails["g"]).toMatchObject({ streams: false });
  });

  it("checks the settings themselves", () => {
    expect(codes("on output redact email  streams maybe")).toEqual(["E201 5:47"]);
    expect(codes("on output redact matches /a.*/  window 0")).toEqual(["E204 5:54"]);
  });
});

describe("tests of streamed replies", () => {
  const TESTS = `
test "redacted across 3-character deltas" {
  request { model "chat"  stream }
  given small replies "mail ana@example.com or call +44 20 7946 0958" streamed in chunks of 3
  expect output redacted "mail [EMAIL] or call [PHONE]"
}
test "a block ends the stream" {
  request { model "chat" }
  given small answers "fine: the launch codes are 1234" streamed in chunks of 3
  expect output blocked by g
  expect output redacted "x"
}
`;
  it("expect the released text, or the content-filter end", async () => {
    const r = compile("on output redact email, phone  block matches /launch codes/i", TESTS);
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const results = await runPolicyTests(r.graph!, r.tests);
    expect(results.map((t) => [t.name, t.passed])).toEqual([
      ["redacted across 3-character deltas", true],
      ["a block ends the stream", false],
    ]);
    // A blocked stream released nothing of the match: what a caller saw came before it.
    expect(results[1]!.message).toContain("withheld by guardrail `g`");
  });

  it("a guardrail with `streams off` leaves a streamed reply as it came", async () => {
    const r = compile(
      "on output redact email  streams off",
      `test "untouched" { request { model "chat"  stream }  given small answers "ana@example.com" streamed in chunks of 3  expect output redacted "ana@example.com" }`,
    );
    expect((await runPolicyTests(r.graph!, r.tests))[0]?.passed).toBe(true);
  });
});
