/**
 * The package's version, for `aigw --version`: read from the package.json
 * above this file, found by walking up, so it is the same from the sources
 * (cli/) and from the build (dist/cli/).
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export function packageVersion(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: unknown; version?: unknown };
      if (pkg.name === "aigw" && typeof pkg.version === "string") return pkg.version;
    } catch {
      // no package.json here, or not ours: keep looking
    }
    if (dirname(dir) === dir) return "unknown";
  }
}
