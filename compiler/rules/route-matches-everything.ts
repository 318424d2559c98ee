/**
 * W503 route-matches-everything: a route with no `when` matches every request,
 * so unless it is the last route, the routes after it never run (each of those
 * is also an E304). The warning sits on the catch-all itself, where the fix
 * usually is: move it to the end.
 */
import { diagnostic, type Diagnostic } from "../../lang/diagnostics.js";
import type { Rule } from "./rule.js";
import { nameOf, routesInOrder, spanOf, statements } from "./walk.js";

export const routeMatchesEverything: Rule = {
  name: "route-matches-everything",
  codes: ["W503"],
  check(ctx) {
    const out: Diagnostic[] = [];
    const routes = routesInOrder(ctx);
    routes.forEach((route, i) => {
      if (i === routes.length - 1 || statements(route).some((s) => s.kind === "when")) return;
      const name = nameOf(route.name) ?? "";
      const next = routes[i + 1]!;
      out.push(
        diagnostic("W503", `route \`${name}\` has no \`when\`, so it matches every request`, spanOf(route.span?.file ?? "", route.name, route), {
          related: { message: `so route \`${nameOf(next.name) ?? ""}\` and any after it never run`, span: spanOf(next.span?.file ?? "", next.name, next) },
          help: "move the catch-all route to the end, or give it a `when`",
        }),
      );
    });
    return out;
  },
};
