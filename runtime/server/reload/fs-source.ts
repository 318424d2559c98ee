/**
 * The working-tree source: `aigw serve PATHS [--watch]`. Loading is cheap
 * (the compile reads the files itself); watching uses chokidar on the
 * directory of every file the loader asked for, plus the directories named
 * on the command line, one level deep each. Watching directories rather
 * than files is what survives editors' atomic saves (write a temp file,
 * rename it over the original: the original's inode is gone) and files
 * being added or removed.
 */
import { watch as chokidar, type FSWatcher } from "chokidar";
import { readFileSync, statSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { debounce } from "./debounce.js";
import type { PolicySource, ReadSet, Snapshot, SourceWatch } from "./source.js";

export interface FsSourceOptions {
  /** Relative PATHS are read against this directory (the process's, which the loader also uses). Default `process.cwd()`. */
  cwd?: string;
  /** Quiet time after the last file event before reloading. Default 10 ms (an editor's save is a burst of a millisecond or two). */
  debounceMs?: number;
  /** Longest a burst of events can delay a reload. Default 250 ms. */
  maxWaitMs?: number;
  /**
   * A watched save is applied only if every file the compile read is
   * unchanged when read again this long after (else it is compiled again).
   * Default {@link DEFAULT_SETTLE_MS}.
   */
  settleMs?: number;
}

/**
 * The settle window. A program that saves in place (truncate, then write,
 * perhaps in pieces) leaves a half-written file on disk for as long as it
 * pauses between writes; each pause shorter than this is covered.
 */
export const DEFAULT_SETTLE_MS = 200;

/** How long after watching a new directory its files are looked at once more. */
const ADDED_DIR_RECHECK_MS = 100;

/** The policy named by `paths` in the working tree. */
export function fsSource(paths: readonly string[], options: FsSourceOptions = {}): PolicySource {
  const cwd = options.cwd ?? process.cwd();
  const snapshot: Snapshot = { input: { kind: "fs", paths: [...paths] }, origin: { kind: "paths", paths: [...paths] } };
  return {
    load: () => Promise.resolve(snapshot),
    watch: (changed) => watchFiles(paths, cwd, changed, options),
  };
}

/** Directories named on the command line, and the directories of files named there. */
function entryDirs(paths: readonly string[], cwd: string): string[] {
  return paths.map((p) => {
    const abs = resolve(cwd, p);
    try {
      return statSync(abs).isDirectory() ? abs : dirname(abs);
    } catch {
      return dirname(abs);
    }
  });
}

/** Whether a file the compile read (or looked for) is different on disk now. */
function stale(read: ReadSet, cwd: string): boolean {
  const compiled = new Map(read.sources.map((s) => [s.path, s.text]));
  for (const path of read.tried) {
    let now: string | undefined;
    try {
      now = readFileSync(resolve(cwd, path), "utf8");
    } catch {
      now = undefined;
    }
    if (now !== compiled.get(path)) return true;
  }
  return false;
}

async function watchFiles(paths: readonly string[], cwd: string, changed: (trigger: "file") => void, options: FsSourceOptions): Promise<SourceWatch> {
  const names = new Set<string>();
  const watched = new Set<string>(entryDirs(paths, cwd));
  const fire = debounce(() => changed("file"), options.debounceMs ?? 10, options.maxWaitMs ?? 250);
  // A `.route` file, or any other file the policy read, matters; editors' temp files do not.
  // (By name: a stray match in another watched directory costs one reload that finds nothing new.)
  const matters = (path: string): boolean => path.endsWith(".route") || names.has(basename(path));
  const settleMs = options.settleMs ?? DEFAULT_SETTLE_MS;
  const watcher: FSWatcher = chokidar([...watched], { ignoreInitial: true, depth: 0, ignorePermissionErrors: true });
  watcher.on("all", (event, path) => {
    if ((event === "add" || event === "change" || event === "unlink") && matters(path)) fire();
  });
  // chokidar drops a file's `change` within 50 ms of the previous one; the raw
  // events are not throttled, so a quick second save is never lost.
  watcher.on("raw", (_event, path) => {
    if (typeof path === "string" && matters(path)) fire();
  });
  watcher.on("error", () => fire());
  await new Promise<void>((ready) => watcher.once("ready", ready));
  return {
    update(read) {
      const dirs = new Set(entryDirs(paths, cwd));
      names.clear();
      for (const p of read.tried) {
        const abs = resolve(cwd, p);
        names.add(basename(abs));
        dirs.add(dirname(abs));
      }
      const added = [...dirs].filter((d) => !watched.has(d));
      const removed = [...watched].filter((d) => !dirs.has(d));
      if (removed.length) watcher.unwatch(removed);
      if (added.length) {
        watcher.add(added);
        // A new directory is watched only once chokidar has set it up: look
        // again shortly after, in case a file there changed in between.
        setTimeout(fire, ADDED_DIR_RECHECK_MS).unref();
      }
      watched.clear();
      for (const d of dirs) watched.add(d);
      if (stale(read, cwd)) fire();
    },
    async settled(read) {
      await new Promise<void>((r) => setTimeout(r, settleMs));
      return !stale(read, cwd);
    },
    async close() {
      fire.cancel();
      await watcher.close();
    },
  };
}
