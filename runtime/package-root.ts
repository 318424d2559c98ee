/**
 * The aigw package's own directory, found by walking up from a file to the
 * package.json named `aigw`: the same from the sources (runtime/, cli/) and
 * from the build (dist/runtime/, dist/cli/), so files shipped beside the
 * code (the dashboard's `ui/`, the version) are found either way.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The directory and parsed package.json of aigw above `from`; undefined when there is none. */
export function packageRoot(from: string = dirname(fileURLToPath(import.meta.url))): { dir: string; version: string } | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: unknown; version?: unknown };
      if (pkg.name === "aigw" && typeof pkg.version === "string") return { dir, version: pkg.version };
    } catch {
      // no package.json here, or not ours: keep looking
    }
    if (dirname(dir) === dir) return undefined;
  }
}
