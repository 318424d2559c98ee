/**
 * Checks the shape of `invariant` blocks: each says what it requires
 * (`require guard …`, `require residency …`, `require price`,
 * `require context`; E203 when it requires nothing, E201 for another word),
 * and has at most one `when` (E208). Its condition is checked with the
 * routes' (check-exprs.ts) and its guardrail names with every other
 * reference (rules/unknown-reference.ts); whether the policy keeps it is
 * proved on the lowered graph (compiler/invariants).
 */
import type { InvariantDecl } from "../../lang/ast.js";
import { diagnostic, type Diagnostic } from "../../lang/diagnostics.js";
import type { Rule } from "../rules/rule.js";
import { arr, nameOf, spanOf } from "../rules/walk.js";
import { didYouMean } from "../suggest.js";

/** What `require` may name; `guard` and `residency` take names after them (the grammar sees to it). */
export const REQUIREMENTS = ["guard", "residency", "price", "context"] as const;
export type Requirement = (typeof REQUIREMENTS)[number];

export function isRequirement(word: string | undefined): word is Requirement {
  return (REQUIREMENTS as readonly string[]).includes(word ?? "");
}

function checkOne(inv: InvariantDecl, out: Diagnostic[]): void {
  const name = nameOf(inv.name) ?? "";
  const file = inv.span?.file ?? "";
  let when = false;
  let requires = 0;
  for (const s of arr(inv.body)) {
    if (s?.kind === "when") {
      if (when) out.push(diagnostic("E208", `\`when\` in invariant \`${name}\` is given twice`, spanOf(file, s), { help: "join the conditions with `and` or `or`" }));
      when = true;
    } else if (s?.kind === "require") {
      requires++;
      const word = nameOf(s.what);
      if (word !== undefined && !isRequirement(word)) {
        out.push(
          diagnostic("E201", `expected \`guard\`, \`residency\`, \`price\` or \`context\` after \`require\`, found \`${word}\``, spanOf(file, s.what, s), {
            help: didYouMean(word, REQUIREMENTS, "requirement") ?? "an invariant requires guardrails, a residency, prices or contexts that fit",
          }),
        );
      }
    }
  }
  if (requires === 0) {
    out.push(diagnostic("E203", `invariant \`${name}\` requires nothing`, spanOf(file, inv.name, inv), { help: "add a `require guard …`, `require residency …`, `require price` or `require context`" }));
  }
}

export const checkInvariants: Rule = {
  name: "check-invariants",
  codes: ["E201", "E203", "E208"],
  check(ctx) {
    const out: Diagnostic[] = [];
    for (const inv of ctx.symbols?.invariants?.values() ?? []) checkOne(inv, out);
    return out;
  },
};
