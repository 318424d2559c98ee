/**
 * Compiles a graph `GuardrailNode` once: detectors built, regexes compiled,
 * `when` conditions turned into closures. Applying guardrails is in
 * guardrails.ts.
 */
import type { ExprNode, GuardrailNode } from "../../compiler/graph.js";
import { compileDetector, type Detector } from "./detectors/index.js";
import { exprText } from "./explain.js";
import { compileExpr, GraphError, type Pred } from "./expr.js";

/** One compiled guardrail rule. */
export interface PreparedRule {
  readonly on: "input" | "output";
  readonly action: "block" | "redact" | "flag";
  /** Empty for a condition rule. */
  readonly detectors: readonly Detector[];
  /** The rule's condition, for `block when …` rules. */
  readonly when: Pred | undefined;
  readonly whenNode: ExprNode | undefined;
  /** How reports name the rule's trigger: `email, phone` or `when input_tokens > 100000`. */
  readonly by: string;
}

/** A compiled guardrail: its rules in order. */
export interface PreparedGuardrail {
  readonly name: string;
  readonly rules: readonly PreparedRule[];
}

/** Compiles one guardrail. Throws `GraphError` for a bad regex or detector. */
export function compileGuardrail(name: string, node: GuardrailNode): PreparedGuardrail {
  const rules = node.rules.map((rule, i): PreparedRule => {
    const detectors = (rule.detectors ?? []).map((d) => {
      try {
        return compileDetector(d, node.window);
      } catch (e) {
        throw new GraphError(`guardrail \`${name}\` rule ${i + 1}: ${(e as Error).message}`);
      }
    });
    const when = rule.when === undefined ? undefined : compileExpr(rule.when);
    const by = rule.when !== undefined ? `when ${exprText(rule.when)}` : detectors.map((d) => d.name).join(", ");
    return { on: rule.on, action: rule.action, detectors, when, whenNode: rule.when, by };
  });
  return { name, rules };
}
