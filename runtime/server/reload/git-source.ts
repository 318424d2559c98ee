/**
 * The git source: `aigw serve PATHS --git REF`. Each load resolves REF to a
 * commit and reads the policy from that commit's tree through the object
 * database, so only committed content is ever compiled. Watching follows
 * the ref: file events on the refs (loose refs, packed-refs, HEAD) trigger
 * a `git rev-parse` at once, so a commit, merge, pull, reset or push is
 * usually seen within milliseconds; a poll every 500 ms (about 4 ms of CPU
 * each) catches what the events miss.
 */
import { watch as chokidar } from "chokidar";
import { join, resolve } from "node:path";
import { GitError, listTree, openRepo, resolveCommit, type GitRepo } from "./git.js";
import { existingDir, repoRelative, SourceError, type PolicySource, type Snapshot, type SourceWatch } from "./source.js";
import { snapshotTree } from "./tree-host.js";

export interface GitSourceOptions {
  /** Relative PATHS are resolved against this directory. Default `process.cwd()`. */
  cwd?: string;
  /** How often REF is re-resolved (a safety net: file events on the refs usually see a move first). Default 500 ms. */
  pollMs?: number;
}

/**
 * The policy named by `paths` (files or directories inside one git work
 * tree, or a bare repository itself) as committed at `ref`. Rejects with a
 * `SourceError` when a path is outside the repository or `ref` names no commit.
 */
export async function gitSource(paths: readonly string[], ref: string, options: GitSourceOptions = {}): Promise<PolicySource> {
  const cwd = options.cwd ?? process.cwd();
  const first = paths[0] ?? ".";
  let repo: GitRepo;
  try {
    repo = await openRepo(existingDir(resolve(cwd, first)));
  } catch (err) {
    throw new SourceError(`--git needs a git repository: ${err instanceof Error ? err.message : String(err)}`);
  }
  const rel = repo.bare ? ["."] : repoRelative(repo.root, paths.length ? paths : ["."], cwd);
  if ((await resolveCommit(repo, ref)) === undefined) throw new SourceError(`\`${ref}\` does not name a commit in \`${repo.root}\``);
  const blobs = new Map<string, string>();
  let seen: string | undefined;
  // The commit the watcher just resolved, so the reload it triggers need not resolve REF again.
  let announced: string | undefined;

  async function load(): Promise<Snapshot> {
    const commit = announced ?? (await resolveCommit(repo, ref));
    announced = undefined;
    if (commit === undefined) throw new GitError(`\`${ref}\` does not name a commit in \`${repo.root}\``);
    seen = commit;
    const tree = await snapshotTree(repo, commit, await listTree(repo, commit), blobs);
    return { input: { kind: "tree", paths: rel, tree }, origin: { kind: "git", repo: repo.root, ref, commit, paths: rel } };
  }

  async function watch(changed: (trigger: "ref") => void): Promise<SourceWatch> {
    let checking = false;
    let again = false;
    const check = async (): Promise<void> => {
      if (checking) {
        again = true;
        return;
      }
      checking = true;
      try {
        do {
          again = false;
          const now = await resolveCommit(repo, ref);
          if (now !== undefined && now !== seen) {
            seen = now;
            announced = now;
            changed("ref");
          }
        } while (again);
      } finally {
        checking = false;
      }
    };
    const timer = setInterval(() => void check(), options.pollMs ?? 500);
    timer.unref();
    // Refs are files (loose refs, packed-refs, HEAD for `--git HEAD`); their events only wake the poll early.
    const refs = chokidar([join(repo.commonDir, "refs"), join(repo.commonDir, "packed-refs"), join(repo.gitDir, "HEAD")], {
      ignoreInitial: true,
      ignorePermissionErrors: true,
    });
    refs.on("all", () => void check());
    // chokidar drops a path's `change` within 50 ms of the previous one; raw events are never dropped.
    refs.on("raw", () => void check());
    refs.on("error", () => undefined);
    await new Promise<void>((ready) => refs.once("ready", ready));
    void check(); // the ref may have moved since the last load, before the watch began
    return {
      update: () => undefined,
      async close() {
        clearInterval(timer);
        await refs.close();
      },
    };
  }

  return { load, watch };
}
