/**
 * Lowering of the small pieces every part of the graph needs: source spans
 * to `SourceRef`s, literal values to JSON literals, facts to `FactNode`s and
 * `when` conditions to `ExprNode`s (parentheses dropped, nested `and`/`or`
 * flattened into one n-ary node). Runs only on checked ASTs, but stays total:
 * a value of an unexpected shape lowers to a neutral literal, never a throw.
 */
import type { Expr, FactRef, Value } from "../lang/ast.js";
import type { Span } from "../lang/span.js";
import type { ExprNode, FactName, FactNode, Literal, SourceRef } from "./graph.js";

/**
 * Sets an own property even for names like `__proto__`, which plain
 * assignment would treat as the prototype: header, metadata and label names
 * come from the policy, and a graph must be plain JSON data.
 */
export function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

export function sourceRef(span: Span): SourceRef {
  return { file: span.file, line: span.line, column: span.column, endLine: span.endLine, endColumn: span.endColumn };
}

/** A checked value as a JSON literal: strings as written, quantities in base units, words as their name. */
export function literal(value: Value): Literal {
  switch (value.kind) {
    case "string":
      return value.value;
    case "quantity":
      return value.value;
    case "bool":
      return value.value;
    case "ident":
      return value.name;
    case "regex":
      return `/${value.pattern}/${value.flags}`;
    case "call":
    case "list":
      return "";
  }
}

/** Header names are case-insensitive in HTTP, so they are lowered to lower case here and in test requests. */
export function factNode(fact: FactRef): FactNode {
  const name = fact.name.name as FactName;
  if (!fact.arg) return { name };
  return { name, arg: name === "header" ? fact.arg.value.toLowerCase() : fact.arg.value };
}

const COMPARE: Record<Extract<Expr, { kind: "compare" }>["op"], Extract<ExprNode, { fact: FactNode; value: Literal }>["op"]> = {
  "==": "eq",
  "!=": "ne",
  "<": "lt",
  ">": "gt",
  "<=": "le",
  ">=": "ge",
};

/** Collects the operands of a chain of `op` (through parentheses) into `into`. */
function flatten(expr: Expr, op: "and" | "or", into: ExprNode[]): void {
  if (expr.kind === "paren") return flatten(expr.inner, op, into);
  if (expr.kind === op) {
    flatten(expr.left, op, into);
    flatten(expr.right, op, into);
    return;
  }
  into.push(lowerExpr(expr));
}

export function lowerExpr(expr: Expr): ExprNode {
  switch (expr.kind) {
    case "and":
    case "or": {
      const args: ExprNode[] = [];
      flatten(expr, expr.kind, args);
      return { op: expr.kind, args };
    }
    case "paren":
      return lowerExpr(expr.inner);
    case "not":
      return { op: "not", arg: lowerExpr(expr.operand) };
    case "compare":
      return { op: COMPARE[expr.op], fact: factNode(expr.fact), value: literal(expr.value) };
    case "in":
      return { op: "in", fact: factNode(expr.fact), values: expr.list.items.map(literal) };
    case "matches":
      return { op: "matches", fact: factNode(expr.fact), source: expr.regex.pattern, flags: expr.regex.flags };
    case "truthy":
      return { op: "truthy", fact: factNode(expr.fact) };
  }
}

/**
 * The requested-model names `expr` can hold for (without repeats), or
 * `"any"` when it does not constrain the model. Sound, not complete: a route
 * can only match a request whose model is in the list, so indexing it under
 * those names alone is safe. Arrays, not sets: the lists are tiny and this
 * runs once per route.
 */
export function modelsOf(expr: ExprNode): readonly string[] | "any" {
  switch (expr.op) {
    case "eq":
      return expr.fact.name === "model" && typeof expr.value === "string" ? [expr.value] : "any";
    case "in":
      return expr.fact.name === "model" ? unique(expr.values.filter((v): v is string => typeof v === "string")) : "any";
    case "and": {
      let acc: readonly string[] | "any" = "any";
      for (const arg of expr.args) {
        const s = modelsOf(arg);
        if (s === "any") continue;
        acc = acc === "any" ? s : acc.filter((m) => s.includes(m));
      }
      return acc;
    }
    case "or": {
      const acc: string[] = [];
      for (const arg of expr.args) {
        const s = modelsOf(arg);
        if (s === "any") return "any";
        for (const m of s) acc.push(m);
      }
      return unique(acc);
    }
    default:
      return "any";
  }
}

function unique(values: readonly string[]): string[] {
  return values.length < 2 ? [...values] : [...new Set(values)];
}
