/**
 * E305 no-target: a route with neither `to` nor `split` has nowhere to send
 * a request. (A route with both is E306, conflicting-targets.)
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
      if (statements(decl).some((s) => s.kind === "to" || s.kind === "split")) continue;
      const name = nameOf(decl.name);
      out.push(
        diagnostic("E305", name ? `route \`${name}\` has no target` : "route has no target", spanOf(file, decl.name, decl), {
          help: "add `to <model>` or `split { 70% <model>  30% <model> }`",
        }),
      );
    }
    return out;
  },
};
