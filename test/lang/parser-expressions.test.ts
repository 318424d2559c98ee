/**
 * Every expression form of `when`, with precedence and associativity.
 */
import { describe, expect, it } from "vitest";
import type { Expr } from "../../lang/index.js";
import { fact, id, qty, routeBody, str } from "./helpers.js";

function when(text: string): Expr {
  const [stmt] = routeBody(`when ${text}`);
  if (stmt?.kind !== "when") throw new Error("no when");
  return stmt.condition;
}

const truthy = (name: string) => ({ kind: "truthy", fact: fact(name) });

describe("conditions", () => {
  it.each(["==", "!=", "<", ">", "<=", ">="] as const)("comparison %s", (op) => {
    expect(when(`input_tokens ${op} 100k`)).toEqual({ kind: "compare", op, fact: fact("input_tokens"), value: qty("100k", "tokens", 100_000) });
  });

  it("comparison with a function fact", () => {
    expect(when('header("x-tier") == "premium"')).toEqual({ kind: "compare", op: "==", fact: fact("header", "x-tier"), value: str("premium") });
  });

  it("comparison with a name, a boolean and a call", () => {
    expect(when("endpoint == chat")).toMatchObject({ value: id("chat") });
    expect(when("stream == true")).toMatchObject({ value: { kind: "bool", value: true } });
    expect(when('team == env("TEAM")')).toMatchObject({ value: { kind: "call", callee: id("env"), args: [str("TEAM")] } });
  });

  it("in a list", () => {
    expect(when('model in ["chat", "chat-fast"]')).toEqual({ kind: "in", fact: fact("model"), list: { kind: "list", items: [str("chat"), str("chat-fast")] } });
    expect(when("model in []")).toEqual({ kind: "in", fact: fact("model"), list: { kind: "list", items: [] } });
  });

  it("matches a regex", () => {
    expect(when("text matches /ignore (all )?previous instructions/i")).toEqual({
      kind: "matches",
      fact: fact("text"),
      regex: { kind: "regex", pattern: "ignore (all )?previous instructions", flags: "i" },
    });
  });

  it("a regex keeps escapes and classes with slashes as written", () => {
    expect(when("path matches /^\\/v1\\/[a-z/]+$/")).toMatchObject({ regex: { pattern: "^\\/v1\\/[a-z/]+$", flags: "" } });
  });

  it("a boolean fact on its own", () => {
    expect(when("stream")).toEqual(truthy("stream"));
    expect(when('metadata("beta")')).toEqual({ kind: "truthy", fact: fact("metadata", "beta") });
  });
});

describe("logic", () => {
  it("and, or, not, parentheses", () => {
    expect(when("a and b")).toEqual({ kind: "and", left: truthy("a"), right: truthy("b") });
    expect(when("a or b")).toEqual({ kind: "or", left: truthy("a"), right: truthy("b") });
    expect(when("not a")).toEqual({ kind: "not", operand: truthy("a") });
    expect(when("(a)")).toEqual({ kind: "paren", inner: truthy("a") });
  });

  it("and binds tighter than or", () => {
    expect(when("a or b and c")).toEqual({ kind: "or", left: truthy("a"), right: { kind: "and", left: truthy("b"), right: truthy("c") } });
    expect(when("a and b or c")).toEqual({ kind: "or", left: { kind: "and", left: truthy("a"), right: truthy("b") }, right: truthy("c") });
  });

  it("and and or are left-associative", () => {
    expect(when("a and b and c")).toEqual({ kind: "and", left: { kind: "and", left: truthy("a"), right: truthy("b") }, right: truthy("c") });
    expect(when("a or b or c")).toEqual({ kind: "or", left: { kind: "or", left: truthy("a"), right: truthy("b") }, right: truthy("c") });
  });

  it("not binds tighter than and, and nests", () => {
    expect(when("not a and b")).toEqual({ kind: "and", left: { kind: "not", operand: truthy("a") }, right: truthy("b") });
    expect(when("not not a")).toEqual({ kind: "not", operand: { kind: "not", operand: truthy("a") } });
    expect(when("not (a or b)")).toEqual({ kind: "not", operand: { kind: "paren", inner: { kind: "or", left: truthy("a"), right: truthy("b") } } });
  });

  it("a condition may span lines", () => {
    expect(when('model == "chat"\n    and header("x-tier") == "premium"')).toEqual(when('model == "chat" and header("x-tier") == "premium"'));
  });
});
