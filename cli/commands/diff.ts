/**
 * `aigw diff OLD NEW [--path P] [--format human|markdown|json]
 * [--exit-code]`: what a policy change does to traffic. Each side is a
 * policy on disk (a file or directory) or, when no such path exists, a git
 * ref whose committed tree is read at `--path` (default `.`) — the same
 * reader `aigw serve --git` uses, so `aigw diff main HEAD` compares two
 * commits without touching the working tree. The comparison itself is
 * compiler/diff's pure `diffGraphs`.
 */
import { resolve } from "node:path";
import { compilePaths, type PolicyResult } from "../../compiler/index.js";
import { diffGraphs } from "../../compiler/diff/index.js";
import { hasErrors } from "../../lang/diagnostics.js";
import { gitSource } from "../../runtime/server/reload/git-source.js";
import { SourceError } from "../../runtime/server/reload/source.js";
import { treeHost } from "../../runtime/server/reload/tree-host.js";
import { oneOf, parseArgs, UsageError } from "../args.js";
import { FsHost, type Io } from "../io.js";
import { renderHuman, summary } from "../render.js";
import { renderDiffHuman, renderDiffJson, renderDiffMarkdown } from "../report/diff-report.js";

const DIFF_FORMATS = ["human", "markdown", "json"] as const;

/** One side: a path that exists is read from disk; anything else is a git ref read at `path`. */
async function load(spec: string, path: string, io: Io): Promise<PolicyResult> {
  const host = new FsHost();
  if (host.exists(resolve(io.cwd, spec))) return compilePaths([resolve(io.cwd, spec)], host, { env: io.env });
  let snapshot;
  try {
    snapshot = await (await gitSource([path], spec, { cwd: io.cwd })).load();
  } catch (err) {
    const why = err instanceof SourceError ? err.message : String(err instanceof Error ? err.message : err);
    throw new UsageError(`\`${spec}\` is neither a file or directory nor a git ref: ${why}`);
  }
  if (snapshot.input.kind !== "tree") throw new UsageError(`\`${spec}\` is not a git ref`);
  return compilePaths(snapshot.input.paths, treeHost(snapshot.input.tree), { env: io.env });
}

export async function diffCommand(argv: readonly string[], io: Io): Promise<number> {
  const args = parseArgs(argv, { values: ["--format", "--path"], switches: ["--exit-code"] });
  const format = oneOf("--format", args.values.get("--format") ?? "human", DIFF_FORMATS);
  if (args.positional.length !== 2) throw new UsageError(`diff takes two policies, OLD and NEW (paths or git refs), not ${args.positional.length}`);
  const [oldSpec, newSpec] = args.positional as [string, string];
  const path = args.values.get("--path") ?? ".";
  const [a, b] = [await load(oldSpec, path, io), await load(newSpec, path, io)];
  let broken = false;
  for (const [spec, side] of [[oldSpec, a], [newSpec, b]] as const) {
    if (side.graph && !hasErrors(side.diagnostics)) continue;
    broken = true;
    const texts = new Map(side.sources.map((s) => [s.path, s.text]));
    io.err(`aigw diff: \`${spec}\` does not compile (${summary(side.diagnostics)}):\n`);
    for (const d of side.diagnostics.filter((x) => x.severity === "error")) io.err(renderHuman(d, texts, false));
  }
  if (broken || !a.graph || !b.graph) return 1;
  const diff = diffGraphs(a.graph, b.graph);
  const labels = { old: oldSpec, new: newSpec };
  io.out(format === "json" ? renderDiffJson(diff, labels) : format === "markdown" ? renderDiffMarkdown(diff, labels) : renderDiffHuman(diff, labels));
  return args.switches.has("--exit-code") && !diff.equivalent ? 1 : 0;
}
