/**
 * The graph's conditions (`ExprNode`, compiler/graph.ts) as unions of cubes,
 * with the same algebra and the same meaning as translate.ts gives the
 * AST's: what reads a compiled policy (`aigw diff`) judges it exactly as
 * the lints judge its source. Lowering has already flattened `and`/`or`,
 * dropped parentheses and lowercased header names.
 */
import { exprText } from "../expr-text.js";
import type { ExprNode, FactNode, Literal } from "../graph.js";
import { complement, countConstraint, countValue, FALSE, keyKind, TRUE, type Constraint } from "./constraint.js";
import { EVERYTHING, type Cube } from "./cube.js";
import { single, TEXT_FACTS, Translator, type Condition, type Mode } from "./translate.js";

const COMPARE = { eq: "==", ne: "!=", lt: "<", gt: ">", le: "<=", ge: ">=" } as const;

/** The key of a graph fact, spelled as translate.ts's `factKey` spells the source's. */
export function nodeKey(fact: FactNode): string {
  return fact.arg === undefined ? fact.name : `${fact.name}(${fact.arg})`;
}

/** What a comparison or `in` allows of its fact, or undefined when it is not understood. */
function constraintOf(e: Extract<ExprNode, { fact: FactNode }>, key: string): Constraint | undefined {
  const kind = TEXT_FACTS.has(e.fact.name) ? "text" : keyKind(key);
  if (e.op === "truthy") return kind === "flag" ? { kind: "in", values: new Set([TRUE]) } : undefined;
  if (e.op === "matches") return undefined;
  const values: readonly Literal[] = e.op === "in" ? e.values : [e.value];
  if (kind === "text") {
    if (values.some((v) => typeof v !== "string")) return undefined;
    const strings = new Set(values as string[]);
    if (e.op === "in" || e.op === "eq") return { kind: "in", values: strings };
    return e.op === "ne" ? { kind: "out", values: strings } : undefined;
  }
  if (kind === "count") {
    const ns = values.map((v) => countValue(key, v));
    if (ns.some((n) => n === undefined)) return undefined;
    return countConstraint(key, e.op === "in" ? "in" : COMPARE[e.op], ns as number[]);
  }
  const b = values[0];
  if (typeof b !== "boolean" || (e.op !== "eq" && e.op !== "ne")) return undefined;
  return { kind: "in", values: new Set([(e.op === "eq") === b ? TRUE : FALSE]) };
}

function cubes(t: Translator, e: ExprNode, negated: boolean): Cube[] {
  switch (e.op) {
    case "not":
      return cubes(t, e.arg, !negated);
    case "and":
    case "or": {
      // De Morgan: under negation `and` unions and `or` intersects.
      const unite = (e.op === "or") !== negated;
      let acc: Cube[] | undefined;
      for (const a of e.args) {
        const next = cubes(t, a, negated);
        acc = acc === undefined ? next : unite ? t.union(acc, next) : t.product(acc, next);
      }
      return acc ?? (unite ? [] : [EVERYTHING]);
    }
    default: {
      const key = nodeKey(e.fact);
      const c = constraintOf(e, key);
      if (c === undefined) return t.opaqueText(exprText(e), negated);
      return single(key, negated ? complement(key, c) : c);
    }
  }
}

/** A graph route's `when` as cubes; absent, the route matches every request. */
export function translateNode(when: ExprNode | undefined, mode: Mode): Condition {
  const t = new Translator(mode);
  const out = when === undefined ? [EVERYTHING] : cubes(t, when, false);
  return { cubes: out, exact: t.exact };
}
