/**
 * The package's version, for `aigw --version`: read from the package.json
 * above this file (runtime/package-root.ts), so it is the same from the
 * sources (cli/) and from the build (dist/cli/).
 */
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { packageRoot } from "../runtime/package-root.js";

export function packageVersion(from: string = dirname(fileURLToPath(import.meta.url))): string {
  return packageRoot(from)?.version ?? "unknown";
}
