/**
 * Where a relative `state sqlite("…")` path is resolved: the policy
 * directory. Its own file because `aigw serve` needs it and must not load
 * the compiler (policy.ts does).
 */
import { statSync } from "node:fs";
import { dirname, resolve } from "node:path";

/** The first path given, or its directory when it is a file; the working directory when it does not exist. */
export function policyDir(path: string): string {
  const abs = resolve(path);
  try {
    return statSync(abs).isDirectory() ? abs : dirname(abs);
  } catch {
    return process.cwd();
  }
}
