/**
 * Is a cube inside a union of cubes? The question behind the hidden-route
 * check ("do the routes above match every request this one would?") and the
 * always-true check ("does this condition match every request?").
 *
 * The cube is cut into pieces along the facts on which the candidates
 * disagree with it, until each piece lies inside one candidate (yes) or
 * inside none (no). Text facts have infinitely many values, so an `out`
 * constraint is never cut value by value: first the **generic** piece, a
 * value no candidate names, is checked against the candidates that allow
 * such a value (those without an `in` on that fact) — most "no" answers end
 * there, at once — and only then the values some of those candidates
 * exclude. A value only ever named by `in`s needs no piece of its own:
 * everything that covers the generic piece covers it too.
 *
 * Candidates come from a `Source` (store.ts indexes earlier routes by fact
 * and value): `candidates(c)` must return every cube that overlaps `c` and
 * has no `in` on a text fact `c` leaves open; `named(key, value)` the cubes
 * with an `in` on `key` allowing `value`. Sound: "yes" only when it holds;
 * "no" also when the work allowance runs out.
 */
import { anyValue, keyKind, named, pieces, subset, type Constraint } from "./constraint.js";
import { covers, isEmptyCube, overlaps, withKey, type Cube } from "./cube.js";
import { contains, pointOf } from "./witness.js";

/** A cube with the thing it stands for (an earlier route's index). */
export interface Item {
  cube: Cube;
  route: number;
}

export interface Source {
  candidates(c: Cube): readonly Item[];
  named(key: string, value: string): readonly Item[];
}

/** Pieces examined per question before giving up (answering "no"). */
export const DEFAULT_WORK = 5000;

export interface Work {
  left: number;
  /** The routes whose cubes covered some piece, for the related span and the witness. */
  used: Set<Item>;
  /** After a "no" that was not for want of work: a piece whose first request (`pointOf`) no candidate covers — a witness. */
  gap?: Cube;
}

export function newWork(left = DEFAULT_WORK): Work {
  return { left, used: new Set() };
}

/** A source over a plain list (every item is a candidate). */
export function listSource(items: readonly Item[]): Source {
  return { candidates: () => items, named: () => [] };
}

/**
 * Is every request in `c` in one of the source's cubes? One request of `c`
 * is tried first: when no candidate contains it the answer is "no" at once,
 * which is the usual answer, found without cutting anything.
 */
export function coveredBy(c: Cube, source: Source, work: Work): boolean {
  const cands = source.candidates(c);
  const p = pointOf(c);
  if (!cands.some((o) => contains(o.cube, p))) {
    work.gap = c;
    return false;
  }
  return cover(c, cands, source, work);
}

function cover(c: Cube, cands: readonly Item[], source: Source, work: Work): boolean {
  if (isEmptyCube(c)) return true;
  if (--work.left < 0) return false;
  const rel = cands.filter((o) => overlaps(o.cube, c));
  if (rel.length === 0) {
    work.gap = c;
    return false;
  }
  const whole = rel.find((o) => covers(o.cube, c));
  if (whole) {
    work.used.add(whole);
    return true;
  }
  const open = openCut(c, rel);
  if (open !== undefined) return coverOpen(c, open, rel, source, work);
  const key = finiteCut(c, rel);
  if (key === undefined) return false; // cannot happen: an overlapping cube that does not cut `c` covers it
  const mine = c.get(key) ?? anyValue(key);
  const theirs = rel.map((o) => o.cube.get(key)).filter((x): x is Constraint => x !== undefined);
  for (const piece of pieces(mine, theirs)) {
    if (!cover(withKey(c, key, piece), rel, source, work)) return false;
  }
  return true;
}

/** A text fact `c` leaves open (an `out` set, or unconstrained) on which some candidate does not contain it. */
function openCut(c: Cube, rel: readonly Item[]): string | undefined {
  for (const o of rel) {
    for (const [k, theirs] of o.cube) {
      if (keyKind(k) !== "text") continue;
      const mine = c.get(k) ?? anyValue(k);
      if (mine.kind === "out" && !subset(mine, theirs)) return k;
    }
  }
  return undefined;
}

/** A fact on which `c` is finite (or a range) and some candidate does not contain it. */
function finiteCut(c: Cube, rel: readonly Item[]): string | undefined {
  for (const o of rel) {
    for (const [k, theirs] of o.cube) {
      const mine = c.get(k);
      if (mine !== undefined && !subset(mine, theirs)) return k;
    }
  }
  // Flags and counts `c` leaves unconstrained but a candidate constrains.
  for (const o of rel) for (const k of o.cube.keys()) if (!c.has(k) && keyKind(k) !== "text") return k;
  return undefined;
}

function coverOpen(c: Cube, key: string, rel: readonly Item[], source: Source, work: Work): boolean {
  const excludedByMe = named(c.get(key));
  // The generic piece: a value of `key` that no candidate names.
  const generic = rel.filter((o) => o.cube.get(key)?.kind !== "in");
  const mentioned = new Set<string>(excludedByMe);
  for (const o of rel) for (const v of named(o.cube.get(key))) mentioned.add(v);
  if (!cover(withKey(c, key, { kind: "out", values: mentioned }), generic, source, work)) return false;
  // The values some generic-piece candidate excludes (an `out`) need a piece each.
  const specific = new Set<string>();
  for (const o of generic) for (const v of named(o.cube.get(key))) if (!excludedByMe.has(v)) specific.add(v);
  for (const v of specific) {
    const piece = withKey(c, key, { kind: "in", values: new Set([v]) });
    if (!cover(piece, [...rel, ...source.named(key, v)], source, work)) return false;
  }
  return true;
}
