/**
 * `aigw check [PATHS] [--format human|json|github|sarif|junit] [--strict]
 * [--test NAME] [--coverage] [--min-coverage N]`: the CI gate. Compiles and
 * lints the policy, then runs its `test` blocks (or only the one named)
 * through the same evaluator the server uses, and with `--coverage` says
 * which parts of the policy no test exercises. Exit 0: no errors, every
 * test passed and the coverage is at least N; 1: errors, failing tests (or
 * warnings with --strict), coverage below N; 2: usage errors.
 */
import type { Simulation } from "../../runtime/policy/policy-tests.js";
import { coverageOf } from "../../runtime/policy/coverage.js";
import { verifyPolicy, type VerifyOptions } from "../../runtime/policy/verify-policy.js";
import { graphBounds } from "../../compiler/bounds/worst-case.js";
import { didYouMean } from "../../compiler/suggest.js";
import { oneOf, parseArgs, UsageError } from "../args.js";
import { FsHost, type Io } from "../io.js";
import { passed, renderGithubReport, renderHumanReport, renderJsonReport, type CheckReport } from "../report/check-report.js";
import { renderJunit } from "../report/junit.js";
import { renderSarif } from "../report/sarif.js";
import { packageVersion } from "../version.js";

const CHECK_FORMATS = ["human", "json", "github", "sarif", "junit"] as const;

export async function checkCommand(argv: readonly string[], io: Io): Promise<number> {
  const args = parseArgs(argv, { values: ["--format", "--test", "--min-coverage"], switches: ["--strict", "--coverage"] });
  const format = oneOf("--format", args.values.get("--format") ?? "human", CHECK_FORMATS);
  const only = args.values.get("--test");
  const minCoverage = percentOption(args.values.get("--min-coverage"));
  const wantCoverage = args.switches.has("--coverage") || minCoverage !== undefined;
  if (wantCoverage && only !== undefined) throw new UsageError("--coverage measures every test; it cannot be combined with --test");
  const paths = args.positional.length ? args.positional : ["."];
  const host = new FsHost();
  for (const p of paths) if (!host.exists(p)) throw new UsageError(`no such file or directory: ${p}`);

  const sims: Simulation[] = [];
  const options: VerifyOptions = { env: io.env };
  if (only !== undefined) options.select = (t) => t.name === only;
  if (wantCoverage) options.onSimulation = (_t, sim) => void sims.push(sim);
  // The same gate `aigw serve` and every hot reload apply.
  const policy = await verifyPolicy(paths, host, options);
  if (only !== undefined && policy.graph !== undefined && policy.results.length === 0) {
    const names = policy.tests.map((t) => t.name);
    throw new UsageError(`no test named ${JSON.stringify(only)}${names.length ? `; ${didYouMean(only, names, "test") ?? `the tests are ${names.map((n) => JSON.stringify(n)).join(", ")}`}` : "; the policy has no tests"}`);
  }

  const report: CheckReport = { diagnostics: policy.diagnostics, tests: policy.results, compiled: policy.graph !== undefined, strict: args.switches.has("--strict") };
  if (wantCoverage && policy.graph !== undefined) report.coverage = coverageOf(policy.graph, sims);
  if (policy.graph !== undefined) report.bounds = graphBounds(policy.graph);
  if (minCoverage !== undefined) report.minCoverage = minCoverage;

  switch (format) {
    case "json":
      io.out(renderJsonReport(report));
      break;
    case "github":
      io.out(renderGithubReport(report));
      break;
    case "sarif":
      io.out(renderSarif(report, packageVersion()));
      break;
    case "junit":
      io.out(renderJunit(report, host.texts));
      break;
    case "human":
      io.out(renderHumanReport(report, host.texts, io.isTty));
      break;
  }
  return passed(report) ? 0 : 1;
}

/** `--min-coverage N`: a percentage 0–100 (`80` or `80%`). */
function percentOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value.replace(/%$/, ""));
  if (value.trim() === "" || !Number.isFinite(n) || n < 0 || n > 100) throw new UsageError(`--min-coverage takes a percentage from 0 to 100, not \`${value}\``);
  return n;
}
