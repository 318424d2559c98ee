import { describe, expect, it } from "vitest";
import { BASE, compileText, errorCodes, found } from "./helpers.js";

const POLICY = `${BASE}budget b { limit $10 per day }
limit l { requests 10 per minute }
route r { when model == "chat" split { 100% m } budget b limit l }
`;

describe("test blocks", () => {
  it("accepts every request fact, given and expectation", () => {
    const r = compileText(`${POLICY}test "all of it" {
  request {
    model "chat" endpoint "/v1/chat/completions" stream true header "X-Tier" "premium" header "x-b" "2"
    metadata "app" "search" key "sha256:abc" team "search" user "ana" input "hello" input_tokens 5k
    tools images false
  }
  given split picks m
  given m fails 429
  given m fails 5xx
  given m fails timeout
  given budget b spent $5
  given limit l used 3
  expect route r
  expect target m
  expect target in [m]
  expect attempts [m]
  expect retries 0
  expect status 200
  expect redacted input "hello"
}
test "no route" { request { model "other" } expect no route }`);
    expect(errorCodes(r)).toEqual([]);
  });

  it("E401: unknown request facts, wrong arity and values", () => {
    const r = compileText(`${POLICY}test "bad" {
  request { modle "chat" header "x" stream "yes" input_tokens "many" model "a" model "b" }
  expect route r
}`);
    expect(found(r, "E401")).toEqual([
      { line: 7, column: 13, message: "unknown request fact `modle`" },
      { line: 7, column: 26, message: 'header` takes 2 values, e.g. `header "x-tier" "premium"`'.replace(/^/, "`") },
      { line: 7, column: 44, message: 'expected `true` or `false` after `stream`, found the string `"yes"`' },
      { line: 7, column: 63, message: 'expected a token count like 100k after `input_tokens`, found the string `"many"`' },
      { line: 7, column: 80, message: "`model` is set twice in this request" },
    ]);
    expect(r.diagnostics.find((d) => d.message.includes("modle"))!.help).toBe("did you mean the request fact `model`?");
  });

  it("E401: bad givens and expectations", () => {
    const r = compileText(`${POLICY}test "bad" {
  request { model "chat" }
  given m fails slowly
  given budget b spent 5
  given limit l used $3
  expect retries 1.5
  expect status 1000
}`);
    expect(found(r, "E401")).toEqual([
      {
        line: 8,
        column: 17,
        message: "expected a failure reason (a status like 429, a class like 5xx, `timeout`, `connection`, `context_length` or `content_filter`), found the word `slowly`",
      },
      { line: 9, column: 24, message: "expected money like $200 after `spent`, found the number `5`" },
      { line: 10, column: 22, message: "expected a token count like 100k after `used`, found money `$3`" },
      { line: 11, column: 18, message: "`retries` must be a whole number, found `1.5`" },
      { line: 12, column: 17, message: "`status` must be at most 599, found `1000`" },
    ]);
  });

  it("E401: two requests, and a test that expects nothing", () => {
    const r = compileText(`${POLICY}test "twice" {
  request { model "a" }
  request { model "b" }
  expect route r
}
test "empty" { request { model "chat" } }`);
    expect(found(r, "E401")).toEqual([
      { line: 8, column: 3, message: "a test describes one request" },
      { line: 11, column: 6, message: 'test "empty" expects nothing' },
    ]);
  });
});

describe("test names", () => {
  it("E102: two tests with one name, in any files", () => {
    const r = compileText(`${POLICY}test "a" {
  request { model "chat" }
  expect route r
}
test "a" {
  request { model "other" }
  expect no route
}
`);
    expect(found(r, "E102")).toEqual([{ line: 10, column: 6, message: 'test "a" is declared twice' }]);
    expect(r.diagnostics.find((d) => d.code === "E102")!.related?.span.line).toBe(6);
  });
});
