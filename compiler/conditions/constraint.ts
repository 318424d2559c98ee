/**
 * What one fact may be, inside a cube (cube.ts): the per-fact constraints of
 * the condition analysis and their set algebra.
 *
 * Three kinds of fact, by the values they can take:
 * - text facts (`team`, `header(x-tier)`, …): any string, or missing. A
 *   constraint is a finite set of values (`in`) or everything but one
 *   (`out`); `out` is infinite, so no finite `in` ever contains it.
 * - counts (`input_tokens`, `input_bytes`, `budget_used("B")` scaled): whole numbers ≥ 0, always
 *   present. A constraint is a union of closed integer ranges. The time
 *   facts are counts with a bounded domain: `hour` 0–23, `weekday` 0–6
 *   (Monday first), `date` the day number since 1970-01-01, so `hour >= 24`
 *   is empty and `hour < 12` then `hour < 10` is a subset.
 * - flags (`stream`, `tools`, `images`) and opaque tests (anything the
 *   analysis does not interpret, such as `matches`): true or false, written
 *   as the `in` set of the values allowed.
 * Every operation keeps one spelling per set (ranges sorted and merged, flags
 * always `in`), so equality of sets is structural.
 */

import { dayNumber, WEEKDAYS } from "../time.js";

/** Values of flags and opaque tests. */
export const TRUE = "T";
export const FALSE = "F";

/** Keys of opaque tests start with this (see translate.ts). */
export const OPAQUE = "?";

/** The count facts; every other non-flag, non-opaque key is a text fact. */
const COUNTS: ReadonlySet<string> = new Set(["input_tokens", "input_bytes", "hour", "weekday", "date"]);
const FLAGS: ReadonlySet<string> = new Set(["stream", "tools", "images"]);

export type KeyKind = "text" | "count" | "flag";

export function keyKind(key: string): KeyKind {
  if (key.startsWith(OPAQUE) || FLAGS.has(key)) return "flag";
  return COUNTS.has(key) || key.startsWith(BUDGET_USED) ? "count" : "text";
}

/**
 * `budget_used("B")` is a percentage ≥ 0, any real number; the analysis
 * counts it in ten-thousandths of a percent, so ranges of whole numbers stand
 * for it (two bounds closer than 0.0001% apart are not told apart).
 */
const BUDGET_USED = "budget_used(";
export const PERCENT_SCALE = 10_000;


/** A set of strings: exactly `values` (`in`), or every string but them (`out`). */
export interface StringSet {
  kind: "in" | "out";
  values: ReadonlySet<string>;
}

/** Sorted, disjoint, non-adjacent closed ranges of whole numbers; `hi` may be Infinity. */
export interface Ranges {
  kind: "ranges";
  parts: readonly (readonly [number, number])[];
}

export type Constraint = StringSet | Ranges;

const BOOLS: ReadonlySet<string> = new Set([TRUE, FALSE]);
const EVERY_COUNT: Ranges = { kind: "ranges", parts: [[0, Infinity]] };
const NO_COUNT: Ranges = { kind: "ranges", parts: [] };

// The counts whose values are bounded (every other count is 0 … ∞).
const DOMAINS: Readonly<Record<string, Ranges>> = { hour: { kind: "ranges", parts: [[0, 23]] }, weekday: { kind: "ranges", parts: [[0, WEEKDAYS.length - 1]] } };

function domainOf(key: string): Ranges {
  return Object.hasOwn(DOMAINS, key) ? DOMAINS[key]! : EVERY_COUNT;
}

/** A literal as the number the analysis reads for a count: a weekday's index, a date's day number, a percentage in ten-thousandths, a number itself. */
export function countValue(key: string, v: unknown): number | undefined {
  if (key === "weekday") {
    const i = typeof v === "string" ? (WEEKDAYS as readonly string[]).indexOf(v) : -1;
    return i < 0 ? undefined : i;
  }
  if (key === "date") return typeof v === "string" ? dayNumber(v) : undefined;
  if (typeof v !== "number" || !Number.isFinite(v)) return undefined;
  return key.startsWith(BUDGET_USED) ? Math.round(v * PERCENT_SCALE) : v;
}

/** What `op` against `values` allows of count `key`, inside its domain. */
export function countConstraint(key: string, op: "in" | "==" | "!=" | "<" | ">" | "<=" | ">=", values: readonly number[]): Ranges {
  const r = op === "in" ? pointRanges(values) : compareRanges(op, values[0]!);
  return intersectRanges(r, domainOf(key));
}

/** The constraint that allows every value of `key`. */
export function anyValue(key: string): Constraint {
  switch (keyKind(key)) {
    case "flag":
      return { kind: "in", values: BOOLS };
    case "count":
      return domainOf(key);
    case "text":
      return { kind: "out", values: new Set() };
  }
}

/** The values a string set names (none for ranges). */
export function named(c: Constraint | undefined): ReadonlySet<string> {
  return c && c.kind !== "ranges" ? c.values : NONE;
}

const NONE: ReadonlySet<string> = new Set();

export function isEmpty(c: Constraint): boolean {
  return c.kind === "ranges" ? c.parts.length === 0 : c.kind === "in" && c.values.size === 0;
}

/** Is the constraint "anything", i.e. no constraint at all? */
export function isAny(key: string, c: Constraint): boolean {
  if (c.kind === "ranges") {
    const d = domainOf(key).parts[0]!;
    return c.parts.length === 1 && c.parts[0]![0] === d[0] && c.parts[0]![1] === d[1];
  }
  return c.kind === "out" ? c.values.size === 0 : keyKind(key) === "flag" && c.values.size === 2;
}

// ---------------------------------------------------------------- ranges

/** Sorts and merges ranges, dropping empty ones. */
export function ranges(parts: Iterable<readonly [number, number]>): Ranges {
  const sorted = [...parts].filter(([lo, hi]) => lo <= hi).sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return { kind: "ranges", parts: out };
}

function complementRanges(a: Ranges): Ranges {
  const out: [number, number][] = [];
  let next = 0;
  for (const [lo, hi] of a.parts) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next !== Infinity) out.push([next, Infinity]);
  return { kind: "ranges", parts: out };
}

function intersectRanges(a: Ranges, b: Ranges): Ranges {
  const out: [number, number][] = [];
  let i = 0;
  let j = 0;
  while (i < a.parts.length && j < b.parts.length) {
    const [alo, ahi] = a.parts[i]!;
    const [blo, bhi] = b.parts[j]!;
    const lo = Math.max(alo, blo);
    const hi = Math.min(ahi, bhi);
    if (lo <= hi) out.push([lo, hi]);
    if (ahi < bhi) i++;
    else j++;
  }
  return { kind: "ranges", parts: out };
}

/** The whole numbers `op n` allows (`input_tokens > 100k`), as ranges. */
export function compareRanges(op: "==" | "!=" | "<" | ">" | "<=" | ">=", n: number): Ranges {
  switch (op) {
    case ">":
      return ranges([[Math.floor(n) + 1, Infinity]]);
    case ">=":
      return ranges([[Math.ceil(n), Infinity]]);
    case "<":
      return ranges([[0, Math.ceil(n) - 1]]);
    case "<=":
      return ranges([[0, Math.floor(n)]]);
    case "==":
      return Number.isInteger(n) && n >= 0 ? ranges([[n, n]]) : NO_COUNT;
    case "!=":
      return complementRanges(compareRanges("==", n));
  }
}

/** The whole numbers among `ns`, as ranges. */
export function pointRanges(ns: readonly number[]): Ranges {
  return ranges(ns.filter((n) => Number.isInteger(n) && n >= 0).map((n) => [n, n] as const));
}

// ---------------------------------------------------------------- set algebra

/** Everything `c` does not allow. */
export function complement(key: string, c: Constraint): Constraint {
  if (c.kind === "ranges") return intersectRanges(complementRanges(c), domainOf(key));
  if (keyKind(key) === "flag") return { kind: "in", values: new Set([...BOOLS].filter((v) => !c.values.has(v))) };
  return { kind: c.kind === "in" ? "out" : "in", values: c.values };
}

export function intersect(a: Constraint, b: Constraint): Constraint {
  if (a.kind === "ranges" || b.kind === "ranges") {
    return a.kind === "ranges" && b.kind === "ranges" ? intersectRanges(a, b) : NO_COUNT;
  }
  if (a.kind === "in" && b.kind === "in") return { kind: "in", values: new Set([...a.values].filter((v) => b.values.has(v))) };
  if (a.kind === "in") return { kind: "in", values: new Set([...a.values].filter((v) => !b.values.has(v))) };
  if (b.kind === "in") return { kind: "in", values: new Set([...b.values].filter((v) => !a.values.has(v))) };
  return { kind: "out", values: new Set([...a.values, ...b.values]) };
}

/** Is every value `a` allows also allowed by `b`? */
export function subset(a: Constraint, b: Constraint): boolean {
  if (a.kind === "ranges" || b.kind === "ranges") {
    if (a.kind !== "ranges" || b.kind !== "ranges") return false;
    return isEmpty(intersectRanges(a, complementRanges(b)));
  }
  if (a.kind === "in" && b.kind === "in") {
    for (const v of a.values) if (!b.values.has(v)) return false;
    return true;
  }
  if (a.kind === "in") {
    for (const v of a.values) if (b.values.has(v)) return false;
    return true;
  }
  if (b.kind === "in") return false; // an infinite set inside a finite one
  for (const v of b.values) if (!a.values.has(v)) return false;
  return true;
}

/** Is some value allowed by both? */
export function overlap(a: Constraint, b: Constraint): boolean {
  if (a.kind === "ranges" || b.kind === "ranges") {
    return a.kind === "ranges" && b.kind === "ranges" && !isEmpty(intersectRanges(a, b));
  }
  if (a.kind === "in" && b.kind === "in") {
    const [small, large] = a.values.size <= b.values.size ? [a.values, b.values] : [b.values, a.values];
    for (const v of small) if (large.has(v)) return true;
    return false;
  }
  if (a.kind === "in") {
    for (const v of a.values) if (!b.values.has(v)) return true;
    return false;
  }
  if (b.kind === "in") {
    for (const v of b.values) if (!a.values.has(v)) return true;
    return false;
  }
  return true;
}

/**
 * `c` cut into pieces each of which lies wholly inside or wholly outside
 * every constraint in `others`: single values of a finite set, elementary
 * ranges between the others' bounds. Not for `out` sets (cover.ts splits
 * those itself, generic value first).
 */
export function pieces(c: Constraint, others: readonly Constraint[]): Constraint[] {
  if (c.kind !== "ranges") return c.kind === "in" ? [...c.values].map((v) => ({ kind: "in", values: new Set([v]) })) : [c];
  const cuts = new Set<number>();
  for (const o of others) {
    if (o.kind !== "ranges") continue;
    for (const [lo, hi] of o.parts) {
      cuts.add(lo);
      if (hi !== Infinity) cuts.add(hi + 1);
    }
  }
  const sorted = [...cuts].sort((a, b) => a - b);
  const out: Constraint[] = [];
  for (const [lo, hi] of c.parts) {
    let start = lo;
    for (const cut of sorted) {
      if (cut <= start || cut > hi) continue;
      out.push(ranges([[start, cut - 1]]));
      start = cut;
    }
    out.push(ranges([[start, hi]]));
  }
  return out;
}
