/**
 * Checks guardrail statements: `on input | output | both`, the action
 * (`block`, `redact`, `flag`; a condition cannot say what to redact), the
 * built-in detector names (E101 with "did you mean") and `deny` word lists
 * (strings). Conditions are checked with the other `when`s (check-exprs.ts)
 * and regexes by the regex lint.
 */
import type { GuardrailDecl } from "../../lang/ast.js";
import { diagnostic, type Diagnostic } from "../../lang/diagnostics.js";
import type { BuiltinDetector } from "../graph.js";
import type { Rule } from "../rules/rule.js";
import { push } from "./common.js";
import { didYouMean } from "../suggest.js";
import type { CompileContext } from "../symbols.js";
import { STRING, checkValue, enumType } from "../value-types.js";

export const BUILTIN_DETECTORS: readonly BuiltinDetector[] = ["email", "phone", "credit_card", "iban", "api_key", "ip_address"];
export const GUARD_TARGETS = ["input", "output", "both"] as const;
export const GUARD_ACTIONS = ["block", "redact", "flag"] as const;

const TARGET_TYPE = enumType(GUARD_TARGETS);
const ACTION_TYPE = enumType(GUARD_ACTIONS);

function checkGuardrail(g: GuardrailDecl, out: Diagnostic[]): void {
  for (const s of g.body) {
    if (s.kind === "on") {
      if (s.target.name !== "") push(out, checkValue(TARGET_TYPE, s.target, "on"));
      continue;
    }
    if (s.kind === "streams" || s.kind === "window") continue; // rules/stream-window.ts
    if (s.action.name === "") continue;
    const bad = checkValue(ACTION_TYPE, s.action, "the guardrail");
    if (bad) {
      out.push(bad);
      continue;
    }
    if (s.kind === "when") {
      if (s.action.name === "redact") {
        out.push(
          diagnostic("E201", "`redact` needs detectors that find what to redact, not a condition", s.action.span, {
            help: "write e.g. `redact email, phone` or `redact matches /…/`; use `block when …` or `flag when …` for conditions",
          }),
        );
      }
      continue;
    }
    for (const d of s.detectors) {
      if (d.kind === "builtin") {
        const name = d.name.name;
        if (name === "" || (BUILTIN_DETECTORS as readonly string[]).includes(name)) continue;
        out.push(
          diagnostic("E101", `unknown detector \`${name}\``, d.name.span, {
            help: didYouMean(name, BUILTIN_DETECTORS, "detector") ?? `the built-in detectors are ${BUILTIN_DETECTORS.join(", ")}; write \`matches /…/\` for your own`,
          }),
        );
      } else if (d.kind === "deny") {
        if (d.words.items.length === 0) out.push(diagnostic("E204", "a `deny` list needs at least one word", d.words.span));
        for (const w of d.words.items) push(out, checkValue(STRING, w, "deny"));
      }
    }
  }
}

function check(ctx: CompileContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const file of ctx.files) {
    for (const decl of file.declarations) if (decl.kind === "guardrail") checkGuardrail(decl, out);
  }
  return out;
}

/** The guardrail statement check. */
export const checkGuardrails: Rule = { name: "check-guardrails", codes: ["E101", "E201", "E204"], check };
