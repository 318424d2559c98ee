/**
 * Throwaway git repositories for tests: git with a fixed identity and no
 * user or system configuration, so a test runs the same on any machine.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: "aigw test",
  GIT_AUTHOR_EMAIL: "test@aigw.invalid",
  GIT_COMMITTER_NAME: "aigw test",
  GIT_COMMITTER_EMAIL: "test@aigw.invalid",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
};

export function git(dir: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd: dir, env: GIT_ENV, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

/** Writes `files` (relative path → text) into the work tree at `dir` and commits them; returns the new commit. */
export function commit(dir: string, files: Record<string, string>, message: string): string {
  for (const [rel, text] of Object.entries(files)) {
    const full = join(dir, rel);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, text);
  }
  git(dir, "add", "-A");
  git(dir, "commit", "-q", "--allow-empty", "-m", message);
  return git(dir, "rev-parse", "HEAD");
}
