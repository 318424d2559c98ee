/**
 * Conditions as sets of requests, for the unreachable-route analysis. A `when`
 * is turned into a union of cubes; a cube is a conjunction of per-fact
 * constraints, each "one of these values" (`in`) or "anything but these"
 * (`out`). Only `==`, `!=`, `in`, `and`, `or`, `not` and parentheses are
 * understood; any other test (`<`, `matches`, a bare `stream`) becomes an
 * opaque boolean fact named by its own text, so `x and stream` is still known
 * to be inside `stream`.
 *
 * The translation is approximate in a stated direction: `under` gives a set
 * contained in the requests the condition matches (used for the earlier,
 * covering route), `over` a set containing them (used for the later route).
 * Whenever the meaning is unclear — an unusual value, a condition too large
 * to expand, a hole left by error recovery — each mode falls back to the
 * side that can only make the analysis report less.
 *
 * Assumptions about the evaluator (lang/SPEC.md states them): the string facts
 * (`model`, `endpoint`, `header`, `metadata`, `label`, `key`, `team`, `user`)
 * compare with exact, case-sensitive string equality; header names are
 * case-insensitive; a missing fact
 * equals no value, so `header("x") == "a"` is false without the header and
 * `not (header("x") == "a")` true. Whether `!=` holds for a missing fact is
 * left open: both readings are allowed for.
 */
import type { Expr, FactRef, Value } from "../../lang/ast.js";
import { stripSpans } from "../../lang/span.js";
import { arr, nameOf } from "./walk.js";

/** The allowed values of one fact: exactly `values` (`in`), or anything but them (`out`). */
export interface Allowed {
  kind: "in" | "out";
  values: ReadonlySet<string>;
}

/** A conjunction of constraints by fact key; a fact not in the map is unconstrained. */
export type Cube = ReadonlyMap<string, Allowed>;

export type Mode = "under" | "over";

/** The value a fact has when the request does not carry it (literals are tagged `s:`, so never equal it). */
const MISSING = "missing";

/** Keys of opaque tests start with this; their only values are TRUE and FALSE. */
const OPAQUE = "?";
const TRUE = "T";
const FALSE = "F";
const BOOLEAN_DOMAIN: ReadonlySet<string> = new Set([TRUE, FALSE]);

/** Larger unions than this are not expanded (see `toCubes`). */
const MAX_CUBES = 64;

/** The finite set of values a fact key can take, or undefined for an open domain. */
function domainOf(key: string): ReadonlySet<string> | undefined {
  return key.startsWith(OPAQUE) ? BOOLEAN_DOMAIN : undefined;
}

/** `any` for a fact: no constraint. */
export function top(key: string): Allowed {
  const d = domainOf(key);
  return d ? { kind: "in", values: d } : { kind: "out", values: new Set() };
}

/** Rewrites `out` over a finite domain as `in`, so each constraint has one spelling. */
export function normalise(key: string, a: Allowed): Allowed {
  const d = domainOf(key);
  if (!d) return a;
  return { kind: "in", values: new Set([...d].filter((v) => (a.kind === "in") === a.values.has(v))) };
}

export function isEmptyAllowed(a: Allowed): boolean {
  return a.kind === "in" && a.values.size === 0;
}

function intersectAllowed(a: Allowed, b: Allowed): Allowed {
  if (a.kind === "in" && b.kind === "in") return { kind: "in", values: new Set([...a.values].filter((v) => b.values.has(v))) };
  if (a.kind === "in") return { kind: "in", values: new Set([...a.values].filter((v) => !b.values.has(v))) };
  if (b.kind === "in") return { kind: "in", values: new Set([...b.values].filter((v) => !a.values.has(v))) };
  return { kind: "out", values: new Set([...a.values, ...b.values]) };
}

/** The conjunction of two cubes, or undefined when it is empty. */
export function conjoin(a: Cube, b: Cube): Cube | undefined {
  const out = new Map(a);
  for (const [k, v] of b) {
    const prev = out.get(k);
    const next = prev ? normalise(k, intersectAllowed(prev, v)) : v;
    if (isEmptyAllowed(next)) return undefined;
    out.set(k, next);
  }
  return out;
}

// ---------------------------------------------------------------- from expressions

/** The key of a fact: `team`, `header(x-tier)` (header names lowercased), `metadata(k)`. */
function factKey(fact: FactRef | undefined): string | undefined {
  const name = nameOf(fact?.name);
  if (!name) return undefined;
  if (!fact?.arg) return name;
  const arg = typeof fact.arg.value === "string" ? fact.arg.value : undefined;
  if (arg === undefined) return undefined;
  return `${name}(${name === "header" ? arg.toLowerCase() : arg})`;
}

/**
 * Facts whose values are strings compared exactly. Only these are read as
 * sets of values; tests on any other fact stay opaque, so no question of how
 * the evaluator compares `5` with `"5"` or `5k` with `5000` can arise.
 */
const STRING_FACTS: ReadonlySet<string> = new Set(["model", "endpoint", "header", "metadata", "label", "key", "team", "user"]);

/** A string literal's value, tagged so it never equals MISSING, or undefined for any other value. */
function literal(v: Value | undefined): string | undefined {
  return v && typeof v === "object" && v.kind === "string" && typeof v.value === "string" ? `s:${v.value}` : undefined;
}

const TRUE_SET: Cube[] = [new Map()];
const FALSE_SET: Cube[] = [];

function cube(key: string, kind: Allowed["kind"], values: Iterable<string>): Cube[] {
  const a = normalise(key, { kind, values: new Set(values) });
  return isEmptyAllowed(a) ? FALSE_SET : [new Map([[key, a]])];
}

/** The answer when the condition cannot be read: nothing (under) or everything (over). */
function unknown(mode: Mode): Cube[] {
  return mode === "under" ? FALSE_SET : TRUE_SET;
}

/** A test the analysis does not interpret, as a boolean fact named by its text. */
function opaque(e: Expr, negated: boolean): Cube[] {
  let key: string;
  try {
    key = OPAQUE + JSON.stringify(stripSpans(e));
  } catch {
    return TRUE_SET; // unreachable in practice (ASTs are trees); "true" is the over-approximation
  }
  return cube(key, "in", [negated ? FALSE : TRUE]);
}

function atom(e: Expr, negated: boolean, mode: Mode): Cube[] {
  if (e.kind !== "compare" && e.kind !== "in") return opaque(e, negated);
  const key = factKey(e.fact);
  if (key === undefined) return unknown(mode);
  if (!STRING_FACTS.has(nameOf(e.fact.name) ?? "")) return opaque(e, negated);
  if (e.kind === "in") {
    const values = arr(e.list?.items).map(literal);
    if (!e.list || values.some((v) => v === undefined)) return opaque(e, negated);
    return cube(key, negated ? "out" : "in", values as string[]);
  }
  const v = literal(e.value);
  if (v === undefined) return opaque(e, negated);
  if (e.op === "==") return cube(key, negated ? "out" : "in", [v]);
  if (e.op === "!=") {
    // `x != v` is "x is not v", possibly also requiring x to be present.
    const maybeMissing = mode === "over";
    if (!negated) return cube(key, "out", maybeMissing ? [v] : [v, MISSING]);
    return cube(key, "in", maybeMissing ? [v, MISSING] : [v]);
  }
  return opaque(e, negated);
}

function union(a: Cube[], b: Cube[], mode: Mode): Cube[] {
  const all = [...a, ...b];
  if (all.length <= MAX_CUBES) return all;
  // A subset of the disjuncts is inside the union; "true" contains it.
  return mode === "under" ? all.slice(0, MAX_CUBES) : TRUE_SET;
}

function product(a: Cube[], b: Cube[], mode: Mode): Cube[] {
  if (a.length * b.length > MAX_CUBES) {
    // `x and y` is inside both x and y; nothing is inside it.
    if (mode === "under") return FALSE_SET;
    return a.length <= b.length ? a : b;
  }
  const out: Cube[] = [];
  for (const x of a) for (const y of b) {
    const c = conjoin(x, y);
    if (c) out.push(c);
  }
  return out;
}

/**
 * The requests `e` matches (or, with `negated`, does not match) as a union of
 * cubes, approximated from below or above as `mode` says.
 */
export function toCubes(e: Expr | undefined, mode: Mode, negated = false): Cube[] {
  if (!e || typeof e !== "object") return unknown(mode);
  switch (e.kind) {
    case "paren":
      return toCubes(e.inner, mode, negated);
    case "not":
      return toCubes(e.operand, mode, !negated);
    case "and":
    case "or": {
      const l = toCubes(e.left, mode, negated);
      const r = toCubes(e.right, mode, negated);
      // De Morgan: under negation `and` unions and `or` intersects.
      return (e.kind === "or") !== negated ? union(l, r, mode) : product(l, r, mode);
    }
    case "compare":
    case "in":
    case "matches":
    case "truthy":
      return atom(e, negated, mode);
    default:
      return unknown(mode);
  }
}

/** The conjunction of several conditions (a route's `when`s), or everything when there are none. */
export function conditionCubes(conditions: readonly (Expr | undefined)[], mode: Mode): Cube[] {
  let acc: Cube[] = TRUE_SET;
  for (const c of conditions) acc = product(acc, toCubes(c, mode), mode);
  return acc;
}
