/**
 * One policy, checked as the author's editor shows it: the same gate
 * `aigw check` runs (`verifyPolicy`: parse, compile, lints, the `test` blocks
 * and their reference cross-check) over the overlay of open buffers, plus the
 * name index the navigation features read. An analysis is immutable: a new
 * edit makes a new one.
 */
import type { LoadHost } from "../compiler/load.js";
import type { Graph, TestCase } from "../compiler/graph.js";
import { nameIndex, type NameIndex } from "../compiler/name-index.js";
import type { SourceFile } from "../lang/ast.js";
import { diagnostic, type Diagnostic } from "../lang/diagnostics.js";
import { fileSpan } from "../lang/span.js";
import type { TestResult } from "../runtime/policy/policy-tests.js";
import { verifyPolicy } from "../runtime/policy/verify-policy.js";

export interface Analysis {
  /** The loader paths: a policy directory or a lone file. */
  paths: readonly string[];
  /** Parsed files in load order (a file importing mid-way appears as several segments). */
  files: readonly SourceFile[];
  /** Every file's text as analysed, by path. */
  texts: ReadonlyMap<string, string>;
  diagnostics: readonly Diagnostic[];
  /** The `test` blocks' verdicts; empty when the policy does not compile. */
  results: readonly TestResult[];
  graph?: Graph;
  tests: readonly TestCase[];
  index: NameIndex;
}

/** Checks the policy at `paths` as `aigw check` would, reading through `host`. Never throws. */
export async function analyse(paths: readonly string[], host: LoadHost, env: Readonly<Record<string, string | undefined>>): Promise<Analysis> {
  try {
    const v = await verifyPolicy(paths, host, { env });
    const analysis: Analysis = {
      paths,
      files: v.files,
      texts: new Map(v.sources.map((s) => [s.path, s.text])),
      diagnostics: v.diagnostics,
      results: v.results,
      tests: v.tests,
      index: nameIndex(v.files),
    };
    if (v.graph) analysis.graph = v.graph;
    return analysis;
  } catch (err) {
    // A bug in the checker must show in the editor, not take the server down.
    const message = `internal error while checking the policy: ${err instanceof Error ? err.message : String(err)}`;
    return { paths, files: [], texts: new Map(), diagnostics: [diagnostic("I002", message, fileSpan(paths[0] ?? ""))], results: [], tests: [], index: { occurrences: [], facts: [] } };
  }
}

/** The parsed segments of one file. */
export function segmentsOf(analysis: Analysis, path: string): SourceFile[] {
  return analysis.files.filter((f) => f.path === path);
}
