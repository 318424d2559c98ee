/**
 * `aigw check [PATHS] [--format human|json|github] [--strict]`: the CI gate.
 * Compiles and lints the policy, then runs its `test` blocks through the same
 * evaluator the server uses. Exit 0: no errors and every test passed; 1:
 * errors, failing tests (or warnings with --strict); 2: usage errors.
 */
import { diagnosticJson, type Diagnostic } from "../../lang/diagnostics.js";
import type { TestResult } from "../../runtime/policy/index.js";
import { verifyPolicy } from "../../runtime/policy/verify-policy.js";
import { oneOf, parseArgs, UsageError } from "../args.js";
import { FsHost, type Io } from "../io.js";
import { FORMATS, renderGithub, renderHuman, summary } from "../render.js";

export async function checkCommand(argv: readonly string[], io: Io): Promise<number> {
  const args = parseArgs(argv, { values: ["--format"], switches: ["--strict"] });
  const format = oneOf("--format", args.values.get("--format") ?? "human", FORMATS);
  const strict = args.switches.has("--strict");
  const paths = args.positional.length ? args.positional : ["."];
  const host = new FsHost();
  for (const p of paths) if (!host.exists(p)) throw new UsageError(`no such file or directory: ${p}`);

  // The same gate `aigw serve` and every hot reload apply.
  const policy = await verifyPolicy(paths, host, { env: io.env });
  const tests = policy.results;
  const failing = (d: Diagnostic) => d.severity === "error" || strict;
  const ok = !policy.diagnostics.some(failing) && tests.every((t) => t.passed);

  if (format === "json") {
    io.out(JSON.stringify({ ok, diagnostics: policy.diagnostics.map(diagnosticJson), tests }, null, 2) + "\n");
  } else if (format === "github") {
    for (const d of policy.diagnostics) io.out(renderGithub({ ...diagnosticJson(d), severity: failing(d) ? "error" : "warning" }));
    for (const t of tests) {
      if (t.passed) continue;
      // One annotation per failed expectation, on its own line, when the runner says which.
      const failures = t.failures?.length ? t.failures : [{ line: t.line, column: 1, message: t.message ?? "" }];
      for (const f of failures) {
        io.out(renderGithub({ severity: "error", code: "test", message: `test "${t.name}" failed: ${f.message}`, file: t.file, line: f.line, column: f.column }));
      }
    }
    io.out(`${summary(policy.diagnostics)}; ${testSummary(tests, policy.graph !== undefined)}\n`);
  } else {
    for (const d of policy.diagnostics) io.out(renderHuman(d, host.texts, io.isTty) + "\n");
    for (const t of tests) {
      if (t.passed) continue;
      io.out(`FAIL test "${t.name}" (${t.file}:${t.line})\n`);
      if (t.failures?.length) for (const f of t.failures) io.out(`  ${t.file}:${f.line}:${f.column}: ${f.message}\n`);
      else io.out(`  ${(t.message ?? "").split("\n").join("\n  ")}\n`);
    }
    io.out(`${summary(policy.diagnostics)}; ${testSummary(tests, policy.graph !== undefined)}\n`);
  }
  return ok ? 0 : 1;
}

function testSummary(tests: readonly TestResult[], compiled: boolean): string {
  if (!compiled) return "tests not run (the policy does not compile)";
  const failed = tests.filter((t) => !t.passed).length;
  const passed = tests.length - failed;
  return `${passed} test${passed === 1 ? "" : "s"} passed, ${failed} failed`;
}
