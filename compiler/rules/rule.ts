/**
 * A lint or semantic rule: one file per rule under compiler/rules/, each
 * checking one thing and returning diagnostics as values. The list of rules
 * run by the compiler is `RULES` in compiler/rules/index.ts.
 */
import type { Diagnostic, DiagnosticCode } from "../../lang/diagnostics.js";
import type { CompileContext } from "../symbols.js";

export interface Rule {
  /** The diagnostic codes this rule can emit. */
  codes: readonly DiagnosticCode[];
  /** A short kebab-case name, e.g. `split-weights`. */
  name: string;
  check(ctx: CompileContext): Diagnostic[];
}
