/**
 * `aigw fmt [--check] PATHS`: rewrites `.route` files in the canonical
 * layout, keeping comments. With --check nothing is written: it names the
 * files that would change and exits 1 if there are any. A file with syntax
 * errors is never rewritten.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { formatText } from "../../lang/index.js";
import { parseArgs, UsageError } from "../args.js";
import type { Io } from "../io.js";
import { renderHuman } from "../render.js";

export async function fmtCommand(argv: readonly string[], io: Io): Promise<number> {
  const args = parseArgs(argv, { switches: ["--check"] });
  const check = args.switches.has("--check");
  const paths = args.positional.length ? args.positional : ["."];
  const files = paths.flatMap((p) => routeFiles(p));
  let failed = false;
  let changed = 0;
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    const result = formatText(text, file);
    if (result.text === undefined) {
      failed = true;
      for (const d of result.diagnostics) io.err(renderHuman(d, new Map([[file, text]]), io.isTty));
      continue;
    }
    if (result.text === text) continue;
    changed++;
    if (check) io.out(`${file}\n`);
    else {
      writeFileSync(file, result.text);
      io.out(`formatted ${file}\n`);
    }
  }
  if (check && changed > 0) io.err(`${changed} file${changed === 1 ? "" : "s"} would be reformatted\n`);
  return failed || (check && changed > 0) ? 1 : 0;
}

/** The `.route` files at `path`: the file itself, or every one below a directory, sorted. */
function routeFiles(path: string): string[] {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    throw new UsageError(`no such file or directory: ${path}`);
  }
  if (!stat.isDirectory()) return [path];
  const out: string[] = [];
  for (const name of readdirSync(path).sort()) {
    if (name === "node_modules" || name.startsWith(".")) continue;
    const full = join(path, name);
    if (statSync(full).isDirectory()) out.push(...routeFiles(full));
    else if (name.endsWith(".route")) out.push(full);
  }
  return out;
}
