/**
 * How a test starts the `aigw` command in a child process. `npm test` builds
 * dist/ (tsc) before vitest runs, and a child on the built JavaScript starts
 * in about a second, where transpiling every source through the TypeScript
 * hooks costs several seconds of CPU per child: with dozens of `aigw serve`
 * children that was most of the suite's time. When a source is newer than
 * the build (a test run without `npm run build` after an edit), the child
 * runs the sources through the hooks instead, so it never tests stale code.
 */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const REGISTER = join(ROOT, "test/state/child/register.mjs");
const BUILT = join(ROOT, "dist/cli/bin.js");
const SOURCE = join(ROOT, "cli/bin.ts");
const SOURCE_DIRS = ["cli", "lang", "compiler", "runtime", "lsp"];

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith(".ts") || entry.name.endsWith(".json")) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

let cached: readonly string[] | undefined;

/** Node arguments that run `aigw` (append the command and its arguments). */
export function aigwArgs(): readonly string[] {
  if (cached) return cached;
  let built = 0;
  try {
    built = statSync(BUILT).mtimeMs;
  } catch {
    built = 0;
  }
  const newest = Math.max(...SOURCE_DIRS.map((d) => newestSource(join(ROOT, d))));
  cached = built > newest ? [BUILT] : ["--import", REGISTER, SOURCE];
  return cached;
}
