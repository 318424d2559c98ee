/**
 * Internal compiler errors: a bug in the compiler, not in the policy (the
 * lowered graph failed its own schema, or a phase threw). They are reported
 * as diagnostics (I002), so a bug never crashes `aigw check` or a hot
 * reload, and never yields a graph.
 */
import { diagnostic, type Diagnostic } from "../lang/diagnostics.js";
import { fileSpan, type Span } from "../lang/span.js";

/** An error-severity diagnostic for a compiler bug. */
export function internalError(message: string, span: Span = fileSpan("")): Diagnostic {
  return diagnostic("I002", `internal compiler error: ${message}`, span, {
    help: "this is a bug in aigw, not in the policy; please report it with the policy that caused it",
  });
}
