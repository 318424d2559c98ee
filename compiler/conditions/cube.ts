/**
 * Cubes: conjunctions of per-fact constraints (constraint.ts), the building
 * block of the condition analysis. A condition is a union of cubes
 * (translate.ts). A fact a cube does not mention is unconstrained.
 */
import { anyValue, intersect, isAny, isEmpty, overlap, subset, type Constraint } from "./constraint.js";

export type Cube = ReadonlyMap<string, Constraint>;

export const EVERYTHING: Cube = new Map();

function get(c: Cube, key: string): Constraint {
  return c.get(key) ?? anyValue(key);
}

/** The conjunction of two cubes, or undefined when it is empty. "Anything" is never stored, so every cube has one spelling. */
export function conjoin(a: Cube, b: Cube): Cube | undefined {
  const out = new Map(a);
  for (const [k, v] of b) {
    const prev = out.get(k);
    const next = prev ? intersect(prev, v) : v;
    if (isEmpty(next)) return undefined;
    if (isAny(k, next)) out.delete(k);
    else out.set(k, next);
  }
  return out;
}

/** `c` with `key` constrained to `value` (replacing its constraint there); unconstrained facts stay out of the map. */
export function withKey(c: Cube, key: string, value: Constraint): Cube {
  const out = new Map(c);
  if (isAny(key, value)) out.delete(key);
  else out.set(key, value);
  return out;
}

export function isEmptyCube(c: Cube): boolean {
  for (const a of c.values()) if (isEmpty(a)) return true;
  return false;
}

/** Is every request in `inner` also in `outer`? */
export function covers(outer: Cube, inner: Cube): boolean {
  for (const [k, a] of outer) if (!subset(get(inner, k), a)) return false;
  return true;
}

/** Is some request in both cubes? */
export function overlaps(a: Cube, b: Cube): boolean {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  for (const [k, x] of small) {
    const y = large.get(k);
    if (y && !overlap(x, y)) return false;
  }
  // A constraint against "anything" overlaps unless it is empty.
  for (const [k, x] of large) if (!small.has(k) && isEmpty(x)) return false;
  for (const [k, x] of small) if (!large.has(k) && isEmpty(x)) return false;
  return true;
}
