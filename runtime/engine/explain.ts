/**
 * Why a condition held or did not, in the policy's own words: the slow path
 * behind the tracer (`aigw explain`, debug logs). Never called when no tracer
 * is passed. Each leaf is evaluated with the same compiled closures `decide`
 * uses, so an explanation cannot disagree with the decision it explains.
 */
import { exprText, factText } from "../../compiler/expr-text.js";
import type { ExprNode, FactNode } from "../../compiler/graph.js";
import type { Facts } from "./facts.js";
import { compileExpr, factKind, stringReader } from "./expr.js";

// Written back in the policy's syntax by the compiler, which prints graph conditions too.
export { exprText, factText } from "../../compiler/expr-text.js";

/** What a fact holds, for a reason string; never runs the tokenizer. */
export function factShown(fact: FactNode, f: Facts, text: string): string {
  switch (fact.name) {
    case "input_tokens":
      return f.tokensCounted ? String(f.inputTokens) : `at most ${f.maxInputTokens} (not counted: the byte length decided)`;
    case "input_bytes":
      return String(f.inputBytes);
    case "stream":
      return String(f.stream);
    case "tools":
      return String(f.tools);
    case "images":
      return String(f.images);
    case "budget_used": {
      const budget = fact.arg ?? "";
      return `${Object.hasOwn(f.budgetUsed, budget) ? +f.budgetUsed[budget]!.toFixed(4) : 0}%`;
    }
    case "temperature":
    case "top_p": {
      const n = fact.name === "temperature" ? f.temperature : f.topP;
      return n === undefined ? "missing (the provider's default)" : String(n);
    }
    default: {
      if (factKind(fact.name) !== "string") return "?";
      const v = stringReader(fact)(f, text);
      if (v === undefined) return "missing";
      const shown = v.length > 60 ? `${v.slice(0, 57)}…` : v;
      return JSON.stringify(shown);
    }
  }
}

/** The value of a condition and why. */
export interface Explanation {
  value: boolean;
  /** One line: which part decided, with the fact values involved. */
  reason: string;
}

/** Evaluates and explains an expression; `and` names the first part that failed, `or` the first that held. */
export function explainExpr(e: ExprNode, f: Facts, text: string): Explanation {
  switch (e.op) {
    case "and": {
      for (const a of e.args) {
        const x = explainExpr(a, f, text);
        if (!x.value) return x;
      }
      return { value: true, reason: `\`${exprText(e)}\` holds` };
    }
    case "or": {
      const reasons: string[] = [];
      for (const a of e.args) {
        const x = explainExpr(a, f, text);
        if (x.value) return x;
        reasons.push(x.reason);
      }
      return { value: false, reason: reasons.join("; ") };
    }
    case "not": {
      const x = explainExpr(e.arg, f, text);
      return { value: !x.value, reason: `\`${exprText(e)}\` is ${!x.value} (${x.reason})` };
    }
    default: {
      const value = compileExpr(e)(f, text);
      return { value, reason: `\`${exprText(e)}\` is ${value} (${factText(e.fact)} is ${factShown(e.fact, f, text)})` };
    }
  }
}
