/**
 * `aigw check [PATHS] [--format human|json|github] [--strict]`: the CI gate.
 * Compiles and lints the policy, then runs its `test` blocks through the same
 * evaluator the server uses. Exit 0: no errors and every test passed; 1:
 * errors, failing tests (or warnings with --strict); 2: usage errors.
 */
import type { Diagnostic } from "../../lang/diagnostics.js";
import { runPolicyTests, type TestResult } from "../../runtime/engine/index.js";
import { oneOf, parseArgs, UsageError } from "../args.js";
import { FsHost, type Io } from "../io.js";
import { loadAndCompile } from "../policy.js";
import { FORMATS, renderGithub, renderHuman, summary, toJson } from "../render.js";

export const checkUsage = "aigw check [PATHS] [--format human|json|github] [--strict]";

export async function checkCommand(argv: readonly string[], io: Io): Promise<number> {
  const args = parseArgs(argv, { values: ["--format"], switches: ["--strict"] });
  const format = oneOf("--format", args.values.get("--format") ?? "human", FORMATS);
  const strict = args.switches.has("--strict");
  const paths = args.positional.length ? args.positional : ["."];
  const host = new FsHost();
  for (const p of paths) if (!host.exists(p)) throw new UsageError(`no such file or directory: ${p}`);

  const policy = loadAndCompile(paths, io.env);
  const tests: TestResult[] = policy.graph ? runPolicyTests(policy.graph, policy.tests) : [];
  const failing = (d: Diagnostic) => d.severity === "error" || strict;
  const ok = !policy.diagnostics.some(failing) && tests.every((t) => t.passed);

  if (format === "json") {
    io.out(JSON.stringify({ ok, diagnostics: policy.diagnostics.map(toJson), tests }, null, 2) + "\n");
  } else if (format === "github") {
    for (const d of policy.diagnostics) io.out(renderGithub({ ...toJson(d), severity: failing(d) ? "error" : "warning" }));
    for (const t of tests) {
      if (!t.passed) io.out(renderGithub({ severity: "error", code: "test", message: `test "${t.name}" failed: ${t.message ?? ""}`, file: t.file, line: t.line }));
    }
    io.out(`${summary(policy.diagnostics)}; ${testSummary(tests, policy.graph !== undefined)}\n`);
  } else {
    for (const d of policy.diagnostics) io.out(renderHuman(d, policy.texts, io.isTty) + "\n");
    for (const t of tests) {
      if (!t.passed) io.out(`FAIL ${t.name} (${t.file}:${t.line})\n     ${(t.message ?? "").split("\n").join("\n     ")}\n`);
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
