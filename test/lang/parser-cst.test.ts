/**
 * The flattened grammar (parser.ts inlines statement, clause, condition and
 * call bodies into the rules that choose between them; `and` and `or` come
 * in one repetition) builds the same AST as a rule per construct would: the
 * kind comes from the leading keyword even when names are keywords, `and`
 * still binds tighter than `or` in long mixed chains, and recovery inside an
 * inlined body keeps the statements after it. Also checks the CST hook the
 * parser relies on for speed is in effect.
 */
import { describe, expect, it } from "vitest";
import type { Expr } from "../../lang/index.js";
import { parse } from "../../lang/index.js";
import { lex } from "../../lang/lexer.js";
import { parseTokens } from "../../lang/parser.js";
import { FILE, fact, id, problems, qty, routeBody } from "./helpers.js";

function when(text: string): Expr {
  const [stmt] = routeBody(`when ${text}`);
  if (stmt?.kind !== "when") throw new Error("no when");
  return stmt.condition;
}

const t = (name: string) => ({ kind: "truthy", fact: fact(name) });
const and = (left: unknown, right: unknown) => ({ kind: "and", left, right });
const or = (left: unknown, right: unknown) => ({ kind: "or", left, right });

describe("statements whose names are keywords", () => {
  it("take their kind from the leading keyword", () => {
    expect(routeBody("to limit guard budget, limit budget to limit per, timeout")).toEqual([
      { kind: "to", target: id("limit") },
      { kind: "guard", names: [id("budget"), id("limit")] },
      { kind: "budget", names: [id("to")] },
      { kind: "limit", names: [id("per"), id("timeout")] },
    ]);
  });

  it("keep calls, lists and nested calls as values", () => {
    expect(routeBody('timeout f(1s, [a, "b"], g())')).toEqual([
      {
        kind: "timeout",
        duration: {
          kind: "call",
          callee: id("f"),
          args: [qty("1s", "duration", 1000), { kind: "list", items: [id("a"), { kind: "string", value: "b" }] }, { kind: "call", callee: id("g"), args: [] }],
        },
      },
    ]);
  });
});

describe("and/or chains", () => {
  it("group by precedence, each level left-associative", () => {
    expect(when("a and b or c and d or e and f and g")).toEqual(or(or(and(t("a"), t("b")), and(t("c"), t("d"))), and(and(t("e"), t("f")), t("g"))));
    expect(when("a or b or c and d")).toEqual(or(or(t("a"), t("b")), and(t("c"), t("d"))));
  });

  it("span from their first operand to their last", () => {
    const text = "route r { when a == 1 and b or c }";
    const [route] = parse(text, FILE).file.declarations;
    if (route?.kind !== "route" || route.body[0]?.kind !== "when") throw new Error("no when");
    const top = route.body[0].condition;
    expect(text.slice(top.span.offset, top.span.endOffset)).toBe("a == 1 and b or c");
    if (top.kind !== "or") throw new Error("not an or");
    expect(text.slice(top.left.span.offset, top.left.span.endOffset)).toBe("a == 1 and b");
  });
});

describe("recovery inside inlined bodies", () => {
  it("reports the error and keeps the statements after it", () => {
    const text = "route r {\n  split { 70 }\n  to b\n  retry backoff 2s\n  timeout 3s\n}";
    // `backoff` is a name, so it is read as the count and `2s` is the stray token
    expect(problems(text)).toEqual([
      "P002 2:14 expected a name after `70`, found `}`",
      "P002 4:17 expected a route statement (`when`, `to`, `split`, `fallback`, `retry`, `timeout`, `guard`, `budget`, `limit`, `cache`) or `}`, found `2s`",
    ]);
    const [route] = parse(text, FILE).file.declarations;
    expect(route?.kind === "route" ? route.body.map((s) => s.kind) : []).toEqual(["split", "to", "retry", "timeout"]);
  });

  it("keeps clauses after a broken one", () => {
    const [budget] = parse("budget b { limit $2 day warn 80% }", FILE).file.declarations;
    expect(budget?.kind === "budget" ? budget.clauses.map((c) => c.kind) : []).toEqual(["amount", "warn"]);
  });
});

describe("the CST", () => {
  it("has plain-object children (the parser's hook in place of chevrotain's dictionary-mode ones)", () => {
    const { cst } = parseTokens(lex("route r { to a }", FILE).tokens);
    expect(Object.getPrototypeOf(cst.children)).toBe(Object.prototype);
  });
});
