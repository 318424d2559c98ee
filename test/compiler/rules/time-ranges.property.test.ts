/**
 * The condition analysis on the time facts (property): over policies of
 * `hour` and `weekday` conditions, E304 reports a route exactly when no
 * moment of the week chooses it. Every moment is enumerated (24 hours × 7
 * days), so the analysis's bounded ranges (`hour` 0–23, `weekday` Monday to
 * Sunday) are checked against the plain reading of each condition.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import type { Expr, FactRef, RouteDecl, SourceFile, Value } from "../../../lang/ast.js";
import type { Span } from "../../../lang/span.js";
import { buildSymbols } from "../../../compiler/passes/symbols.js";
import { unreachableRoute } from "../../../compiler/rules/unreachable-route.js";
import { WEEKDAYS } from "../../../compiler/time.js";

const S: Span = { file: "p.route", line: 1, column: 1, endLine: 1, endColumn: 1, offset: 0, endOffset: 0 };
const fact = (name: "hour" | "weekday"): FactRef => ({ kind: "fact", name: { kind: "ident", name, span: S }, span: S });
const str = (v: string): Value => ({ kind: "string", value: v, span: S });
const num = (n: number): Value => ({ kind: "quantity", unit: "number", value: n, raw: String(n), span: S });
const OPS = ["==", "!=", "<", ">", "<=", ">="] as const;

const atomArb: fc.Arbitrary<Expr> = fc.oneof(
  // Bounds up to 25, so conditions outside 0–23 (`hour >= 24`) are generated too.
  fc.record({ n: fc.integer({ min: -1, max: 25 }), op: fc.constantFrom(...OPS) }).map(({ n, op }): Expr => ({ kind: "compare", op, fact: fact("hour"), value: num(n), span: S })),
  fc.record({ d: fc.constantFrom(...WEEKDAYS), op: fc.constantFrom("==" as const, "!=" as const) }).map(({ d, op }): Expr => ({ kind: "compare", op, fact: fact("weekday"), value: str(d), span: S })),
  fc.uniqueArray(fc.constantFrom(...WEEKDAYS), { maxLength: 4 }).map((ds): Expr => ({ kind: "in", fact: fact("weekday"), list: { kind: "list", items: ds.map(str), span: S }, span: S })),
);

const exprArb: fc.Arbitrary<Expr> = fc.letrec<{ e: Expr }>((tie) => ({
  e: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    { arbitrary: atomArb, weight: 4 },
    { arbitrary: fc.tuple(tie("e"), tie("e")).map(([left, right]): Expr => ({ kind: "and", left, right, span: S })), weight: 2 },
    { arbitrary: fc.tuple(tie("e"), tie("e")).map(([left, right]): Expr => ({ kind: "or", left, right, span: S })), weight: 2 },
    { arbitrary: tie("e").map((operand): Expr => ({ kind: "not", operand, span: S })), weight: 1 },
  ),
})).e;

function toFile(whens: (Expr | undefined)[]): SourceFile {
  const declarations: RouteDecl[] = whens.map((w, i) => ({
    kind: "route",
    name: { kind: "ident", name: `r${i}`, span: { ...S, line: i + 1 } },
    body: [...(w ? [{ kind: "when" as const, condition: w, span: S }] : []), { kind: "to" as const, target: { kind: "ident" as const, name: "m", span: S }, span: S }],
    span: { ...S, line: i + 1 },
  }));
  return { kind: "file", path: "p.route", declarations, comments: [], span: S };
}

interface Moment {
  hour: number;
  weekday: string;
}

function holds(e: Expr, m: Moment): boolean {
  switch (e.kind) {
    case "and":
      return holds(e.left, m) && holds(e.right, m);
    case "or":
      return holds(e.left, m) || holds(e.right, m);
    case "not":
      return !holds(e.operand, m);
    case "in":
      return e.list.items.some((i) => (i as { value: string }).value === m.weekday);
    case "compare": {
      if (e.fact.name.name === "weekday") return (e.value as { value: string }).value === m.weekday ? e.op === "==" : e.op === "!=";
      const n = (e.value as { value: number }).value;
      return { "==": m.hour === n, "!=": m.hour !== n, "<": m.hour < n, ">": m.hour > n, "<=": m.hour <= n, ">=": m.hour >= n }[e.op];
    }
    default:
      throw new Error(`not generated: ${e.kind}`);
  }
}

const WEEK: Moment[] = WEEKDAYS.flatMap((weekday) => Array.from({ length: 24 }, (_, hour) => ({ hour, weekday })));

describe("unreachable-route on time facts (property)", () => {
  test("a route is reported exactly when no moment of the week chooses it", () => {
    let reports = 0;
    fc.assert(
      fc.property(fc.array(fc.option(exprArb, { freq: 6, nil: undefined }), { minLength: 1, maxLength: 5 }), (whens) => {
        const file = toFile(whens);
        const reported = new Set(unreachableRoute.check({ files: [file], symbols: buildSymbols([file]).symbols, env: {} }).map((d) => d.span.line - 1));
        reports += reported.size;
        const chosen = new Set<number>();
        for (const m of WEEK) chosen.add(whens.findIndex((w) => w === undefined || holds(w, m)));
        const never = whens.map((_, i) => i).filter((i) => !chosen.has(i));
        expect([...reported].sort()).toEqual(never);
      }),
      { numRuns: 300, seed: 21 },
    );
    expect(reports).toBeGreaterThan(0);
  });
});
