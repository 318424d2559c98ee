/**
 * E301 split-weights: the weights of a `split` add up to 100% (to within
 * 1e-9, so `33.3% 33.3% 33.4%` passes despite floating point), and a split
 * has at least one arm. That each weight is a percentage between 0% and 100%
 * is checked with the other units (E201/E204, compiler/passes/check-routes.ts);
 * the sum is only checked when every weight is one, so one bad weight gives
 * one diagnostic, not two.
 */
import type { RouteStmt } from "../../lang/ast.js";
import { diagnostic, type Diagnostic } from "../../lang/diagnostics.js";
import type { Rule } from "./rule.js";
import { arr, declarations, spanOf, statements } from "./walk.js";

const TOLERANCE = 1e-9;

/** `100`, `99.5`: percentages as a person would write them. */
function formatPercent(n: number): string {
  return `${Number(n.toFixed(6))}%`;
}

function checkSplit(file: string, split: Extract<RouteStmt, { kind: "split" }>, out: Diagnostic[]): void {
  const arms = arr(split.arms).filter((a) => !!a && typeof a === "object");
  const span = spanOf(file, split);
  if (arms.length === 0) {
    out.push(diagnostic("E301", "`split` has no targets", span, { help: "list weighted targets, e.g. `split { 70% gpt-4o  30% sonnet }`" }));
    return;
  }
  let sum = 0;
  let allPercent = true;
  for (const arm of arms) {
    const w = arm.weight;
    // A weight that is not a percentage in 0..100 is E201/E204 (check-routes); no sum then.
    if (!w || w.kind !== "quantity" || w.unit !== "percent" || typeof w.value !== "number" || !(w.value >= 0 && w.value <= 100)) allPercent = false;
    else sum += w.value;
  }
  if (allPercent && Math.abs(sum - 100) > TOLERANCE) {
    out.push(
      diagnostic("E301", `split weights sum to ${formatPercent(sum)}, not 100%`, span, {
        help: `adjust the weights so they add up to 100% (${sum < 100 ? "add" : "remove"} ${formatPercent(Math.abs(100 - sum))})`,
      }),
    );
  }
}

export const splitWeights: Rule = {
  name: "split-weights",
  codes: ["E301"],
  check(ctx) {
    const out: Diagnostic[] = [];
    for (const { file, decl } of declarations(ctx)) {
      if (decl.kind !== "route") continue;
      for (const s of statements(decl)) if (s.kind === "split") checkSplit(file, s, out);
    }
    return out;
  },
};
