/**
 * Internal compiler errors: a bug in the compiler, not in the policy (the
 * lowered graph failed its own schema). They are reported as diagnostics, so
 * a bug never crashes `aigw check` or a hot reload, and never yields a graph.
 *
 * lang/diagnostics.ts has no code for this yet (I001 is taken by the
 * evaluator cross-check); `I002` is used here and has been asked for in CODES
 * (`I002: { severity: "error", title: "internal compiler error" }`). Until
 * then the diagnostic is built by hand rather than with `diagnostic()`.
 */
import type { Diagnostic, DiagnosticCode } from "../lang/diagnostics.js";
import { fileSpan, type Span } from "../lang/span.js";

export const INTERNAL_ERROR = "I002" as DiagnosticCode;

/** An error-severity diagnostic for a compiler bug. */
export function internalError(message: string, span: Span = fileSpan("")): Diagnostic {
  return {
    code: INTERNAL_ERROR,
    severity: "error",
    message: `internal compiler error: ${message}`,
    span,
    help: "this is a bug in aigw, not in the policy; please report it with the policy that caused it",
  };
}
