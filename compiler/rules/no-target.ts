/**
 * E305 no-target: a route with none of `to`, `split` and `reject` has
 * nowhere to send a request and no answer of its own. (A route with both is E306, conflicting-targets.)
 */
import { diagnostic, type Diagnostic } from "../../lang/diagnostics.js";
import type { Rule } from "./rule.js";
import { declarations, nameOf, spanOf, statements } from "./walk.js";

export const noTarget: Rule = {
  name: "no-target",
  codes: ["E305"],
  check(ctx) {
    const out: Diagnostic[] = [];
    for (const { file, decl } of declarations(ctx)) {
      if (decl.kind !== "route") continue;
      if (statements(decl).some((s) => s.kind === "to" || s.kind === "split" || s.kind === "reject")) continue;
      const name = nameOf(decl.name);
      out.push(
        diagnostic("E305", name ? `route \`${name}\` has no target` : "route has no target", spanOf(file, decl.name, decl), {
          help: "add `to <model>`, `split { 70% <model>  30% <model> }` or `reject 403 \"why\"`",
        }),
      );
    }
    return out;
  },
};
