/**
 * W506 always-true: a route's `when` that holds for every request, such as
 * `user == "x" or user != "x"` (a missing `user` makes `!=` true). The route
 * then acts as a catch-all, which its author did not write on purpose: the
 * routes after it never run (each is also E304). Reported at the `when`,
 * with a witness: a request that makes its first test false and still
 * matches.
 */
import { expr as formatExpr } from "../../lang/format-text.js";
import { diagnostic, type Diagnostic } from "../../lang/diagnostics.js";
import { alwaysTrue } from "../conditions/index.js";
import type { Rule } from "./rule.js";
import { nameOf, routesInOrder, spanOf, statements } from "./walk.js";

export const alwaysTrueRule: Rule = {
  name: "always-true",
  codes: ["W506"],
  check(ctx) {
    const out: Diagnostic[] = [];
    for (const route of routesInOrder(ctx)) {
      for (const s of statements(route)) {
        if (s.kind !== "when" || !s.condition) continue;
        const found = alwaysTrue(s.condition);
        if (!found) continue;
        const name = nameOf(route.name) ?? "";
        const falseTest = found.test ? `: even ${found.witness}, where \`${formatExpr(found.test)}\` is false, matches it` : "";
        out.push(
          diagnostic("W506", `the \`when\` of route \`${name}\` holds for every request${falseTest}`, spanOf(route.span?.file ?? "", s.condition, s), {
            help: "a missing fact equals nothing, so `!=` holds for it; fix the condition, or drop the `when` to make a catch-all",
          }),
        );
      }
    }
    return out;
  },
};
