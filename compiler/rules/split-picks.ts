/**
 * E401 split-picks: a test's `given split picks T` that cannot apply, found
 * before the test runs and reported at the `given` line — the line to fix —
 * rather than at the test: T is no arm of the split of the route the test
 * expects (`expect route R`), R has no split, or, without `expect route`,
 * no split of the policy has an arm T. (When the request matches another
 * route than expected, the test run reports it too.)
 */
import type { RouteDecl, TestDecl } from "../../lang/ast.js";
import { diagnostic, type Diagnostic } from "../../lang/diagnostics.js";
import type { Rule } from "./rule.js";
import { arr, nameOf, routesInOrder, spanOf, statements } from "./walk.js";

/** The arms of a route's splits, or undefined when it has no split. */
function armsOf(route: RouteDecl): string[] | undefined {
  const splits = statements(route).filter((s) => s.kind === "split");
  if (splits.length === 0) return undefined;
  return splits.flatMap((s) => (s.kind === "split" ? arr(s.arms).map((a) => nameOf(a?.target)).filter((n): n is string => !!n) : []));
}

function checkTest(test: TestDecl, routes: ReadonlyMap<string, RouteDecl>, anyArm: ReadonlySet<string>, out: Diagnostic[]): void {
  const body = arr(test.body);
  const expected = body.map((s) => (s?.kind === "expect" && s.expect?.kind === "route" ? nameOf(s.expect.route) : undefined)).find((n) => n);
  for (const s of body) {
    if (s?.kind !== "given" || s.given?.kind !== "split-picks") continue;
    const target = nameOf(s.given.target);
    if (!target) continue;
    const at = spanOf(test.span?.file ?? "", s.given, s);
    const route = expected === undefined ? undefined : routes.get(expected);
    if (route) {
      const arms = armsOf(route);
      if (arms === undefined) {
        out.push(diagnostic("E401", `\`given split picks ${target}\`: route \`${expected}\` has no split`, at, {
          related: { message: `route \`${expected}\` is here`, span: spanOf(route.span?.file ?? "", route.name, route) },
          help: "remove the `given`, or expect the route that splits",
        }));
      } else if (!arms.includes(target)) {
        out.push(diagnostic("E401", `\`given split picks ${target}\`: the split of route \`${expected}\` has no arm \`${target}\` (arms: ${arms.join(", ")})`, at, {
          related: { message: `route \`${expected}\` is here`, span: spanOf(route.span?.file ?? "", route.name, route) },
          help: `pick one of ${arms.map((a) => `\`${a}\``).join(", ")}`,
        }));
      }
    } else if (expected === undefined && !anyArm.has(target)) {
      out.push(diagnostic("E401", `\`given split picks ${target}\`: no split of the policy has an arm \`${target}\``, at, {
        help: "name a model that a `split` of the route this test reaches lists",
      }));
    }
  }
}

export const splitPicks: Rule = {
  name: "split-picks",
  codes: ["E401"],
  check(ctx) {
    const out: Diagnostic[] = [];
    const routes = new Map<string, RouteDecl>();
    const anyArm = new Set<string>();
    for (const r of routesInOrder(ctx)) {
      const n = nameOf(r.name);
      if (n) routes.set(n, r);
      for (const a of armsOf(r) ?? []) anyArm.add(a);
    }
    for (const t of arr(ctx.symbols?.tests)) if (t && typeof t === "object") checkTest(t, routes, anyArm, out);
    return out;
  },
};
