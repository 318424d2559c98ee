/**
 * `when` conditions as unions of cubes (cube.ts): the symbolic form the
 * condition analysis works on.
 *
 * Understood exactly, with the evaluator's semantics (lang/SPEC.md §5, §7.1):
 * text facts with `==`, `!=`, `in` against strings (exact, case-sensitive;
 * header names case-insensitive; a missing fact equals nothing, so `!=`
 * holds for it); counts (`input_tokens`, `input_bytes`) with every
 * comparison and `in` against numbers, as whole numbers ≥ 0; flags alone or
 * compared with `true`/`false`; `and`, `or`, `not`, parentheses. Anything
 * else — `matches`, a comparison the checker refuses — is an opaque test: a
 * flag named by its own text, so `x and stream` is still inside `stream` and
 * two identical `matches` are one test.
 *
 * A union too large to expand (over MAX_CUBES cubes) is approximated in a
 * stated direction: `under` gives a subset of the requests the condition
 * matches (used for earlier, covering routes), `over` a superset (for the
 * route being judged). `exact` says no approximation was made, so a witness
 * drawn from the cubes really matches.
 */
import type { Expr, FactRef, Value } from "../../lang/ast.js";
import { expr as formatExpr } from "../../lang/format-text.js";
import { complement, countConstraint, countValue, FALSE, keyKind, OPAQUE, TRUE, type Constraint } from "./constraint.js";
import { conjoin, EVERYTHING, type Cube } from "./cube.js";

export type Mode = "under" | "over";

export interface Condition {
  cubes: Cube[];
  /** False when some part was approximated (see the module header). */
  exact: boolean;
}

/** Larger unions than this are not expanded. */
const MAX_CUBES = 64;

export const TEXT_FACTS: ReadonlySet<string> = new Set(["model", "endpoint", "header", "metadata", "label", "key", "team", "user", "text"]);

/** The key of a fact: `team`, `header(x-tier)` (header names lowercased), `metadata(k)`. */
export function factKey(fact: FactRef | undefined): string | undefined {
  const name = fact?.name?.name;
  if (typeof name !== "string" || name === "") return undefined;
  if (!fact?.arg) return name;
  const arg = typeof fact.arg.value === "string" ? fact.arg.value : undefined;
  if (arg === undefined) return undefined;
  return `${name}(${name === "header" ? arg.toLowerCase() : arg})`;
}

export function single(key: string, c: Constraint): Cube[] {
  const cube = conjoin(EVERYTHING, new Map([[key, c]]));
  return cube ? [cube] : [];
}

/** The shared algebra of both readers: this file's (the AST) and translate-node.ts's (the graph). */
export class Translator {
  exact = true;
  constructor(private readonly mode: Mode) {}

  /** The answer when the condition cannot be read: nothing (under) or everything (over). */
  unknown(): Cube[] {
    this.exact = false;
    return this.mode === "under" ? [] : [EVERYTHING];
  }

  opaque(e: Expr, negated: boolean): Cube[] {
    let text: string;
    try {
      text = formatExpr(e);
    } catch {
      return this.unknown(); // a hole left by error recovery
    }
    return this.opaqueText(text, negated);
  }

  /** A test the analysis does not interpret, named by its text: a flag that holds or does not. */
  opaqueText(text: string, negated: boolean): Cube[] {
    return single(OPAQUE + text, { kind: "in", values: new Set([negated ? FALSE : TRUE]) });
  }

  atom(e: Expr, negated: boolean): Cube[] {
    if (e.kind !== "compare" && e.kind !== "in" && e.kind !== "truthy") return this.opaque(e, negated);
    const key = factKey(e.fact);
    if (key === undefined) return this.unknown();
    const c = this.constraint(e, key);
    if (c === undefined) return this.opaque(e, negated);
    return single(key, negated ? complement(key, c) : c);
  }

  /** What `e` allows of its fact, or undefined when it is not understood. */
  constraint(e: Extract<Expr, { kind: "compare" | "in" | "truthy" }>, key: string): Constraint | undefined {
    const name = e.fact.name.name;
    const kind = TEXT_FACTS.has(name) ? "text" : keyKind(key);
    if (e.kind === "truthy") return kind === "flag" ? { kind: "in", values: new Set([TRUE]) } : undefined;
    const values = e.kind === "in" ? (Array.isArray(e.list?.items) ? e.list.items : undefined) : [e.value];
    if (!values) return undefined;
    if (kind === "text") {
      const strings = values.map(stringOf);
      if (strings.some((s) => s === undefined)) return undefined;
      if (e.kind === "in") return { kind: "in", values: new Set(strings as string[]) };
      if (e.op === "==" || e.op === "!=") return { kind: e.op === "==" ? "in" : "out", values: new Set(strings as string[]) };
      return undefined;
    }
    if (kind === "count") {
      const ns = values.map((v) => countValue(key, literalOf(v)));
      if (ns.some((n) => n === undefined)) return undefined;
      return countConstraint(key, e.kind === "in" ? "in" : e.op, ns as number[]);
    }
    const b = values[0]?.kind === "bool" ? values[0].value : undefined;
    if (e.kind !== "compare" || typeof b !== "boolean" || (e.op !== "==" && e.op !== "!=")) return undefined;
    return { kind: "in", values: new Set([(e.op === "==") === b ? TRUE : FALSE]) };
  }

  union(a: Cube[], b: Cube[]): Cube[] {
    const all = [...a, ...b];
    if (all.length <= MAX_CUBES) return all;
    this.exact = false;
    // A subset of the disjuncts is inside the union; "everything" contains it.
    return this.mode === "under" ? all.slice(0, MAX_CUBES) : [EVERYTHING];
  }

  product(a: Cube[], b: Cube[]): Cube[] {
    if (a.length * b.length > MAX_CUBES) {
      this.exact = false;
      // `x and y` is inside both x and y; nothing is inside it.
      if (this.mode === "under") return [];
      return a.length <= b.length ? a : b;
    }
    const out: Cube[] = [];
    for (const x of a) for (const y of b) {
      const c = conjoin(x, y);
      if (c) out.push(c);
    }
    return out;
  }

  cubes(e: Expr | undefined, negated: boolean): Cube[] {
    if (!e || typeof e !== "object") return this.unknown();
    switch (e.kind) {
      case "paren":
        return this.cubes(e.inner, negated);
      case "not":
        return this.cubes(e.operand, !negated);
      case "and":
      case "or": {
        const l = this.cubes(e.left, negated);
        const r = this.cubes(e.right, negated);
        // De Morgan: under negation `and` unions and `or` intersects.
        return (e.kind === "or") !== negated ? this.union(l, r) : this.product(l, r);
      }
      case "compare":
      case "in":
      case "matches":
      case "truthy":
        return this.atom(e, negated);
      default:
        return this.unknown();
    }
  }
}

function stringOf(v: Value | undefined): string | undefined {
  return v?.kind === "string" && typeof v.value === "string" ? v.value : undefined;
}

function literalOf(v: Value | undefined): unknown {
  return v?.kind === "quantity" ? v.value : v?.kind === "string" ? v.value : undefined;
}

/** The conjunction of several conditions (a route's `when`s; none matches everything), as cubes. */
export function translate(conditions: readonly (Expr | undefined)[], mode: Mode): Condition {
  const t = new Translator(mode);
  let acc: Cube[] = [EVERYTHING];
  for (const c of conditions) acc = t.product(acc, t.cubes(c, false));
  return { cubes: acc, exact: t.exact };
}
