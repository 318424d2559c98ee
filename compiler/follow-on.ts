/**
 * Follow-on diagnostics: what the compiler finds in a policy that did not
 * parse or load cleanly is partly about the damage, not about what was
 * written. A route read only up to a syntax error "matches everything" and
 * hides the routes below it; a declaration cut short is "declared twice"
 * when its tail is read as another; with a file missing or a comment left
 * open, names are "unknown" and declarations "unused" because their
 * declarations and uses were never read. Those are dropped here, and the
 * root causes (syntax and load errors) are listed first, so the first error
 * shown is the one to fix. Fixing it brings back whatever was real.
 */
import type { SourceFile } from "../lang/ast.js";
import type { Diagnostic } from "../lang/diagnostics.js";
import type { Span } from "../lang/span.js";

/** Judgements about the policy as a whole: unreliable when part of it was not read. */
const NEED_WHOLE_POLICY = new Set(["E101", "E401", "W501", "W504", "L003"]);

/** Syntax errors, and the loader's errors about files it could not read or follow. */
const ROOT = /^(P\d{3}|L00[124])$/;

function within(span: Span, broken: readonly Span[]): boolean {
  return broken.some((b) => b.file === span.file && b.offset <= span.offset && span.offset <= b.endOffset);
}

/**
 * `diagnostics` without the follow-ons of the damage recorded on `files`
 * (lang/ast.ts `Damage`) and of load errors, root causes first; otherwise in
 * the order given.
 */
export function withoutFollowOns(diagnostics: readonly Diagnostic[], files: readonly SourceFile[]): Diagnostic[] {
  const broken = files.flatMap((f) => f.damage?.broken ?? []);
  // a literal the parser could not read (`3y`) is also the wrong type for the checks: one report, the parser's
  const unread = new Set(diagnostics.filter((d) => d.code.startsWith("P")).map((d) => `${d.span.file}:${d.span.offset}:${d.span.endOffset}`));
  const lost = files.some((f) => f.damage?.lost) || diagnostics.some((d) => d.code === "L001");
  const kept = diagnostics.filter((d) => {
    if (ROOT.test(d.code)) return true;
    if (lost && NEED_WHOLE_POLICY.has(d.code)) return false;
    if (unread.has(`${d.span.file}:${d.span.offset}:${d.span.endOffset}`)) return false;
    return !within(d.span, broken) && !(d.related && within(d.related.span, broken));
  });
  const root = (d: Diagnostic): boolean => d.severity === "error" && ROOT.test(d.code);
  return [...kept.filter(root), ...kept.filter((d) => !root(d))];
}
