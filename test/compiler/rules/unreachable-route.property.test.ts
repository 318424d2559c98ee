/**
 * Soundness of unreachable-route: for random small policies over a few facts
 * with small value domains, every request over those domains is evaluated by
 * a reference evaluator with the runtime's semantics (a missing fact equals
 * nothing, so `!=` holds for it; token counts are whole numbers), and no
 * route the rule reports is the first match of any request.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import type { Expr, FactRef, RouteDecl, SourceFile, Value } from "../../../lang/ast.js";
import type { Span } from "../../../lang/span.js";
import { buildSymbols } from "../../../compiler/passes/symbols.js";
import { unreachableRoute } from "../../../compiler/rules/unreachable-route.js";

const S: Span = { file: "p.route", line: 1, column: 1, endLine: 1, endColumn: 1, offset: 0, endOffset: 0 };
const VALUES = ["a", "b", "c"];
/** Request values: missing, each literal, and one value no condition mentions. */
const REQUEST_VALUES = [undefined, ...VALUES, "z"];

type StringFact = "model" | "team" | "header";
const FACTS: StringFact[] = ["model", "team", "header"];

function factRef(f: StringFact | "stream" | "input_tokens"): FactRef {
  const name = { kind: "ident" as const, name: f, span: S };
  return f === "header"
    ? { kind: "fact", name, arg: { kind: "string", value: "X-Tier", span: S }, span: S }
    : { kind: "fact", name, span: S };
}
const str = (v: string): Value => ({ kind: "string", value: v, span: S });
const num = (n: number): Value => ({ kind: "quantity", unit: "number", value: n, raw: String(n), span: S });

const factArb = fc.constantFrom(...FACTS);
const valueArb = fc.constantFrom(...VALUES);

const atomArb: fc.Arbitrary<Expr> = fc.oneof(
  fc.record({ f: factArb, v: valueArb, op: fc.constantFrom("==" as const, "!=" as const) }).map(
    ({ f, v, op }): Expr => ({ kind: "compare", op, fact: factRef(f), value: str(v), span: S }),
  ),
  fc.record({ f: factArb, vs: fc.uniqueArray(valueArb, { maxLength: 3 }) }).map(
    ({ f, vs }): Expr => ({ kind: "in", fact: factRef(f), list: { kind: "list", items: vs.map(str), span: S }, span: S }),
  ),
  fc.constant<Expr>({ kind: "truthy", fact: factRef("stream"), span: S }),
  fc.record({ n: fc.integer({ min: 0, max: 3 }), op: fc.constantFrom("==" as const, "!=" as const, "<" as const, ">" as const, "<=" as const, ">=" as const) }).map(
    ({ n, op }): Expr => ({ kind: "compare", op, fact: factRef("input_tokens"), value: num(n), span: S }),
  ),
);

const exprArb: fc.Arbitrary<Expr> = fc.letrec<{ e: Expr }>((tie) => ({
  e: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    { arbitrary: atomArb, weight: 4 },
    { arbitrary: fc.tuple(tie("e"), tie("e")).map(([left, right]): Expr => ({ kind: "and", left, right, span: S })), weight: 3 },
    { arbitrary: fc.tuple(tie("e"), tie("e")).map(([left, right]): Expr => ({ kind: "or", left, right, span: S })), weight: 1 },
    { arbitrary: tie("e").map((operand): Expr => ({ kind: "not", operand, span: S })), weight: 1 },
  ),
})).e;

/** Up to six routes; about one in five has no `when`. */
const policyArb = fc.array(fc.option(exprArb, { freq: 5, nil: undefined }), { minLength: 1, maxLength: 6 });

function toFile(whens: (Expr | undefined)[]): SourceFile {
  const declarations: RouteDecl[] = whens.map((w, i) => ({
    kind: "route",
    name: { kind: "ident", name: `r${i}`, span: { ...S, line: i + 1 } },
    body: [
      ...(w ? [{ kind: "when" as const, condition: w, span: S }] : []),
      { kind: "to" as const, target: { kind: "ident" as const, name: "m", span: S }, span: S },
    ],
    span: { ...S, line: i + 1 },
  }));
  return { kind: "file", path: "p.route", declarations, comments: [], span: S };
}

interface Req {
  model?: string;
  team?: string;
  header?: string;
  stream: boolean;
  tokens: number;
}

function* requests(): Generator<Req> {
  for (const model of REQUEST_VALUES)
    for (const team of REQUEST_VALUES)
      for (const header of REQUEST_VALUES)
        for (const stream of [false, true]) for (const tokens of [0, 1, 2, 3, 4]) yield { model, team, header, stream, tokens };
}

/** The reference evaluator. */
function holds(e: Expr, r: Req): boolean {
  switch (e.kind) {
    case "and":
      return holds(e.left, r) && holds(e.right, r);
    case "or":
      return holds(e.left, r) || holds(e.right, r);
    case "not":
      return !holds(e.operand, r);
    case "paren":
      return holds(e.inner, r);
    case "truthy":
      return r.stream;
    case "compare": {
      if (e.fact.name.name === "input_tokens") {
        const n = (e.value as { value: number }).value;
        return { "==": r.tokens === n, "!=": r.tokens !== n, "<": r.tokens < n, ">": r.tokens > n, "<=": r.tokens <= n, ">=": r.tokens >= n }[e.op];
      }
      const actual = r[e.fact.name.name as StringFact];
      const expected = (e.value as { value: string }).value;
      if (e.op === "==") return actual === expected;
      return actual !== expected;
    }
    case "in": {
      const actual = r[e.fact.name.name as StringFact];
      return actual !== undefined && e.list.items.some((i) => (i as { value: string }).value === actual);
    }
    default:
      throw new Error(`not generated: ${e.kind}`);
  }
}

function firstMatch(whens: (Expr | undefined)[], r: Req): number {
  return whens.findIndex((w) => w === undefined || holds(w, r));
}

describe("unreachable-route soundness (property)", () => {
  test("a route is reported exactly when no request ever chooses it", () => {
    let reports = 0;
    fc.assert(
      fc.property(policyArb, (whens) => {
        const file = toFile(whens);
        const ctx = { files: [file], symbols: buildSymbols([file]).symbols, env: {} };
        const reported = new Set(unreachableRoute.check(ctx).map((d) => d.span.line - 1));
        reports += reported.size;
        const chosen = new Set<number>();
        for (const r of requests()) {
          const i = firstMatch(whens, r);
          if (i >= 0 && reported.has(i)) throw new Error(`route r${i} reported unreachable but matches ${JSON.stringify(r)}`);
          chosen.add(i);
        }
        // Complete too: the requests above stand for every request (one value no condition names, counts
        // up to one past the largest bound), so a route no request chooses is one the rule must report.
        const never = whens.map((_, i) => i).filter((i) => !chosen.has(i));
        expect([...reported].sort()).toEqual(never);
      }),
      { numRuns: 400 },
    );
    expect(reports).toBeGreaterThan(0); // the property is not vacuous
  });
});
