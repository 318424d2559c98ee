/**
 * E304 unreachable-route: a route that can never be chosen, because routes
 * match top to bottom and the routes above it already match every request it
 * matches (or its own `when` can never hold).
 *
 * Each `when` is read as a union of cubes (conditions.ts): the earlier routes
 * from below (what they surely match), the later one from above (everything
 * it might match). A route is reported when each of its cubes lies inside the
 * union of the earlier routes' cubes (coverage.ts). The related span names
 * the one earlier route that covers it alone if there is one, else the last
 * of the earlier routes that take part. Sound by construction: anything not
 * understood makes the earlier routes smaller and the later one larger, so a
 * reported route really cannot match; a route with two `when`s (E306) is not
 * judged, since which reading applies is unsettled.
 *
 * Routes are pre-sorted by the `model` they accept, as the runtime index is,
 * so a policy of thousands of routes for distinct models stays fast.
 */
import type { Expr, RouteDecl } from "../../lang/ast.js";
import { diagnostic, type Diagnostic } from "../../lang/diagnostics.js";
import type { Rule } from "./rule.js";
import { conditionCubes, type Cube } from "./conditions.js";
import { coveredByUnion, DEFAULT_WORK, isEmptyCube, overlaps } from "./coverage.js";
import { nameOf, routesInOrder, spanOf, statements } from "./walk.js";

interface Item {
  cube: Cube;
  route: number;
}

/** Earlier routes' cubes, findable by the requested model they accept. */
class CubeIndex {
  private readonly all: Item[] = [];
  private readonly anyModel: Item[] = [];
  private readonly byModel = new Map<string, Item[]>();

  add(item: Item): void {
    this.all.push(item);
    const m = item.cube.get("model");
    if (m?.kind !== "in") {
      this.anyModel.push(item);
      return;
    }
    for (const v of m.values) {
      const list = this.byModel.get(v);
      if (list) list.push(item);
      else this.byModel.set(v, [item]);
    }
  }

  /** Every earlier cube that might overlap `c`, in route order. */
  candidates(c: Cube): Item[] {
    const m = c.get("model");
    if (m?.kind !== "in") return this.all;
    const found = new Set<Item>(this.anyModel);
    for (const v of m.values) for (const item of this.byModel.get(v) ?? []) found.add(item);
    return [...found].sort((a, b) => a.route - b.route);
  }
}

function conditionsOf(route: RouteDecl): (Expr | undefined)[] {
  return statements(route)
    .filter((s) => s.kind === "when")
    .map((s) => (s.kind === "when" ? s.condition : undefined));
}

/** The earlier route that alone covers every cube of the later one, if any. */
function soleCoverer(cubes: readonly Cube[], relevant: readonly Item[]): number | undefined {
  const routes = [...new Set(relevant.map((i) => i.route))].sort((a, b) => a - b);
  // One allowance for the whole search: this only picks the related span.
  const work = { left: DEFAULT_WORK };
  for (const r of routes) {
    const mine = relevant.filter((i) => i.route === r).map((i) => i.cube);
    if (cubes.every((c) => coveredByUnion(c, mine, work))) return r;
    if (work.left <= 0) break;
  }
  return undefined;
}

/** The diagnostic for route `i`, if it can never match given the routes before it (in `index`). */
function judge(routes: readonly RouteDecl[], i: number, index: CubeIndex): Diagnostic | undefined {
  const route = routes[i]!;
  const conditions = conditionsOf(route);
  if (conditions.length > 1 || conditions.includes(undefined)) return undefined;
  const name = nameOf(route.name) ?? "";
  const at = spanOf(route.span?.file ?? "", route.name, route);
  const cubes = conditionCubes(conditions, "over").filter((c) => !isEmptyCube(c));
  if (cubes.length === 0) {
    return diagnostic("E304", `route \`${name}\` can never match: its \`when\` is never true`, at, {
      help: "the conditions contradict each other (e.g. `team == \"a\" and team == \"b\"`); fix the `when`",
    });
  }
  const relevant: Item[] = [];
  const work = { left: DEFAULT_WORK };
  for (const c of cubes) {
    const mine = index.candidates(c).filter((item) => overlaps(item.cube, c));
    for (const m of mine) relevant.push(m);
    if (!coveredByUnion(c, mine.map((m) => m.cube), work)) return undefined;
  }
  const sole = soleCoverer(cubes, relevant);
  const by = routes[sole ?? relevant.reduce((m, r) => Math.max(m, r.route), 0)]!;
  const byName = nameOf(by.name) ?? "";
  const bySpan = spanOf(by.span?.file ?? "", by.name, by);
  if (sole === undefined) {
    return diagnostic("E304", `route \`${name}\` can never match: the routes above it together match every request it would`, at, {
      related: { message: `the last of those routes, \`${byName}\``, span: bySpan },
      help: `move \`${name}\` above the routes that cover it, or remove it`,
    });
  }
  const catchAll = conditionsOf(by).length === 0;
  return diagnostic("E304", `route \`${name}\` can never match: route \`${byName}\` above it matches every request it would`, at, {
    related: {
      message: catchAll ? `route \`${byName}\` has no \`when\`, so it matches every request` : `route \`${byName}\` is here`,
      span: bySpan,
    },
    help: `move \`${name}\` above \`${byName}\`, or narrow the \`when\` of \`${byName}\``,
  });
}

export const unreachableRoute: Rule = {
  name: "unreachable-route",
  codes: ["E304"],
  check(ctx) {
    const out: Diagnostic[] = [];
    const routes = routesInOrder(ctx);
    const index = new CubeIndex();
    routes.forEach((route, i) => {
      const d = judge(routes, i, index);
      if (d) out.push(d);
      for (const cube of conditionCubes(conditionsOf(route), "under")) index.add({ cube, route: i });
    });
    return out;
  },
};
