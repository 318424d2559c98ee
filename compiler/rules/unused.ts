/**
 * W501 unused: a provider, model, budget, limit or guardrail that nothing in
 * the policy names. A reference from a `test` block does not count: a model
 * only a test mentions still never serves a request. The check is one level
 * deep on purpose: a provider used only by an unused model is not reported
 * too, so one forgotten model gives one warning.
 */
import { diagnostic, type Diagnostic } from "../../lang/diagnostics.js";
import type { Rule } from "./rule.js";
import { collectReferences, tableOf, type DeclKind } from "./references.js";
import { spanOf } from "./walk.js";

const CHECKED: readonly DeclKind[] = ["provider", "model", "budget", "limit", "guardrail", "cache", "health", "defaults"];

const HOW_TO_USE: Record<DeclKind, string> = {
  provider: "declare a model on it (`model m = <provider>/\"…\"`), or remove it",
  model: "send to it from a route (`to`, `split`, `fallback` or a budget's `downgrade`), or remove it",
  budget: "attach it to a route with `budget`, or remove it",
  limit: "attach it to a route with `limit`, or remove it",
  guardrail: "attach it to a route with `guard`, or remove it",
  cache: "attach it to a route with `cache`, or remove it",
  health: "attach it to a route with `health`, or remove it",
  defaults: "include it in a route with `use`, or remove it",
  route: "",
};

export const unused: Rule = {
  name: "unused",
  codes: ["W501"],
  check(ctx) {
    const out: Diagnostic[] = [];
    if (!ctx.symbols) return out;
    const used = new Set<string>();
    for (const r of collectReferences(ctx)) if (!r.inTest) used.add(`${r.kind}:${r.ident.name}`);
    for (const kind of CHECKED) {
      for (const [name, decl] of tableOf(ctx.symbols, kind)) {
        if (used.has(`${kind}:${name}`)) continue;
        out.push(
          diagnostic("W501", `${kind === "defaults" ? "defaults block" : kind} \`${name}\` is never used`, spanOf(decl.span?.file ?? "", decl.name, decl), {
            help: HOW_TO_USE[kind],
          }),
        );
      }
    }
    return out;
  },
};
