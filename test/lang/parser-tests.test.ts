/**
 * `test` blocks: request facts, every `given` and every `expect` form.
 */
import { describe, expect, it } from "vitest";
import { decl, id, qty, str, testBody } from "./helpers.js";

describe("test blocks", () => {
  it("a test has a name and a body", () => {
    expect(decl('test "premium \\"traffic\\"" {}')).toEqual({ kind: "test", name: str('premium "traffic"'), body: [] });
  });

  it("request facts with zero, one and several literal arguments", () => {
    expect(testBody('request { model "chat" header "x-tier" "premium" stream true input_tokens 5k tools tags ["a"] }')).toEqual([
      {
        kind: "request",
        facts: [
          { name: id("model"), args: [str("chat")] },
          { name: id("header"), args: [str("x-tier"), str("premium")] },
          { name: id("stream"), args: [{ kind: "bool", value: true }] },
          { name: id("input_tokens"), args: [qty("5k", "tokens", 5000)] },
          { name: id("tools"), args: [] },
          { name: id("tags"), args: [{ kind: "list", items: [str("a")] }] },
        ],
      },
    ]);
  });

  it("given split picks", () => {
    expect(testBody("given split picks gpt-4o")).toEqual([{ kind: "given", given: { kind: "split-picks", target: id("gpt-4o") } }]);
  });

  it("given … fails", () => {
    expect(testBody("given gpt-4o fails 429 given sonnet fails timeout")).toEqual([
      { kind: "given", given: { kind: "fails", target: id("gpt-4o"), reason: qty("429", "number", 429) } },
      { kind: "given", given: { kind: "fails", target: id("sonnet"), reason: id("timeout") } },
    ]);
  });

  it("given … fails once, with a Retry-After, and … latency", () => {
    expect(testBody("given big fails 503 once given big fails 429 retry after 2s given son fails 429 once retry after 500ms given big latency 5s")).toEqual([
      { kind: "given", given: { kind: "fails", target: id("big"), reason: qty("503", "number", 503), once: true } },
      { kind: "given", given: { kind: "fails", target: id("big"), reason: qty("429", "number", 429), retryAfter: qty("2s", "duration", 2000) } },
      { kind: "given", given: { kind: "fails", target: id("son"), reason: qty("429", "number", 429), once: true, retryAfter: qty("500ms", "duration", 500) } },
      { kind: "given", given: { kind: "latency", target: id("big"), latency: qty("5s", "duration", 5000) } },
    ]);
    expect(testBody('given big answers "hi"')).toEqual([{ kind: "given", given: { kind: "answers", target: id("big"), text: str("hi") } }]);
  });

  it("a model named like a new keyword can be slow", () => {
    expect(testBody("given latency latency 1s given once fails timeout once")).toEqual([
      { kind: "given", given: { kind: "latency", target: id("latency"), latency: qty("1s", "duration", 1000) } },
      { kind: "given", given: { kind: "fails", target: id("once"), reason: id("timeout"), once: true } },
    ]);
  });

  it("given budget … spent and limit … used", () => {
    expect(testBody("given budget team-daily spent $200 given limit per-key used 600")).toEqual([
      { kind: "given", given: { kind: "budget-spent", budget: id("team-daily"), amount: qty("$200", "money", 200) } },
      { kind: "given", given: { kind: "limit-used", limit: id("per-key"), amount: qty("600", "number", 600) } },
    ]);
  });

  it("a model named like a keyword can fail", () => {
    expect(testBody("given split fails 5xx")).toEqual([{ kind: "given", given: { kind: "fails", target: id("split"), reason: qty("5xx", "status", 5) } }]);
  });

  it("every expect form", () => {
    const body = testBody(
      [
        "expect route premium-chat",
        "expect no route",
        "expect target gpt-4o-mini",
        "expect target in [gpt-4o, sonnet]",
        "expect attempts [gpt-4o, sonnet]",
        "expect retries 2",
        "expect blocked by injection",
        "expect flagged by pii",
        'expect output redacted "a [EMAIL]"',
        "expect output blocked by clean",
        "expect output flagged by clean",
        "expect rejected by per-key",
        "expect warned by team-daily",
        "expect status 429",
        'expect redacted input "call me at [phone]"',
      ].join("\n"),
    );
    expect(body.map((s) => (s.kind === "expect" ? s.expect : s))).toEqual([
      { kind: "route", route: id("premium-chat") },
      { kind: "no-route" },
      { kind: "target", target: id("gpt-4o-mini") },
      { kind: "target-in", targets: [id("gpt-4o"), id("sonnet")] },
      { kind: "attempts", targets: [id("gpt-4o"), id("sonnet")] },
      { kind: "retries", count: qty("2", "number", 2) },
      { kind: "blocked", guardrail: id("injection") },
      { kind: "flagged", guardrail: id("pii") },
      { kind: "output-redacted", text: str("a [EMAIL]") },
      { kind: "output-blocked", guardrail: id("clean") },
      { kind: "output-flagged", guardrail: id("clean") },
      { kind: "rejected", by: id("per-key") },
      { kind: "warned", budget: id("team-daily") },
      { kind: "status", status: qty("429", "number", 429) },
      { kind: "redacted", text: str("call me at [phone]") },
    ]);
  });

  it("empty name lists in expectations", () => {
    expect(testBody("expect attempts []")).toEqual([{ kind: "expect", expect: { kind: "attempts", targets: [] } }]);
  });
});
