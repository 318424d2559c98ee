/**
 * The few git plumbing commands `--git REF` needs, through the `git` CLI:
 * find the repository, resolve a ref to a commit, list a commit's tree and
 * read blobs in one batch. Everything reads the object database, never the
 * working tree, so a half-saved file can never be served.
 */
import { execFile, execFileSync, spawn } from "node:child_process";

/** A git command failed (not a repository, unknown ref, git missing). */
export class GitError extends Error {
  readonly code = "AIGW_GIT";
}

/** Where a repository lives. */
export interface GitRepo {
  /** The work tree's top directory, or the git directory of a bare repository. */
  readonly root: string;
  /** The shared git directory (refs and packed-refs live here, also for linked worktrees). */
  readonly commonDir: string;
  /** This checkout's git directory (its `HEAD`). */
  readonly gitDir: string;
  readonly bare: boolean;
}

/** One entry of `git ls-tree -r -t`: a file (`blob`), a directory (`tree`) or a submodule (`commit`). */
export interface TreeEntry {
  readonly path: string;
  readonly type: string;
  readonly oid: string;
}

// No pager, no locale surprises, and never take the index lock just to read.
const GIT_ENV = { ...process.env, GIT_OPTIONAL_LOCKS: "0", GIT_TERMINAL_PROMPT: "0", LC_ALL: "C" };
const MAX_OUTPUT = 256 * 1024 * 1024;

function run(cwd: string, args: readonly string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile("git", args, { cwd, env: GIT_ENV, encoding: "buffer", maxBuffer: MAX_OUTPUT }, (err, stdout, stderr) => {
      if (err) reject(new GitError(`git ${args[0]} failed: ${stderr.toString().trim() || err.message}`));
      else resolve(stdout);
    });
  });
}

const lines = (out: Buffer): string[] => out.toString("utf8").split("\n").filter((l) => l !== "");

/** The repository containing `dir` (a work tree directory or a bare repository). */
export async function openRepo(dir: string): Promise<GitRepo> {
  const [gitDir, commonDir, bare] = lines(await run(dir, ["rev-parse", "--path-format=absolute", "--git-dir", "--git-common-dir", "--is-bare-repository"]));
  if (gitDir === undefined || commonDir === undefined) throw new GitError(`\`${dir}\` is not in a git repository`);
  if (bare === "true") return { root: gitDir, gitDir, commonDir, bare: true };
  const [root] = lines(await run(dir, ["rev-parse", "--show-toplevel"]));
  return { root: root ?? dir, gitDir, commonDir, bare: false };
}

/** The commit `ref` names now, or undefined when it names none. */
export async function resolveCommit(repo: GitRepo, ref: string): Promise<string | undefined> {
  try {
    return lines(await run(repo.root, ["rev-parse", "--verify", "--quiet", "--end-of-options", `${ref}^{commit}`]))[0];
  } catch {
    return undefined;
  }
}

/** Every file and directory of `commit`'s tree, paths relative to the repository root. */
export async function listTree(repo: GitRepo, commit: string): Promise<TreeEntry[]> {
  const out = (await run(repo.root, ["ls-tree", "-r", "-t", "-z", "--full-tree", commit])).toString("utf8");
  const entries: TreeEntry[] = [];
  for (const record of out.split("\0")) {
    // "<mode> SP <type> SP <oid> TAB <path>"
    const tab = record.indexOf("\t");
    if (tab < 0) continue;
    const [, type, oid] = record.slice(0, tab).split(" ");
    if (type && oid) entries.push({ path: record.slice(tab + 1), type, oid });
  }
  return entries;
}

/** The texts of the blobs `oids`, read with one `git cat-file --batch`. */
export function readBlobs(repo: GitRepo, oids: readonly string[]): Promise<Map<string, string>> {
  const texts = new Map<string, string>();
  if (oids.length === 0) return Promise.resolve(texts);
  return new Promise((resolve, reject) => {
    const child = spawn("git", ["cat-file", "--batch"], { cwd: repo.root, env: GIT_ENV, stdio: ["pipe", "pipe", "pipe"] });
    const chunks: Buffer[] = [];
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => chunks.push(c));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", (err) => reject(new GitError(`git cat-file failed: ${err.message}`)));
    child.on("close", (code) => {
      if (code !== 0) return reject(new GitError(`git cat-file failed: ${stderr.trim() || `exit ${code}`}`));
      try {
        parseBatch(Buffer.concat(chunks), texts);
        resolve(texts);
      } catch (err) {
        reject(err);
      }
    });
    child.stdin.end(oids.join("\n") + "\n");
  });
}

/** Parses `git cat-file --batch` output: `<oid> <type> <size>\n<content>\n` per object. */
function parseBatch(out: Buffer, into: Map<string, string>): void {
  let at = 0;
  while (at < out.length) {
    const nl = out.indexOf(0x0a, at);
    if (nl < 0) break;
    const header = out.toString("utf8", at, nl).split(" ");
    at = nl + 1;
    if (header[1] === "missing" || header.length < 3) continue;
    const size = Number(header[2]);
    into.set(header[0]!, out.toString("utf8", at, at + size));
    at += size + 1;
  }
}

/** One blob's text, synchronously: for the rare file a policy reads that is not a `.route` file. */
export function readBlobSync(root: string, oid: string): string | undefined {
  try {
    return execFileSync("git", ["cat-file", "blob", oid], { cwd: root, env: GIT_ENV, encoding: "utf8", maxBuffer: MAX_OUTPUT, stdio: ["ignore", "pipe", "ignore"] });
  } catch {
    return undefined;
  }
}
