/**
 * Runs aigw commands in-process with captured output, and writes throwaway
 * policy directories for them.
 */
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { main } from "../../cli/aigw.js";
import type { Io } from "../../cli/io.js";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function aigw(argv: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const io: Io = { out: (t) => void (stdout += t), err: (t) => void (stderr += t), isTty: false, env, cwd: process.cwd() };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

/** Writes `files` (relative path → text) into a new temporary directory and returns it. */
export function policyDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "aigw-test-"));
  for (const [rel, text] of Object.entries(files)) {
    const full = join(dir, rel);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, text);
  }
  return dir;
}
