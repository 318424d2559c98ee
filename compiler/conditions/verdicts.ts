/**
 * Whole-condition verdicts with their evidence: a condition that holds for
 * every request (with a request one would expect it to refuse), and the
 * smallest part of a condition that can never hold.
 */
import type { Expr } from "../../lang/ast.js";
import { coveredBy, listSource, newWork } from "./cover.js";
import { EVERYTHING } from "./cube.js";
import { translate } from "./translate.js";
import { describe, pointOf } from "./witness.js";

/** The tests (`and`/`or`/`not` operands) of `e` from left to right, the first one first. */
function firstTest(e: Expr | undefined): Expr | undefined {
  if (!e || typeof e !== "object") return undefined;
  switch (e.kind) {
    case "and":
    case "or":
      return firstTest(e.left);
    case "not":
      return firstTest(e.operand);
    case "paren":
      return firstTest(e.inner);
    default:
      return e;
  }
}

/**
 * When `e` holds for every request: a request that makes its first test
 * false and still matches (for `user == "x" or user != "x"`, a request
 * without `user`). Undefined when `e` is not provably always true.
 */
export function alwaysTrue(e: Expr): { witness: string; test: Expr | undefined } | undefined {
  const under = translate([e], "under");
  const items = under.cubes.map((cube) => ({ cube, route: 0 }));
  if (!coveredBy(EVERYTHING, listSource(items), newWork())) return undefined;
  const test = firstTest(e);
  const notTest = test && translate([{ kind: "not", operand: test, span: test.span }], "under").cubes[0];
  return { witness: describe(pointOf(notTest ?? EVERYTHING)), test: notTest ? test : undefined };
}

/** The operands of a chain of `and` (through parentheses). */
function conjuncts(e: Expr, into: Expr[] = []): Expr[] {
  if (e.kind === "paren") return conjuncts(e.inner, into);
  if (e.kind === "and") {
    conjuncts(e.left, into);
    conjuncts(e.right, into);
  } else into.push(e);
  return into;
}

/**
 * Why `e` can never hold: one of its `and` operands that never holds, or the
 * first two that cannot hold together. Undefined when no such part is found
 * (the contradiction is spread wider) or `e` can hold.
 */
export function neverTrue(e: Expr): readonly Expr[] | undefined {
  const parts = conjuncts(e);
  const never = (xs: Expr[]): boolean => translate(xs, "over").cubes.length === 0;
  for (const p of parts) if (never([p])) return [p];
  for (let i = 0; i < parts.length; i++) for (let j = i + 1; j < parts.length; j++) {
    if (never([parts[i]!, parts[j]!])) return [parts[i]!, parts[j]!];
  }
  return undefined;
}
