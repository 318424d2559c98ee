/**
 * Graph conditions (`ExprNode`) written back in the policy's syntax: for
 * explanations (runtime/engine/explain.ts) and for the condition analysis's
 * opaque tests and witnesses (compiler/conditions), which read the graph as
 * well as the AST.
 */
import type { ExprNode, FactNode, Literal } from "./graph.js";

const OPS = { eq: "==", ne: "!=", lt: "<", gt: ">", le: "<=", ge: ">=" } as const;

/** A fact as written in a policy: `team`, `header("x-tier")`. */
export function factText(fact: FactNode): string {
  return fact.arg === undefined ? fact.name : `${fact.name}(${JSON.stringify(fact.arg)})`;
}

/** A literal as written; `budget_used` compares percentages, so its numbers are written `80%`. */
function literalText(v: Literal, fact?: FactNode): string {
  if (typeof v === "number" && fact?.name === "budget_used") return `${v}%`;
  return typeof v === "string" ? JSON.stringify(v) : String(v);
}

/** An expression as written in a policy (normalised spacing and parentheses). */
export function exprText(e: ExprNode): string {
  switch (e.op) {
    case "and":
    case "or":
      return e.args.map((a) => (a.op === "and" || a.op === "or" ? `(${exprText(a)})` : exprText(a))).join(` ${e.op} `);
    case "not":
      return `not ${e.arg.op === "and" || e.arg.op === "or" ? `(${exprText(e.arg)})` : exprText(e.arg)}`;
    case "in":
      return `${factText(e.fact)} in [${e.values.map((v) => literalText(v, e.fact)).join(", ")}]`;
    case "matches":
      return `${factText(e.fact)} matches /${e.source}/${e.flags}`;
    case "truthy":
      return factText(e.fact);
    default:
      return `${factText(e.fact)} ${OPS[e.op]} ${literalText(e.value, e.fact)}`;
  }
}
