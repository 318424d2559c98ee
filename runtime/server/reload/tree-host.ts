/**
 * A commit's tree as the policy loader sees it: a plain-data snapshot (so it
 * can be handed to the compile worker) and a `LoadHost` over it. `.route`
 * blobs are read up front in one batch; any other file a policy happens to
 * read is fetched on demand.
 */
import type { LoadHost } from "../../../compiler/load.js";
import { readBlobs, readBlobSync, type GitRepo, type TreeEntry } from "./git.js";

/** A commit's files, with the text of every `.route` file. Plain data. */
export interface TreeSnapshot {
  /** Where to fetch a blob that is not in `texts`. */
  readonly root: string;
  readonly commit: string;
  /** File path (relative to the repository root) → blob id. */
  readonly files: Readonly<Record<string, string>>;
  /** Every directory path in the tree. */
  readonly dirs: readonly string[];
  /** Blob id → text, for every `.route` file. */
  readonly texts: Readonly<Record<string, string>>;
}

/**
 * Builds the snapshot of `commit` from its tree listing, reading `.route`
 * blobs in one batch; `cache` (blob id → text) spares re-reading unchanged
 * files on the next commit and is pruned to this tree's blobs.
 */
export async function snapshotTree(repo: GitRepo, commit: string, entries: readonly TreeEntry[], cache: Map<string, string>): Promise<TreeSnapshot> {
  const files: Record<string, string> = {};
  const dirs: string[] = [];
  const wanted = new Set<string>();
  for (const e of entries) {
    if (e.type === "tree") dirs.push(e.path);
    else if (e.type === "blob") {
      files[e.path] = e.oid;
      if (e.path.endsWith(".route")) wanted.add(e.oid);
    }
  }
  const missing = [...wanted].filter((oid) => !cache.has(oid));
  for (const [oid, text] of await readBlobs(repo, missing)) cache.set(oid, text);
  for (const oid of cache.keys()) if (!wanted.has(oid)) cache.delete(oid);
  return { root: repo.root, commit, files, dirs, texts: Object.fromEntries(cache) };
}

/** The loader's host over a snapshot: paths are relative to the repository root, `.` is the root. */
export function treeHost(snapshot: TreeSnapshot): LoadHost {
  const dirs = new Set<string>([".", ...snapshot.dirs]);
  const children = new Map<string, string[]>();
  const addChild = (path: string): void => {
    const slash = path.lastIndexOf("/");
    const parent = slash < 0 ? "." : path.slice(0, slash);
    const list = children.get(parent) ?? [];
    list.push(path.slice(slash + 1));
    children.set(parent, list);
  };
  for (const d of snapshot.dirs) addChild(d);
  for (const f of Object.keys(snapshot.files)) addChild(f);
  for (const list of children.values()) list.sort();
  return {
    read(path) {
      const oid = snapshot.files[path];
      if (oid === undefined) return undefined;
      return snapshot.texts[oid] ?? readBlobSync(snapshot.root, oid);
    },
    list: (dir) => (dirs.has(dir) ? [...(children.get(dir) ?? [])] : undefined),
    isDir: (path) => dirs.has(path),
  };
}
