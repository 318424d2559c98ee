/**
 * Where a policy comes from and how the gateway learns it changed. Two
 * sources: the working tree (`aigw serve PATHS`, optionally `--watch`) and
 * a git ref (`--git REF`: the committed tree, never the working tree).
 * A source hands out snapshots as plain data (`PolicyInput`), so the
 * compile can run in a worker thread.
 */
import { existsSync, statSync } from "node:fs";
import { dirname, isAbsolute, relative, resolve, sep } from "node:path";
import type { TreeSnapshot } from "./tree-host.js";

/** What the verifier compiles: the loader's paths and where their files come from. */
export type PolicyInput =
  | { readonly kind: "fs"; readonly paths: readonly string[] }
  | { readonly kind: "tree"; readonly paths: readonly string[]; readonly tree: TreeSnapshot };

/** Where a loaded policy came from, as `GET /admin/policy` reports it. */
export type PolicyOrigin =
  | { readonly kind: "paths"; readonly paths: readonly string[] }
  | { readonly kind: "git"; readonly repo: string; readonly ref: string; readonly commit: string; readonly paths: readonly string[] };

/** One load of a source: what to compile and where it came from. */
export interface Snapshot {
  readonly input: PolicyInput;
  readonly origin: PolicyOrigin;
}

/** What a compile read: every path the loader asked for, and the text of each it found. */
export interface ReadSet {
  readonly tried: readonly string[];
  readonly sources: readonly { readonly path: string; readonly text: string }[];
}

/** Tells the reloader that the policy may have changed. */
export interface SourceWatch {
  /**
   * After each compile, with what it read: the file watcher watches those
   * directories, and reports a change at once if a file already differs
   * from what was compiled (it changed before its directory was watched).
   */
  update(read: ReadSet): void;
  /**
   * Whether what a compile read is stable: the working tree waits a settle
   * window and reads the files again, true when nothing changed. Absent
   * (git) when a snapshot cannot be half-written.
   */
  settled?(read: ReadSet): Promise<boolean>;
  close(): Promise<void>;
}

export interface PolicySource {
  /** Reads the policy as it is now. Rejects (e.g. a ref that names no commit) with an `Error`. */
  load(): Promise<Snapshot>;
  /**
   * Starts watching; `changed` is called (debounced) when a new load may
   * differ: `file` for the working tree, `ref` when the git ref moved.
   * Resolves once watching.
   */
  watch(changed: (trigger: "file" | "ref") => void): Promise<SourceWatch>;
}

/** A user's mistake in naming the source (exit 2 in the CLI). */
export class SourceError extends Error {
  readonly code = "AIGW_POLICY_SOURCE";
}

/**
 * Maps PATHS on disk to paths relative to `root` with `/`, for the loader
 * reading a git tree: `.` for the root itself.
 */
export function repoRelative(root: string, paths: readonly string[], cwd: string): string[] {
  return paths.map((p) => {
    const rel = relative(root, resolve(cwd, p));
    if (rel.startsWith("..") || isAbsolute(rel)) throw new SourceError(`\`${p}\` is outside the git repository at \`${root}\``);
    return rel === "" ? "." : rel.split(sep).join("/");
  });
}

/** The nearest existing directory at or above `path` (git needs one to find the repository). */
export function existingDir(path: string): string {
  let dir = resolve(path);
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  return statSync(dir).isDirectory() ? dir : dirname(dir);
}
