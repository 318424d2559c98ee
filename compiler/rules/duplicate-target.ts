/**
 * E302 duplicate-target: a target named twice where the second mention can
 * never take effect, because no target is tried twice in one request.
 * - a `split` naming the same model in two arms (merge the weights);
 * - a `fallback` list naming a model twice (all `fallback` lines of a route
 *   count as one list);
 * - a `fallback` naming the route's `to` target, which has already been tried;
 * - a `fallback` naming a `split` target when every arm of the split names
 *   that model. When the split has other arms the fallback is meaningful (the
 *   split may have picked another arm) and is not reported; DESIGN.md's
 *   `split { 70% gpt-4o 30% sonnet } fallback sonnet, …` relies on that.
 * The route is checked as it runs, with what its `use` brings.
 * The primary span is the repeat, the related span the first mention.
 */
import type { Ident, RouteDecl } from "../../lang/ast.js";
import { diagnostic, type Diagnostic } from "../../lang/diagnostics.js";
import type { Rule } from "./rule.js";
import { arr, asRun, declarations, nameOf, spanOf, statements } from "./walk.js";

function checkRoute(file: string, route: RouteDecl, out: Diagnostic[]): void {
  const tos: Ident[] = [];
  const armTargets: Ident[] = [];
  const fallbacks: Ident[] = [];
  for (const s of statements(route)) {
    if (s.kind === "to" && nameOf(s.target)) tos.push(s.target);
    else if (s.kind === "split") {
      const seen = new Map<string, Ident>();
      for (const arm of arr(s.arms)) {
        const t = arm?.target;
        const n = nameOf(t);
        if (!t || n === undefined) continue;
        armTargets.push(t);
        const first = seen.get(n);
        if (first) {
          out.push(
            diagnostic("E302", `\`${n}\` appears twice in the same \`split\``, spanOf(file, t, arm), {
              related: { message: "first named here", span: spanOf(file, first) },
              help: `merge the two arms into one \`${n}\` arm with the sum of their weights`,
            }),
          );
        } else seen.set(n, t);
      }
    } else if (s.kind === "fallback") for (const t of arr(s.targets)) if (nameOf(t)) fallbacks.push(t);
  }

  const toByName = new Map<string, Ident>();
  for (const t of tos) if (!toByName.has(t.name)) toByName.set(t.name, t);
  const armNames = new Set(armTargets.map((t) => t.name));
  const onlyArm = armNames.size === 1 ? armTargets[0] : undefined;

  const seen = new Map<string, Ident>();
  for (const t of fallbacks) {
    const first = seen.get(t.name);
    const to = toByName.get(t.name);
    if (first) {
      out.push(
        diagnostic("E302", `\`${t.name}\` appears twice in the fallback list`, spanOf(file, t), {
          related: { message: "first named here", span: spanOf(file, first) },
          help: "a target is tried at most once per request; remove the second mention",
        }),
      );
    } else if (to) {
      out.push(
        diagnostic("E302", `fallback \`${t.name}\` is the route's own target`, spanOf(file, t), {
          related: { message: "the route's target", span: spanOf(file, to) },
          help: "the target has already been tried when the fallback list starts; use `retry` to try it again",
        }),
      );
    } else if (onlyArm && onlyArm.name === t.name) {
      out.push(
        diagnostic("E302", `fallback \`${t.name}\` is the route's only split target`, spanOf(file, t), {
          related: { message: "the split's target", span: spanOf(file, onlyArm) },
          help: "the target has already been tried when the fallback list starts; use `retry` to try it again",
        }),
      );
    }
    if (!first) seen.set(t.name, t);
  }
}

export const duplicateTarget: Rule = {
  name: "duplicate-target",
  codes: ["E302"],
  check(ctx) {
    const out: Diagnostic[] = [];
    // As it runs: a fallback a `defaults` block gives may name the route's own target.
    for (const { file, decl } of declarations(ctx)) if (decl.kind === "route") checkRoute(file, asRun(ctx, decl), out);
    return out;
  },
};
