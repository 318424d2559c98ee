/**
 * Hot reload's public entry: pick a policy source from the command line,
 * run a `Reloader` over it, mount its admin routes, read its counters.
 *
 *   const source = await policySource(paths, { git: "main" });
 *   const reloader = new Reloader({ source, env });
 *   const first = await reloader.check();            // start-up: verify, do not install
 *   const gw = await startGateway({ graph: first.report.graph, routes: reloadRoutes(reloader, env) });
 *   await reloader.start(gw, first, { log, watch: true });
 *   process.on("SIGHUP", () => void reloader.reload("signal"));
 */
import { fsSource, type FsSourceOptions } from "./fs-source.js";
import { gitSource, type GitSourceOptions } from "./git-source.js";
import type { PolicySource } from "./source.js";

export { reloadRoutes } from "../admin/reload.js";
export { Candidate, candidateSource } from "./candidate.js";
export { Reloader, type Checked, type ReloadOutcome, type ReloaderOptions, type SwapTarget } from "./reloader.js";
export { SourceError, type PolicyInput, type PolicyOrigin, type PolicySource, type Snapshot } from "./source.js";
export { reloadStats, type ReloadStats } from "./stats.js";
export type { ActivePolicy, FailedTest, PolicyStatus, RejectedAttempt, ReloadTrigger } from "./status.js";
export { defaultVerifier, inlineVerifier, workerVerifier, type Verifier, type VerifyReport } from "./verifier.js";
export { fsSource, gitSource };

/** The working tree at `paths`, or with `git` the tree committed at that ref. Rejects with a `SourceError`. */
export function policySource(paths: readonly string[], options: { git?: string } & FsSourceOptions & GitSourceOptions = {}): Promise<PolicySource> {
  return options.git === undefined ? Promise.resolve(fsSource(paths, options)) : gitSource(paths, options.git, options);
}
