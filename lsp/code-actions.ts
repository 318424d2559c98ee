/**
 * Quick fixes: a diagnostic with a fix (lang/diagnostics.ts `Fix`) carries
 * it in its `data` when published (lsp/diagnostics.ts), and the editor
 * hands the diagnostic back when it asks for code actions, so the server
 * needs no memory of what it published to offer the fix.
 */
import { CodeActionKind, type CodeAction, type CodeActionParams, type Diagnostic as LspDiagnostic, type TextEdit } from "vscode-languageserver";
import type { Fix } from "../lang/diagnostics.js";
import { pathUri, spanRange } from "./convert.js";

/** What a published diagnostic's `data` holds: its fix as protocol edits, by document URI. */
export interface FixData {
  fix: { title: string; changes: Record<string, TextEdit[]> };
}

export function fixData(fix: Fix): FixData {
  const changes: Record<string, TextEdit[]> = {};
  for (const e of fix.edits) (changes[pathUri(e.span.file)] ??= []).push({ range: spanRange(e.span), newText: e.text });
  return { fix: { title: fix.message, changes } };
}

function isFixData(data: unknown): data is FixData {
  const fix = (data as Partial<FixData> | undefined)?.fix;
  return typeof fix?.title === "string" && typeof fix.changes === "object" && fix.changes !== null;
}

/** One quick fix per diagnostic in the request that has one; the first is preferred when there is only one. */
export function codeActions(params: CodeActionParams): CodeAction[] {
  const withFix = params.context.diagnostics.filter((d): d is LspDiagnostic & { data: FixData } => isFixData(d.data));
  return withFix.map((d) => ({
    title: d.data.fix.title.replace(/^./, (c: string) => c.toUpperCase()),
    kind: CodeActionKind.QuickFix,
    diagnostics: [d],
    isPreferred: withFix.length === 1,
    edit: { changes: d.data.fix.changes },
  }));
}
