/**
 * `aigw check --format sarif`: the report as a SARIF 2.1.0 log, the format
 * GitHub code scanning uploads (`github/codeql-action/upload-sarif`). One
 * run of the tool `aigw`; its rules are the diagnostic codes that occur
 * (with their titles from lang/diagnostics.ts), plus `test` for a failed
 * expectation and `coverage` for a part no test exercises. Each result has
 * the physical location of its span, the help in its message, and the
 * diagnostic's related place as a related location. Paths stay as the
 * compiler names them (relative to where `aigw check` ran, the repository
 * root in CI), with forward slashes, under `%SRCROOT%`.
 */
import { isAbsolute } from "node:path";
import { pathToFileURL } from "node:url";
import { CODES, type Diagnostic } from "../../lang/diagnostics.js";
import type { Span } from "../../lang/span.js";
import { belowMinimum, failing, testFailures, type CheckReport } from "./check-report.js";

const SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json";

type Level = "error" | "warning" | "note";

interface Region {
  startLine: number;
  startColumn: number;
  endLine?: number;
  endColumn?: number;
}

interface Location {
  id?: number;
  physicalLocation: { artifactLocation: { uri: string; uriBaseId?: string }; region: Region };
  message?: { text: string };
}

interface Result {
  ruleId: string;
  ruleIndex: number;
  level: Level;
  message: { text: string };
  locations: Location[];
  relatedLocations?: Location[];
}

interface Rule {
  id: string;
  name: string;
  shortDescription: { text: string };
  defaultConfiguration: { level: Level };
}

/** The extra rules that are not diagnostic codes. */
const OWN_RULES: Readonly<Record<string, { name: string; text: string; level: Level }>> = {
  test: { name: "test-failed", text: "a policy test failed", level: "error" },
  coverage: { name: "not-covered", text: "no policy test exercises this part", level: "note" },
};

function artifact(file: string): Location["physicalLocation"]["artifactLocation"] {
  if (isAbsolute(file)) return { uri: pathToFileURL(file).href };
  return { uri: file.split("\\").join("/").replace(/^\.\//, ""), uriBaseId: "%SRCROOT%" };
}

function location(file: string, region: Region): Location {
  return { physicalLocation: { artifactLocation: artifact(file), region } };
}

function spanRegion(s: Pick<Span, "line" | "column" | "endLine" | "endColumn">): Region {
  // SARIF's endColumn is exclusive, as our spans' are; an empty span still needs one column.
  const endColumn = s.endLine === s.line && s.endColumn <= s.column ? s.column + 1 : s.endColumn;
  return { startLine: s.line, startColumn: s.column, endLine: s.endLine, endColumn };
}

/** The SARIF log, as a string. `version` is aigw's. */
export function renderSarif(r: CheckReport, version: string): string {
  const rules: Rule[] = [];
  const index = new Map<string, number>();
  const ruleIndex = (id: string): number => {
    let i = index.get(id);
    if (i === undefined) {
      const own = Object.hasOwn(OWN_RULES, id) ? OWN_RULES[id] : undefined;
      const code = own === undefined ? CODES[id as keyof typeof CODES] : undefined;
      const title = own?.text ?? code?.title ?? id;
      const level: Level = own?.level ?? (code?.severity === "warning" ? "warning" : "error");
      rules.push({ id, name: own?.name ?? title.replace(/[^a-z0-9]+/gi, "-").replace(/^-|-$/g, ""), shortDescription: { text: title }, defaultConfiguration: { level } });
      index.set(id, (i = rules.length - 1));
    }
    return i;
  };

  const results: Result[] = [];
  for (const d of r.diagnostics) results.push(diagnosticResult(r, d, ruleIndex(d.code)));
  for (const t of r.tests) {
    if (t.passed) continue;
    for (const f of testFailures(t)) {
      results.push({
        ruleId: "test",
        ruleIndex: ruleIndex("test"),
        level: "error",
        message: { text: `test "${t.name}" failed: ${f.message}` },
        locations: [location(t.file, { startLine: f.line, startColumn: f.column })],
        relatedLocations: [{ id: 0, ...location(t.file, { startLine: t.line, startColumn: 1 }), message: { text: `test "${t.name}"` } }],
      });
    }
  }
  const below = belowMinimum(r);
  for (const i of r.coverage?.items ?? []) {
    if (i.covered) continue;
    results.push({
      ruleId: "coverage",
      ruleIndex: ruleIndex("coverage"),
      level: below ? "error" : "note",
      message: { text: `no test exercises ${i.name}` },
      locations: [location(i.span.file, spanRegion(i.span))],
    });
  }

  const log = {
    $schema: SCHEMA,
    version: "2.1.0",
    runs: [
      {
        tool: { driver: { name: "aigw", version, rules } },
        originalUriBaseIds: { "%SRCROOT%": { description: { text: "the directory `aigw check` ran in" } } },
        results,
      },
    ],
  };
  return JSON.stringify(log, null, 2) + "\n";
}

function diagnosticResult(r: CheckReport, d: Diagnostic, ruleIndex: number): Result {
  const text = d.help ? `${d.message}\nhelp: ${d.help}` : d.message;
  const result: Result = {
    ruleId: d.code,
    ruleIndex,
    level: failing(r, d) ? "error" : "warning",
    message: { text },
    locations: [location(d.span.file, spanRegion(d.span))],
  };
  if (d.related) result.relatedLocations = [{ id: 0, ...location(d.related.span.file, spanRegion(d.related.span)), message: { text: d.related.message } }];
  return result;
}
