/**
 * Code lenses on `test` blocks: each shows the block's verdict from the last
 * check (passed, failed with its first failure, or not run because the
 * policy does not compile), and runs that one test when clicked — the
 * `aigw.runTest` command, which runs it through the same runner
 * `aigw check` uses, on the current text.
 */
import type { CodeLens } from "vscode-languageserver";
import type { TestDecl } from "../lang/ast.js";
import { runPolicyTest, type TestResult } from "../runtime/policy/policy-tests.js";
import { segmentsOf, type Analysis } from "./analysis.js";
import { pathUri, spanRange } from "./convert.js";

export const RUN_TEST = "aigw.runTest";

function verdict(a: Analysis, path: string, name: string): string {
  if (!a.graph) return "▶ run test · not run: the policy does not compile";
  const r = a.results.find((t) => t.file === path && t.name === name);
  if (!r) return "▶ run test";
  if (r.passed) return "▶ run test · ✓ passed";
  const first = r.failures?.[0]?.message ?? r.message ?? "";
  return `▶ run test · ✗ failed${first ? `: ${first.split("\n")[0]}` : ""}`;
}

export function codeLenses(a: Analysis, path: string): CodeLens[] {
  const tests = segmentsOf(a, path).flatMap((f) => (f.declarations ?? []).filter((d): d is TestDecl => d?.kind === "test" && typeof d.name?.value === "string"));
  return tests.map((t) => ({
    range: spanRange(t.span),
    command: { title: verdict(a, path, t.name.value), command: RUN_TEST, arguments: [pathUri(path), t.name.value] },
  }));
}

/** Runs the test `name` of the file at `path` alone. */
export async function runTest(a: Analysis, path: string, name: string): Promise<TestResult> {
  const test = a.tests.find((t) => t.span.file === path && t.name === name);
  if (!a.graph || !test) {
    const why = a.graph ? `no test ${JSON.stringify(name)} in ${path}` : "the policy does not compile";
    return { name, file: path, line: 1, passed: false, message: why };
  }
  return runPolicyTest(a.graph, test);
}
