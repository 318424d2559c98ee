/**
 * The policy loader's view of the working tree, for `aigw serve PATHS` and
 * `--watch`: files are read synchronously (a policy is a few small files),
 * and every path the loader asked for is remembered, found or not, so the
 * watcher can watch the directories a policy lives in, including the one a
 * missing import will appear in.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import type { LoadHost } from "../../../compiler/load.js";

/** A `LoadHost` over the file system that records what was asked for. */
export interface RecordingHost extends LoadHost {
  /** Every path passed to `read`, in order, whether it existed or not. */
  readonly tried: string[];
}

/** Reads relative paths against the process's working directory, as the CLI does. */
export function fsHost(): RecordingHost {
  const tried: string[] = [];
  return {
    tried,
    read(path) {
      tried.push(path);
      try {
        return readFileSync(path, "utf8");
      } catch {
        return undefined;
      }
    },
    list(dir) {
      try {
        return readdirSync(dir).sort();
      } catch {
        return undefined;
      }
    },
    isDir(path) {
      try {
        return statSync(path).isDirectory();
      } catch {
        return false;
      }
    },
  };
}
