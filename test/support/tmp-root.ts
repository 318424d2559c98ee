/**
 * vitest's global set-up: one temporary directory per test run, made the
 * TMPDIR of every worker and every child they spawn, and removed at the
 * end. Tests make their own temp dirs under os.tmpdir() (state files,
 * policy copies, git repos) and many cannot remove them (a gateway child
 * still holds a file when the test ends); without this a machine that runs
 * the suite daily collects thousands of them.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), "aigw-run-"));
  const previous = process.env.TMPDIR;
  // The pool's forks are created after global set-up and inherit this.
  process.env.TMPDIR = root;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  };
}
