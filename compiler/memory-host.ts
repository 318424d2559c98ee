/**
 * A `LoadHost` over files held in memory: what tests, the editor and
 * `compileSources` load policies from. Directories exist implicitly as the
 * prefixes of the file paths.
 */
import type { LoadHost } from "./load.js";
import { normalize } from "./posix-path.js";

/** A host whose file system is exactly `files` (path → text). */
export function memoryHost(files: Readonly<Record<string, string>> | readonly { path: string; text: string }[]): LoadHost {
  const texts = new Map<string, string>();
  const entries: [string, string][] = Array.isArray(files)
    ? (files as readonly { path: string; text: string }[]).map((f) => [f.path, f.text])
    : Object.entries(files as Record<string, string>);
  for (const [path, text] of entries) texts.set(normalize(path), text);

  const children = new Map<string, Set<string>>();
  for (const path of texts.keys()) {
    const absolute = path.startsWith("/");
    let dir = absolute ? "/" : ".";
    for (const part of (absolute ? path.slice(1) : path).split("/")) {
      const set = children.get(dir) ?? new Set<string>();
      set.add(part);
      children.set(dir, set);
      dir = dir === "." ? part : dir === "/" ? `/${part}` : `${dir}/${part}`;
    }
  }
  return {
    read: (path) => texts.get(normalize(path)),
    list: (dir) => {
      const set = children.get(normalize(dir));
      return set ? [...set] : undefined;
    },
    isDir: (path) => children.has(normalize(path)),
  };
}
