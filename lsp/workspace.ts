/**
 * The files as the editor sees them, and which policy each belongs to.
 *
 * The loader reads through an overlay: an open buffer's text wins over the
 * file on disk (unsaved edits are what the author is looking at), and a new
 * buffer not yet saved is listed in its directory. A file's policy is the
 * outermost directory between the workspace folder holding it and its own
 * directory whose entry (`main.route`, or its only `.route` file) loads it,
 * imports followed — the policy `aigw check DIR` would check; a file no
 * such entry loads is checked on its own.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, sep } from "node:path";
import { loadPolicy, type LoadHost } from "../compiler/load.js";
import { parse } from "../lang/parse.js";

/** Open buffers by path. */
export type OpenTexts = ReadonlyMap<string, string>;

/** A load host over the file system with the open buffers on top. */
export function overlayHost(open: OpenTexts): LoadHost {
  const isDir = (path: string): boolean => {
    if (open.has(path)) return false;
    try {
      return statSync(path).isDirectory();
    } catch {
      return false;
    }
  };
  return {
    read(path) {
      const text = open.get(path);
      if (text !== undefined) return text;
      try {
        return readFileSync(path, "utf8");
      } catch {
        return undefined;
      }
    },
    list(dir) {
      let names: string[] | undefined;
      try {
        names = readdirSync(dir);
      } catch {
        names = undefined;
      }
      const unsaved = [...open.keys()].filter((p) => dirname(p) === dir).map((p) => p.slice(dir.length + 1));
      if (names === undefined && unsaved.length === 0) return undefined;
      return [...new Set([...(names ?? []), ...unsaved])].sort();
    },
    isDir,
  };
}

/** Directories from the workspace folder holding `path` down to the file's own directory, outermost first. */
function enclosingDirs(path: string, folders: readonly string[]): string[] {
  const own = dirname(path);
  const folder = folders
    .filter((f) => own === f || own.startsWith(f.endsWith(sep) ? f : f + sep))
    .sort((a, b) => b.length - a.length)[0];
  if (folder === undefined) return [own];
  const dirs: string[] = [];
  for (let d = own; ; d = dirname(d)) {
    dirs.unshift(d);
    if (d === folder || dirname(d) === d) break;
  }
  return dirs;
}

/** Whether `dir` has an entry file the loader would start from. */
function hasEntry(dir: string, host: LoadHost): boolean {
  const names = host.list(dir) ?? [];
  return names.includes("main.route") || names.filter((n) => n.endsWith(".route") && !host.isDir(join(dir, n))).length === 1;
}

/** The loader paths of the policy `path` belongs to: one directory, or the file itself. */
export function policyOf(path: string, folders: readonly string[], host: LoadHost): string[] {
  for (const dir of enclosingDirs(path, folders)) {
    if (!hasEntry(dir, host)) continue;
    const loaded = loadPolicy([dir], host, parse);
    if (loaded.sources.some((s) => s.path === path)) return [dir];
  }
  return [path];
}
