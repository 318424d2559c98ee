/**
 * One verification of a policy snapshot, as plain data in and out: the body
 * shared by the in-process verifier and the compile worker. It is
 * `verifyPolicy` (the same gate as `aigw check`) over the snapshot's files.
 */
import type { Graph } from "../../../compiler/graph.js";
import type { LoadHost } from "../../../compiler/load.js";
import type { Diagnostic } from "../../../lang/diagnostics.js";
import type { TestResult } from "../../policy/index.js";
import { verifyPolicy } from "../../policy/verify-policy.js";
import { fsHost } from "./fs-host.js";
import type { PolicyInput } from "./source.js";
import { treeHost } from "./tree-host.js";

/** The outcome of compiling and testing one snapshot. Plain JSON. */
export interface VerifyReport {
  /** A graph, no error diagnostics, every test passed. */
  ok: boolean;
  /** Present when the policy compiled (even if its tests then failed). */
  graph?: Graph;
  diagnostics: Diagnostic[];
  /** Every test's verdict; empty when the policy did not compile. */
  results: TestResult[];
  /** Each file read, in load order, with its text (for quoting diagnostics). */
  sources: { path: string; text: string }[];
  /** Every path the loader asked for, found or not (working-tree snapshots only). */
  tried: string[];
  /** Wall time of the compile and tests. */
  ms: number;
}

/** Compiles and tests `input`; `env` is for `env("…")` warnings only. */
export async function runVerify(input: PolicyInput, env: Readonly<Record<string, string>>): Promise<VerifyReport> {
  const started = performance.now();
  let host: LoadHost;
  let tried: readonly string[] = [];
  if (input.kind === "fs") {
    const fs = fsHost();
    host = fs;
    tried = fs.tried;
  } else host = treeHost(input.tree);
  const v = await verifyPolicy(input.paths, host, { env });
  const report: VerifyReport = {
    ok: v.ok,
    diagnostics: v.diagnostics,
    results: v.results,
    sources: v.sources,
    tried: [...tried],
    ms: performance.now() - started,
  };
  if (v.graph) report.graph = v.graph;
  return report;
}
