/**
 * What `aigw check` found, and its human, JSON and GitHub renderings (SARIF
 * and JUnit are in sarif.ts and junit.ts). Pure: the command gathers the
 * report, these functions only turn it into text.
 */
import { diagnosticJson, type Diagnostic } from "../../lang/diagnostics.js";
import type { Coverage } from "../../runtime/policy/coverage.js";
import type { TestResult } from "../../runtime/policy/policy-tests.js";
import type { RouteBound } from "../../compiler/bounds/worst-case.js";
import { renderGithub, renderHuman, summary } from "../render.js";
import { boundsJson, boundsLine } from "./bounds-summary.js";

export interface CheckReport {
  diagnostics: readonly Diagnostic[];
  tests: readonly TestResult[];
  /** False when the policy does not compile (no test ran). */
  compiled: boolean;
  /** With `--coverage` or `--min-coverage`. */
  coverage?: Coverage;
  /** `--min-coverage N`: the percentage below which the check fails. */
  minCoverage?: number;
  /** Warnings fail too (`--strict`). */
  strict: boolean;
  /** Every route's worst case, when the policy compiles. */
  bounds?: readonly RouteBound[];
}

/** A diagnostic that fails the check. */
export const failing = (r: CheckReport, d: Diagnostic): boolean => d.severity === "error" || r.strict;

/** True when the coverage is below `--min-coverage`. */
export const belowMinimum = (r: CheckReport): boolean => r.coverage !== undefined && r.minCoverage !== undefined && r.coverage.percent < r.minCoverage;

/** Exit 0 or 1. */
export function passed(r: CheckReport): boolean {
  return !r.diagnostics.some((d) => failing(r, d)) && r.tests.every((t) => t.passed) && !belowMinimum(r);
}

/** One failed expectation of a test (the test's own line when the runner does not say which). */
export function testFailures(t: TestResult): { line: number; column: number; message: string }[] {
  return t.failures?.length ? t.failures : [{ line: t.line, column: 1, message: t.message ?? "" }];
}

function testSummary(r: CheckReport): string {
  if (!r.compiled) return "tests not run (the policy does not compile)";
  const failed = r.tests.filter((t) => !t.passed).length;
  const ok = r.tests.length - failed;
  return `${ok} test${ok === 1 ? "" : "s"} passed, ${failed} failed`;
}

function coverageLine(c: Coverage, min: number | undefined): string {
  const head = `coverage ${c.percent}% (${c.covered} of ${c.total} parts exercised by a test)`;
  if (min === undefined) return head;
  return c.percent < min ? `${head}: below --min-coverage ${min}%` : `${head}, at least ${min}%`;
}

/** The last line: `1 error, 2 warnings; 12 tests passed, 1 failed; coverage 80% …`. */
function lastLine(r: CheckReport): string {
  const parts = [summary(r.diagnostics), testSummary(r)];
  if (r.coverage) parts.push(coverageLine(r.coverage, r.minCoverage));
  return parts.join("; ") + "\n";
}

export function renderHumanReport(r: CheckReport, texts: ReadonlyMap<string, string>, colour: boolean): string {
  let out = "";
  for (const d of r.diagnostics) out += renderHuman(d, texts, colour) + "\n";
  for (const t of r.tests) {
    if (t.passed) continue;
    out += `FAIL test "${t.name}" (${t.file}:${t.line})\n`;
    for (const f of testFailures(t)) out += `  ${t.file}:${f.line}:${f.column}: ${f.message.split("\n").join("\n  ")}\n`;
  }
  const uncovered = r.coverage?.items.filter((i) => !i.covered) ?? [];
  if (uncovered.length > 0) {
    out += "not exercised by any test:\n";
    for (const i of uncovered) out += `  ${i.span.file}:${i.span.line}:${i.span.column}: ${i.name}\n`;
  }
  const bounds = r.bounds && boundsLine(r.bounds);
  if (bounds) out += `${bounds}\n`;
  return out + lastLine(r);
}

/** The JSON document: `{ ok, diagnostics, tests, bounds?, coverage? }`. */
export function renderJsonReport(r: CheckReport): string {
  const doc: Record<string, unknown> = { ok: passed(r), diagnostics: r.diagnostics.map(diagnosticJson), tests: r.tests };
  if (r.bounds) doc.bounds = boundsJson(r.bounds);
  if (r.coverage) {
    const c = r.coverage;
    doc.coverage = {
      percent: c.percent,
      covered: c.covered,
      total: c.total,
      ...(r.minCoverage === undefined ? {} : { minimum: r.minCoverage }),
      uncovered: c.items.filter((i) => !i.covered).map((i) => ({ kind: i.kind, name: i.name, file: i.span.file, line: i.span.line, column: i.span.column })),
    };
  }
  return JSON.stringify(doc, null, 2) + "\n";
}

/** GitHub Actions workflow commands: one annotation per diagnostic, failed expectation and uncovered part, then the summary. */
export function renderGithubReport(r: CheckReport): string {
  let out = "";
  for (const d of r.diagnostics) out += renderGithub({ ...diagnosticJson(d), severity: failing(r, d) ? "error" : "warning" });
  for (const t of r.tests) {
    if (t.passed) continue;
    for (const f of testFailures(t)) out += renderGithub({ severity: "error", code: "test", message: `test "${t.name}" failed: ${f.message}`, file: t.file, line: f.line, column: f.column });
  }
  const below = belowMinimum(r);
  for (const i of r.coverage?.items ?? []) {
    if (i.covered) continue;
    out += renderGithub({ severity: below ? "error" : "warning", code: "coverage", message: `no test exercises ${i.name}`, file: i.span.file, line: i.span.line, column: i.span.column });
  }
  return out + lastLine(r);
}
