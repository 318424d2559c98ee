/**
 * Loading and compiling a policy from disk for the commands: the one place
 * the CLI turns PATHS into files, diagnostics and a graph.
 */
import { compilePaths } from "../compiler/index.js";
import type { Graph, TestCase } from "../compiler/graph.js";
import type { SourceFile } from "../lang/ast.js";
import type { Diagnostic } from "../lang/diagnostics.js";
import { FsHost } from "./io.js";

export interface LoadedPolicy {
  files: readonly SourceFile[];
  /** The text of every file read, for quoting source lines in diagnostics. */
  texts: ReadonlyMap<string, string>;
  diagnostics: Diagnostic[];
  graph?: Graph;
  tests: TestCase[];
}

export function loadAndCompile(paths: readonly string[], env: Readonly<Record<string, string | undefined>>): LoadedPolicy {
  const host = new FsHost();
  const compiled = compilePaths(paths, host, { env });
  const result: LoadedPolicy = { files: compiled.files, texts: host.texts, diagnostics: compiled.diagnostics, tests: compiled.tests };
  if (compiled.graph) result.graph = compiled.graph;
  return result;
}
