/**
 * Where two policies decide differently: the pairs (route of the old policy,
 * route of the new) that some request reaches, one in each, whose outcomes
 * differ — each with a witness, a request that does so.
 *
 * A request's first match is found among routes in order, so a region is a
 * route's condition less every earlier route's, in both policies at once:
 * the requests in `when(old i) ∧ when(new j)` that no route above `i` in
 * the old policy and none above `j` in the new one takes. That is one
 * question to the condition analysis (compiler/conditions): is that cube
 * covered by the earlier routes' cubes? A "no" comes with a piece whose
 * first request no earlier route takes — the witness.
 *
 * Asking it of every pair would be quadratic in the policy, so only the
 * routes the change touched are asked about. Routes are aligned by their
 * condition and outcome (a longest common subsequence, Myers's algorithm
 * from the `diff` package); a route left out of the alignment is touched.
 * A request whose first matches in both policies are aligned routes reaches
 * the same route in both: if old `i` ↔ new `a` and old `b` ↔ new `j` are
 * its first matches, it matches `a` and `b` too (same conditions), so
 * `i ≤ b` and `j ≤ a`, which an order-keeping alignment allows only when
 * `i = b`. So every changed request has a touched first match on one side,
 * and scanning the other side's routes in order from each touched route
 * finds every changed pair. Renames, file moves and a policy unchanged cost
 * one alignment and nothing else.
 *
 * The judged cubes over-approximate a condition and the covering ones
 * under-approximate it (translate.ts), so "no change" is sound; a witness is
 * `exact` only when no condition it depends on was approximated, and a
 * question that ran out of work is reported as a change that may be one.
 */
import { diffArrays } from "diff";
import { contains, coveredBy, covers, EVERYTHING, listSource, newWork, overlaps, pointOf, conjoin, type Cube, type Item, type Point } from "../conditions/index.js";
import { translateNode } from "../conditions/translate-node.js";
import type { Graph } from "../graph.js";
import { NO_ROUTE, Resolver, type Outcome } from "./outcome.js";

/** One policy, prepared for the search: each route's cubes (both ways) and outcome. */
export interface Side {
  readonly graph: Graph;
  readonly resolver: Resolver;
  readonly outcomes: readonly Outcome[];
  readonly over: readonly (readonly Cube[])[];
  readonly under: readonly (readonly Cube[])[];
  readonly exact: readonly boolean[];
  /** Per route, its condition and outcome as one string: the alignment's unit. */
  readonly keys: readonly string[];
}

export function prepareSide(graph: Graph): Side {
  const resolver = new Resolver(graph);
  const outcomes: Outcome[] = [];
  const over: Cube[][] = [];
  const under: Cube[][] = [];
  const exact: boolean[] = [];
  const keys: string[] = [];
  for (const route of graph.routes) {
    const outcome = resolver.outcome(route);
    outcomes.push(outcome);
    // The compiler writes conditions' keys in one order, so JSON text is canonical here.
    keys.push(`${JSON.stringify(route.when ?? null)}\n${outcome.fp}`);
    const o = translateNode(route.when, "over");
    over.push(o.cubes);
    under.push(o.exact ? o.cubes : translateNode(route.when, "under").cubes);
    exact.push(o.exact);
  }
  return { graph, resolver, outcomes, over, under, exact, keys };
}

/** A region whose outcome changes: route indices (`-1`: no route) and a request in it. */
export interface Region {
  old: number;
  new: number;
  witness: Point;
  /** The witness surely decides so (no condition involved was approximated, the analysis finished). */
  exact: boolean;
  /** The analysis ran out of work: the region may be empty. */
  undecided?: true;
}

/** The routes of each side the alignment leaves out. */
export function touched(a: Side, b: Side): { old: number[]; new: number[] } {
  const out = { old: [] as number[], new: [] as number[] };
  const oldFps = a.keys;
  const newFps = b.keys;
  // The common head and tail need no search (most of a policy, in a typical change).
  let i = 0;
  while (i < oldFps.length && i < newFps.length && oldFps[i] === newFps[i]) i++;
  let tail = 0;
  while (tail < oldFps.length - i && tail < newFps.length - i && oldFps[oldFps.length - 1 - tail] === newFps[newFps.length - 1 - tail]) tail++;
  let j = i;
  for (const part of diffArrays(oldFps.slice(i, oldFps.length - tail), newFps.slice(j, newFps.length - tail))) {
    const n = part.count ?? part.value.length;
    if (part.removed) for (let k = 0; k < n; k++) out.old.push(i++);
    else if (part.added) for (let k = 0; k < n; k++) out.new.push(j++);
    else {
      i += n;
      j += n;
    }
  }
  return out;
}

interface Found {
  /** Index on the side searched from, index on the other side; `-1` is no route. */
  mine: number;
  theirs: number;
  region: Omit<Region, "old" | "new">;
}

const outcomeOf = (s: Side, i: number): Outcome => (i < 0 ? NO_ROUTE : s.outcomes[i]!);

/** The earlier routes' under-cubes that overlap `c`, as covering items (route index for exactness). */
function overlapping(s: Side, upTo: number, c: Cube, into: Item[]): void {
  for (let k = 0; k < upTo; k++) for (const u of s.under[k]!) if (overlaps(u, c)) into.push({ cube: u, route: k });
}

/**
 * From route `i` of side `mine` (taken as the first match there), every
 * route of side `theirs` a request of it can reach first with a different
 * outcome, and a witness.
 */
function searchFrom(mine: Side, i: number, theirs: Side, found: (f: Found) => void): void {
  const seen = new Set<number>();
  const outcome = mine.outcomes[i]!;
  for (const c of mine.over[i]!) {
    const earlierMine: Item[] = [];
    overlapping(mine, i, c, earlierMine);
    const earlierTheirs: Item[] = [];
    const n = theirs.outcomes.length;
    for (let j = 0; j <= n; j++) {
      const last = j === n;
      const cubes = last ? [EVERYTHING] : theirs.over[j]!;
      const other = last ? -1 : j;
      if (!seen.has(other) && outcomeOf(theirs, other).fp !== outcome.fp) {
        for (const d of cubes) {
          const e = conjoin(c, d);
          if (!e) continue;
          const region = judge(e, earlierMine, earlierTheirs, mine.exact[i]! && (last || theirs.exact[j]!), mine, theirs);
          if (region) {
            seen.add(other);
            found({ mine: i, theirs: other, region });
            break;
          }
        }
      }
      if (last) break;
      // Past a route that surely takes all of `c`, nothing of `c` reaches further down.
      if (theirs.under[j]!.some((u) => covers(u, c))) break;
      for (const u of theirs.under[j]!) if (overlaps(u, c)) earlierTheirs.push({ cube: u, route: -1 - j });
    }
  }
}

/** Is some request of `e` taken by none of the earlier routes? With a witness when so. */
function judge(e: Cube, mine: readonly Item[], theirs: readonly Item[], exact: boolean, mineSide: Side, theirSide: Side): Found["region"] | undefined {
  const items = [...mine, ...theirs].filter((o) => overlaps(o.cube, e));
  const work = newWork();
  if (coveredBy(e, listSource(items), work)) return undefined;
  const depends = items.every((o) => (o.route >= 0 ? mineSide.exact[o.route] : theirSide.exact[-1 - o.route]));
  if (!work.gap) return { witness: pointOf(e), exact: false, undecided: true };
  const witness = pointOf(work.gap);
  // The gap's request is outside every covering cube by construction; checked, since a wrong witness misleads a reviewer.
  const sure = contains(e, witness) && !items.some((o) => contains(o.cube, witness));
  return { witness, exact: exact && depends && sure };
}

/** Every changed region between two prepared policies, one per (old route, new route) pair, in the new policy's order. */
export function changedRegions(a: Side, b: Side): Region[] {
  const t = touched(a, b);
  const pairs = new Map<string, Region>();
  const add = (old: number, now: number, r: Found["region"]): void => {
    const key = `${old}:${now}`;
    if (!pairs.has(key)) pairs.set(key, { old, new: now, ...r });
  };
  for (const i of t.old) searchFrom(a, i, b, (f) => add(f.mine, f.theirs, f.region));
  for (const j of t.new) searchFrom(b, j, a, (f) => add(f.theirs, f.mine, f.region));
  const rank = (k: number, n: number): number => (k < 0 ? n : k);
  return [...pairs.values()].sort((x, y) => rank(x.new, b.outcomes.length) - rank(y.new, b.outcomes.length) || rank(x.old, a.outcomes.length) - rank(y.old, a.outcomes.length));
}
