/**
 * `aigw check --format junit`: the policy tests as JUnit XML, the format CI
 * systems (GitHub Actions test reporters, GitLab, Jenkins) read. One
 * `<testsuite>` per policy file with its tests as `<testcase>`s (a failed
 * one carries a `<failure>` with every failed expectation), plus a suite
 * `aigw check` with the checks that are not tests: the policy compiles
 * without failing diagnostics, and with `--min-coverage` the coverage.
 */
import { renderHuman } from "../render.js";
import { belowMinimum, failing, testFailures, type CheckReport } from "./check-report.js";

interface Case {
  name: string;
  classname: string;
  file: string;
  line: number;
  /** The failure's short message and full text; absent when it passed. */
  failure?: { message: string; text: string };
}

/** Text and attribute values: the five XML entities escaped, characters XML 1.0 cannot hold dropped. */
function xml(s: string): string {
  return s
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

function suite(name: string, cases: readonly Case[]): string {
  const failures = cases.filter((c) => c.failure).length;
  const body = cases.map((c) => {
    const attrs = `name="${xml(c.name)}" classname="${xml(c.classname)}" file="${xml(c.file)}" line="${c.line}"`;
    if (!c.failure) return `    <testcase ${attrs}/>\n`;
    return `    <testcase ${attrs}>\n      <failure message="${xml(c.failure.message)}" type="failure">${xml(c.failure.text)}</failure>\n    </testcase>\n`;
  });
  return `  <testsuite name="${xml(name)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="0">\n${body.join("")}  </testsuite>\n`;
}

/** The JUnit XML document. `texts` are the policy files (for the diagnostics' source excerpts). */
export function renderJunit(r: CheckReport, texts: ReadonlyMap<string, string>): string {
  const byFile = new Map<string, Case[]>();
  for (const t of r.tests) {
    const failures = t.passed ? [] : testFailures(t);
    const c: Case = { name: t.name, classname: t.file, file: t.file, line: t.line };
    if (failures.length > 0) c.failure = { message: failures[0]!.message, text: failures.map((f) => `${t.file}:${f.line}:${f.column}: ${f.message}`).join("\n") };
    const list = byFile.get(t.file) ?? [];
    list.push(c);
    byFile.set(t.file, list);
  }

  const checks: Case[] = [];
  const bad = r.diagnostics.filter((d) => failing(r, d));
  const first = r.diagnostics[0]?.span.file ?? "";
  const compiles: Case = { name: "the policy compiles and lints", classname: "aigw check", file: first, line: 1 };
  if (bad.length > 0) compiles.failure = { message: `${bad.length} failing diagnostic${bad.length === 1 ? "" : "s"}: ${bad[0]!.code} ${bad[0]!.message}`, text: bad.map((d) => renderHuman(d, texts, false)).join("\n") };
  checks.push(compiles);
  if (r.coverage && r.minCoverage !== undefined) {
    const c = r.coverage;
    const cov: Case = { name: `coverage is at least ${r.minCoverage}%`, classname: "aigw check", file: first, line: 1 };
    if (belowMinimum(r)) {
      const uncovered = c.items.filter((i) => !i.covered).map((i) => `${i.span.file}:${i.span.line}:${i.span.column}: ${i.name}`);
      cov.failure = { message: `coverage ${c.percent}% is below ${r.minCoverage}%`, text: ["not exercised by any test:", ...uncovered].join("\n") };
    }
    checks.push(cov);
  }

  const all = [...checks, ...[...byFile.values()].flat()];
  const failures = all.filter((c) => c.failure).length;
  let out = `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="aigw check" tests="${all.length}" failures="${failures}" errors="0">\n`;
  out += suite("aigw check", checks);
  for (const [file, cases] of byFile) out += suite(file, cases);
  return out + "</testsuites>\n";
}
