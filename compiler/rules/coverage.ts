/**
 * Set questions over cubes (see conditions.ts): does one cube contain another,
 * do two overlap, and is a cube contained in the union of several. The union
 * test splits the cube along the values the others mention until each piece
 * lies wholly inside one of them or is known not to; it gives up (answers
 * "no") after a fixed amount of work, which keeps it sound and fast.
 */
import { isEmptyAllowed, normalise, top, type Allowed, type Cube } from "./conditions.js";

/** Is every value `a` allows also allowed by `b`? Open domains are infinite, so `out` is never inside `in`. */
export function subsetAllowed(a: Allowed, b: Allowed): boolean {
  if (a.kind === "in" && b.kind === "in") return [...a.values].every((v) => b.values.has(v));
  if (a.kind === "in") return [...a.values].every((v) => !b.values.has(v));
  if (b.kind === "out") return [...b.values].every((v) => a.values.has(v));
  return false;
}

function overlapAllowed(a: Allowed, b: Allowed): boolean {
  if (a.kind === "in" && b.kind === "in") return [...a.values].some((v) => b.values.has(v));
  if (a.kind === "in") return [...a.values].some((v) => !b.values.has(v));
  if (b.kind === "in") return [...b.values].some((v) => !a.values.has(v));
  return true;
}

function get(c: Cube, key: string): Allowed {
  return c.get(key) ?? top(key);
}

/** Is every request in `inner` also in `outer`? */
export function covers(outer: Cube, inner: Cube): boolean {
  for (const [k, a] of outer) if (!subsetAllowed(get(inner, k), a)) return false;
  return true;
}

/** Is some request in both cubes? */
export function overlaps(a: Cube, b: Cube): boolean {
  for (const [k, x] of a) if (!overlapAllowed(x, get(b, k))) return false;
  for (const [k, y] of b) if (!a.has(k) && !overlapAllowed(top(k), y)) return false;
  return true;
}

/** A cube is empty when some fact has no allowed value. */
export function isEmptyCube(c: Cube): boolean {
  for (const a of c.values()) if (isEmptyAllowed(a)) return true;
  return false;
}

/** Work allowance for one `coveredByUnion` question: pieces examined before giving up. */
export const DEFAULT_WORK = 5000;

/**
 * Is every request in `inner` in at least one of `outers`? Sound: "true"
 * is only answered when it holds; "false" may also mean "gave up".
 */
export function coveredByUnion(inner: Cube, outers: readonly Cube[], work = { left: DEFAULT_WORK }): boolean {
  if (isEmptyCube(inner)) return true;
  if (--work.left < 0) return false;
  const relevant = outers.filter((o) => overlaps(o, inner));
  if (relevant.length === 0) return false;
  if (relevant.some((o) => covers(o, inner))) return true;

  // A fact on which some overlapping cube cuts `inner` in two: split there.
  let key: string | undefined;
  for (const o of relevant) {
    for (const [k, a] of o) {
      if (!subsetAllowed(get(inner, k), a)) {
        key = k;
        break;
      }
    }
    if (key !== undefined) break;
  }
  if (key === undefined) return false; // cannot happen: an overlapping cube with no cut covers `inner`
  const mentioned = new Set<string>();
  for (const o of relevant) for (const v of o.get(key)?.values ?? []) mentioned.add(v);
  for (const piece of split(key, get(inner, key), mentioned)) {
    const next = new Map(inner);
    next.set(key, piece);
    if (!coveredByUnion(next, relevant, work)) return false;
  }
  return true;
}

/**
 * `a` cut into pieces that each lie inside or outside every constraint
 * mentioning only `mentioned`: single values, plus (for an open `out`) the
 * rest of the domain.
 */
function split(key: string, a: Allowed, mentioned: ReadonlySet<string>): Allowed[] {
  if (a.kind === "in") return [...a.values].map((v) => ({ kind: "in", values: new Set([v]) }));
  const pieces: Allowed[] = [];
  for (const v of mentioned) if (!a.values.has(v)) pieces.push({ kind: "in", values: new Set([v]) });
  const rest = normalise(key, { kind: "out", values: new Set([...a.values, ...mentioned]) });
  if (!isEmptyAllowed(rest)) pieces.push(rest);
  return pieces;
}
