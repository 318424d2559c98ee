/**
 * Every route statement parses to its AST shape.
 */
import { describe, expect, it } from "vitest";
import { decl, fact, id, qty, routeBody, str } from "./helpers.js";

describe("route statements", () => {
  it("when", () => {
    expect(routeBody('when model == "chat"')).toEqual([
      { kind: "when", condition: { kind: "compare", op: "==", fact: fact("model"), value: str("chat") } },
    ]);
  });

  it("to", () => {
    expect(routeBody("to gpt-4o-mini")).toEqual([{ kind: "to", target: id("gpt-4o-mini") }]);
  });

  it("split without `by`", () => {
    expect(routeBody("split { 70% gpt-4o 30% sonnet }")).toEqual([
      {
        kind: "split",
        arms: [
          { weight: qty("70%", "percent", 70), target: id("gpt-4o") },
          { weight: qty("30%", "percent", 30), target: id("sonnet") },
        ],
      },
    ]);
  });

  it("split by a fact and by a function fact", () => {
    expect(routeBody("split by key { 100% a }")).toEqual([{ kind: "split", by: fact("key"), arms: [{ weight: qty("100%", "percent", 100), target: id("a") }] }]);
    expect(routeBody('split by header("x-user") { 50% a 50% b }')[0]).toMatchObject({ kind: "split", by: fact("header", "x-user") });
  });

  it("an empty split", () => {
    expect(routeBody("split {}")).toEqual([{ kind: "split", arms: [] }]);
  });

  it("fallback with and without reasons", () => {
    expect(routeBody("fallback sonnet, gpt-4o-mini on 429, 5xx, timeout fallback x")).toEqual([
      { kind: "fallback", targets: [id("sonnet"), id("gpt-4o-mini")], on: [qty("429", "number", 429), qty("5xx", "status", 5), id("timeout")] },
      { kind: "fallback", targets: [id("x")], on: [] },
    ]);
  });

  it("retry with and without backoff", () => {
    expect(routeBody("retry 2 backoff 250ms retry 3")).toEqual([
      { kind: "retry", count: qty("2", "number", 2), backoff: qty("250ms", "duration", 250) },
      { kind: "retry", count: qty("3", "number", 3) },
    ]);
  });

  it("timeout", () => {
    expect(routeBody("timeout 30s")).toEqual([{ kind: "timeout", duration: qty("30s", "duration", 30_000) }]);
  });

  it("timeout keeps a value of the wrong unit for the compiler to reject", () => {
    expect(routeBody("timeout $5")).toEqual([{ kind: "timeout", duration: qty("$5", "money", 5) }]);
  });

  it("guard, budget and limit name lists", () => {
    expect(routeBody("guard pii, injection, size budget team-daily limit per-key, per-team")).toEqual([
      { kind: "guard", names: [id("pii"), id("injection"), id("size")] },
      { kind: "budget", names: [id("team-daily")] },
      { kind: "limit", names: [id("per-key"), id("per-team")] },
    ]);
  });

  it("statements may share a line or take one each", () => {
    expect(routeBody("to a\n\n  timeout 1s")).toEqual(routeBody("to a timeout 1s"));
  });

  it("an empty route", () => {
    expect(routeBody("")).toEqual([]);
  });

  it("use, with one name or several", () => {
    expect(routeBody("use strict")).toEqual([{ kind: "use", names: [id("strict")] }]);
    expect(routeBody("use strict, eu to a")).toEqual([
      { kind: "use", names: [id("strict"), id("eu")] },
      { kind: "to", target: id("a") },
    ]);
  });
});

describe("reject", () => {
  it("a status and an optional message", () => {
    expect(routeBody('reject 403 "not for interns"')).toEqual([{ kind: "reject", status: qty("403", "number", 403), message: str("not for interns") }]);
    expect(routeBody("reject 451 when stream")).toEqual([
      { kind: "reject", status: qty("451", "number", 451) },
      { kind: "when", condition: { kind: "truthy", fact: fact("stream") } },
    ]);
  });

  it("`expect rejected` with and without `by`", () => {
    expect(decl('test "t" { expect rejected  expect rejected by b }')).toMatchObject({
      body: [
        { kind: "expect", expect: { kind: "rejected" } },
        { kind: "expect", expect: { kind: "rejected", by: id("b") } },
      ],
    });
  });
});

describe("defaults", () => {
  it("holds route statements, `use` included", () => {
    expect(decl("defaults strict { use base  guard pii, injection  retry 2 }")).toEqual({
      kind: "defaults",
      name: id("strict"),
      body: [
        { kind: "use", names: [id("base")] },
        { kind: "guard", names: [id("pii"), id("injection")] },
        { kind: "retry", count: qty("2", "number", 2) },
      ],
    });
  });

  it("`defaults` and `use` stay names where a name is expected", () => {
    expect(routeBody("to use")).toEqual([{ kind: "to", target: id("use") }]);
    expect(decl('model defaults = p/"x"')).toMatchObject({ kind: "model", name: id("defaults") });
  });
});
