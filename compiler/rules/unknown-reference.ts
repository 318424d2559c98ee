/**
 * E101 unknown-reference: every name a policy uses (route targets, split arms,
 * fallbacks, guards, budgets, limits, downgrade models, a model's provider, and
 * the names in `test` blocks) must name a declaration of the kind that place
 * needs. The help suggests the closest declared name and says its kind.
 */
import { diagnostic, type Diagnostic } from "../../lang/diagnostics.js";
import type { Rule } from "./rule.js";
import { suggestDeclaration } from "./did-you-mean.js";
import { collectReferences, tableOf, type DeclKind } from "./references.js";
import { spanOf } from "./walk.js";

/** How to declare a missing name of each kind, for the help when nothing is close. */
const HOW_TO_DECLARE: Record<DeclKind, (name: string) => string> = {
  provider: (n) => `declare it with \`provider ${n} { api openai … }\``,
  model: (n) => `declare it with \`model ${n} = <provider>/"<upstream name>"\``,
  budget: (n) => `declare it with \`budget ${n} { … }\``,
  limit: (n) => `declare it with \`limit ${n} { … }\``,
  guardrail: (n) => `declare it with \`guardrail ${n} { … }\``,
  cache: (n) => `declare it with \`cache ${n} { ttl 10m }\``,
  health: (n) => `declare it with \`health ${n} { consecutive 5 }\``,
  defaults: (n) => `declare it with \`defaults ${n} { guard … }\``,
  route: () => `name a route declared in the policy`,
};

/** A kind as a message names it: `defaults` is the keyword, "a defaults block" the thing. */
const noun = (kind: DeclKind): string => (kind === "defaults" ? "defaults block" : kind);

export const unknownReference: Rule = {
  name: "unknown-reference",
  codes: ["E101"],
  check(ctx) {
    const out: Diagnostic[] = [];
    if (!ctx.symbols) return out;
    for (const ref of collectReferences(ctx)) {
      const name = ref.ident.name;
      if (tableOf(ctx.symbols, ref.kind).has(name)) continue;
      const s = suggestDeclaration(ctx.symbols, name, ref.kind);
      const help =
        s === undefined
          ? HOW_TO_DECLARE[ref.kind](name)
          : s.name === name
            ? `\`${name}\` is a ${noun(s.kind)}, not a ${noun(ref.kind)}`
            : `did you mean \`${s.name}\`, a ${noun(s.kind)}?`;
      out.push(diagnostic("E101", `unknown ${noun(ref.kind)} \`${name}\``, spanOf(ref.file, ref.ident), { help }));
    }
    return out;
  },
};
