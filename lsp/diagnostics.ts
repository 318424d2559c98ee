/**
 * An analysis as the protocol's diagnostics, grouped by file: every compiler,
 * loader and lint diagnostic at its span (its help on a second line, its
 * related span as related information, its fix as `data` for the quick
 * fix of lsp/code-actions.ts), and every failed expectation of a
 * `test` block on the line that expected it. A file gets at most
 * `MAX_PER_FILE` diagnostics — a garbage buffer can produce one per
 * character — and then one more that says how many were left out.
 */
import { DiagnosticSeverity, type Diagnostic as LspDiagnostic } from "vscode-languageserver";
import type { Diagnostic } from "../lang/diagnostics.js";
import type { TestResult } from "../runtime/policy/policy-tests.js";
import type { Analysis } from "./analysis.js";
import { fixData } from "./code-actions.js";
import { pathUri, spanRange, START } from "./convert.js";

export const MAX_PER_FILE = 1000;

function toLsp(d: Diagnostic): LspDiagnostic {
  const out: LspDiagnostic = {
    range: spanRange(d.span),
    severity: d.severity === "error" ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
    code: d.code,
    source: "aigw",
    message: d.help ? `${d.message}\nhelp: ${d.help}` : d.message,
  };
  if (d.related) out.relatedInformation = [{ location: { uri: pathUri(d.related.span.file), range: spanRange(d.related.span) }, message: d.related.message }];
  if (d.fix) out.data = fixData(d.fix);
  return out;
}

/** One diagnostic per failed expectation, from its column to the end of its line. */
function testFailures(t: TestResult, text: string | undefined): LspDiagnostic[] {
  const lines = text?.split("\n");
  const failures = t.failures?.length ? t.failures : [{ line: t.line, column: 1, message: t.message ?? "failed" }];
  return failures.map((f) => {
    const width = (lines?.[f.line - 1] ?? "").replace(/\r$/, "").length;
    return {
      range: { start: { line: f.line - 1, character: f.column - 1 }, end: { line: f.line - 1, character: Math.max(width, f.column - 1) } },
      severity: DiagnosticSeverity.Error,
      code: "test",
      source: "aigw test",
      message: `test ${JSON.stringify(t.name)} failed: ${f.message}`,
    };
  });
}

/**
 * The diagnostics of every file the analysis read or reports on, by URI
 * (an empty list clears a file's old ones). `isFile` tells a file from a
 * directory: what is reported on a directory goes to the start of the
 * policy's first file.
 */
export function diagnosticsByUri(analysis: Analysis, isFile: (path: string) => boolean): Map<string, LspDiagnostic[]> {
  const first = analysis.texts.keys().next().value ?? analysis.paths[0] ?? "";
  const byPath = new Map<string, LspDiagnostic[]>([...analysis.texts.keys()].map((p) => [p, []]));
  const add = (path: string, d: LspDiagnostic): void => {
    const list = byPath.get(path) ?? [];
    byPath.set(path, list);
    list.push(d);
  };
  for (const d of analysis.diagnostics) {
    if (analysis.texts.has(d.span.file) || isFile(d.span.file)) add(d.span.file, toLsp(d));
    else add(first, { ...toLsp(d), range: START });
  }
  for (const t of analysis.results) if (!t.passed) for (const d of testFailures(t, analysis.texts.get(t.file))) add(t.file, d);
  const out = new Map<string, LspDiagnostic[]>();
  for (const [path, list] of byPath) {
    const kept = list.slice(0, MAX_PER_FILE);
    if (list.length > MAX_PER_FILE) {
      kept.push({ range: START, severity: DiagnosticSeverity.Error, source: "aigw", message: `${list.length - MAX_PER_FILE} more diagnostics in this file are not shown; \`aigw check\` lists them all` });
    }
    out.set(pathUri(path), kept);
  }
  return out;
}
