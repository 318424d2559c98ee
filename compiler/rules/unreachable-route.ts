/**
 * E304 unreachable-route: a route that can never be chosen, because routes
 * match top to bottom and the routes above it already match every request it
 * matches, or its own `when` can never hold.
 *
 * Each `when` is read as a union of cubes (compiler/conditions): the earlier
 * routes from below (what they surely match), the later one from above
 * (everything it might match), and a route is reported when each of its
 * cubes lies inside the union of the earlier routes' cubes. Sound by
 * construction: anything not understood makes the earlier routes smaller and
 * the later one larger, so a reported route really cannot match. A route
 * with two `when`s (E306) is not judged, since which reading applies is
 * unsettled.
 *
 * Evidence: the related span names the one earlier route that covers it alone
 * if there is one, else the last of those that take part; the message gives
 * a request the route was written for that an earlier route takes (a
 * witness), or, for a `when` that never holds, the tests that contradict
 * each other. Earlier routes are indexed by fact and value (store.ts), so a
 * policy of thousands of routes is judged in about linear time.
 */
import type { Expr, RouteDecl } from "../../lang/ast.js";
import { expr as formatExpr } from "../../lang/format-text.js";
import { diagnostic, type Diagnostic } from "../../lang/diagnostics.js";
import type { Rule } from "./rule.js";
import {
  contains,
  coveredBy,
  CubeStore,
  describe,
  isEmptyCube,
  listSource,
  neverTrue,
  newWork,
  pointOf,
  translate,
  type Item,
  type Work,
} from "../conditions/index.js";
import { nameOf, routesInOrder, spanOf, statements } from "./walk.js";

function conditionsOf(route: RouteDecl): (Expr | undefined)[] {
  return statements(route)
    .filter((s) => s.kind === "when")
    .map((s) => (s.kind === "when" ? s.condition : undefined));
}

/** The earlier route that alone covers every cube of the later one, if any (among those that took part). */
function soleCoverer(cubes: readonly Item["cube"][], used: Work["used"], earlier: ReadonlyMap<number, Item[]>): number | undefined {
  const routes = [...new Set([...used].map((i) => i.route))].sort((a, b) => a - b);
  if (routes.length === 1) return routes[0];
  // One allowance for the whole search: this only picks the related span.
  const work = newWork();
  for (const r of routes) {
    const source = listSource(earlier.get(r) ?? []);
    if (cubes.every((c) => coveredBy(c, source, work))) return r;
    if (work.left <= 0) break;
  }
  return undefined;
}

function never(route: RouteDecl, name: string, condition: Expr | undefined): Diagnostic {
  const at = spanOf(route.span?.file ?? "", route.name, route);
  const parts = condition && neverTrue(condition);
  const why =
    parts?.length === 1
      ? ` (\`${formatExpr(parts[0]!)}\` never holds)`
      : parts?.length === 2
        ? ` (\`${formatExpr(parts[0]!)}\` and \`${formatExpr(parts[1]!)}\` cannot both hold)`
        : "";
  return diagnostic("E304", `route \`${name}\` can never match: its \`when\` is never true${why}`, at, {
    help: "the conditions contradict each other (e.g. `team == \"a\" and team == \"b\"`); fix the `when`",
  });
}

interface Judged {
  diagnostic?: Diagnostic;
}

/** The diagnostic for route `i`, if it can never match given the routes before it (in `store`). */
function judge(routes: readonly RouteDecl[], i: number, store: CubeStore, earlier: ReadonlyMap<number, Item[]>): Judged {
  const route = routes[i]!;
  const conditions = conditionsOf(route);
  if (conditions.length > 1 || conditions.includes(undefined)) return {};
  const name = nameOf(route.name) ?? "";
  const at = spanOf(route.span?.file ?? "", route.name, route);
  const over = translate(conditions, "over");
  const cubes = over.cubes.filter((c) => !isEmptyCube(c));
  if (cubes.length === 0) return { diagnostic: never(route, name, conditions[0]) };
  const work = newWork();
  for (const c of cubes) if (!coveredBy(c, store, work)) return {};

  const sole = soleCoverer(cubes, work.used, earlier);
  const point = pointOf(cubes[0]!);
  const taker = [...work.used].sort((a, b) => a.route - b.route).find((item) => contains(item.cube, point));
  const byIndex = sole ?? Math.max(...[...work.used].map((u) => u.route));
  const by = routes[byIndex]!;
  const byName = nameOf(by.name) ?? "";
  const bySpan = spanOf(by.span?.file ?? "", by.name, by);
  // A witness only when the later route's reading is exact, so the request really is one it was written for.
  const witness = over.exact && taker ? `; e.g. ${describe(point)} goes to \`${nameOf(routes[taker.route]!.name) ?? ""}\`` : "";
  if (sole === undefined) {
    return {
      diagnostic: diagnostic("E304", `route \`${name}\` can never match: the routes above it together match every request it would${witness}`, at, {
        related: { message: `the last of those routes, \`${byName}\``, span: bySpan },
        help: `move \`${name}\` above the routes that cover it, or remove it`,
      }),
    };
  }
  const catchAll = conditionsOf(by).length === 0;
  return {
    diagnostic: diagnostic("E304", `route \`${name}\` can never match: route \`${byName}\` above it matches every request it would${witness}`, at, {
      related: {
        message: catchAll ? `route \`${byName}\` has no \`when\`, so it matches every request` : `route \`${byName}\` is here`,
        span: bySpan,
      },
      help: `move \`${name}\` above \`${byName}\`, or narrow the \`when\` of \`${byName}\``,
    }),
  };
}

export const unreachableRoute: Rule = {
  name: "unreachable-route",
  codes: ["E304"],
  check(ctx) {
    const out: Diagnostic[] = [];
    const routes = routesInOrder(ctx);
    const store = new CubeStore();
    const earlier = new Map<number, Item[]>();
    routes.forEach((route, i) => {
      const { diagnostic: d } = judge(routes, i, store, earlier);
      if (d) out.push(d);
      const items = translate(conditionsOf(route), "under").cubes.map((cube) => ({ cube, route: i }));
      earlier.set(i, items);
      for (const item of items) store.add(item);
    });
    return out;
  },
};
