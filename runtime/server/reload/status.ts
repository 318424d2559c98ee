/**
 * What `GET /admin/policy` and the reload log lines say about a policy: the
 * version serving, and refused attempts with their diagnostics and failed
 * tests. Plain JSON; no source text, no environment values.
 */
import type { JsonDiagnostic } from "../../../lang/diagnostics.js";
import type { TestResult } from "../../policy/index.js";
import type { PolicyOrigin } from "./source.js";
import type { ReloadStats } from "./stats.js";

/** What set a reload off. */
export type ReloadTrigger = "start" | "file" | "ref" | "signal" | "admin";

export interface FailedTest {
  name: string;
  file: string;
  line: number;
  message: string;
}

/** The policy serving new requests. */
export interface ActivePolicy {
  /** The policy version, as in `x-aigw-policy`. */
  policy: string;
  routes: number;
  source: PolicyOrigin;
  /** ISO time it went live. */
  loadedAt: string;
  trigger: ReloadTrigger;
}

/** An attempt that was refused. */
export interface RejectedAttempt {
  /** ISO time of the refusal. */
  at: string;
  trigger: ReloadTrigger;
  /** Absent when the source itself could not be read (then `error` says why). */
  source?: PolicyOrigin;
  /** The version it would have had, when it compiled. */
  policy?: string;
  /** Why, when it is not a diagnostic or a test (e.g. the ref no longer names a commit). */
  error?: string;
  /** Error diagnostics first; at most {@link MAX_LISTED}. */
  diagnostics: JsonDiagnostic[];
  failedTests: FailedTest[];
  /** How many diagnostics or tests were left out of the lists above. */
  omitted?: number;
}

/** The body of `GET /admin/policy`. */
export interface PolicyStatus {
  active: ActivePolicy;
  /** The most recent refused attempt (also when a later one succeeded), or null. */
  lastRejected: RejectedAttempt | null;
  /** Up to ten refused attempts, newest first. */
  recentRejected: RejectedAttempt[];
  reloads: ReloadStats;
}

/** The longest list of diagnostics (or failed tests) a rejection keeps. */
export const MAX_LISTED = 100;

export function failedTest(t: TestResult): FailedTest {
  return { name: t.name, file: t.file, line: t.line, message: t.message ?? "failed" };
}

/** `paths a, b` or `git main@0123456789ab (policy)`, for log lines. */
export function describeOrigin(o: PolicyOrigin | undefined): string {
  if (o === undefined) return "unknown";
  if (o.kind === "paths") return `paths ${o.paths.join(", ")}`;
  return `git ${o.ref}@${o.commit.slice(0, 12)} (${o.paths.join(", ")})`;
}
