/**
 * Writes the glibc-compat copy of a uWebSockets.js binding (see
 * uws-glibc-compat.ts for what it changes and why) to a cache directory, so
 * that the dynamic loader can open it: the package's own
 * `node_modules/.cache/aigw-uws/` when it is writable, a per-user directory
 * under the system temp directory otherwise.
 *
 * The copy is never trusted as found: the patch is recomputed from the
 * package's binary at every start (a few milliseconds) and a cached file is
 * used only when its bytes are the same; otherwise it is written afresh
 * (to a temporary name, then renamed, so concurrent starts never see half a
 * file). A directory that another user owns or can write to is skipped, so
 * nobody else can plant a library there for this process to load.
 */
import { createHash } from "node:crypto";
import { lstatSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, sep } from "node:path";
import { patchC23Glibc, type GlibcCompatEdit } from "./uws-glibc-compat.js";

export type CompatCopy = { readonly ok: true; readonly path: string; readonly edits: readonly GlibcCompatEdit[] } | { readonly ok: false; readonly reason: string };

/** Where a copy of `binary` may go, best first: next to the package, then the user's temp directory. */
export function compatCacheDirs(binary: string, uid: number): string[] {
  const dirs: string[] = [];
  const parts = dirname(binary).split(sep);
  const nm = parts.lastIndexOf("node_modules");
  if (nm > 0) dirs.push(join(parts.slice(0, nm + 1).join(sep) || sep, ".cache", "aigw-uws"));
  dirs.push(join(tmpdir(), `aigw-uws-${uid}`));
  return dirs;
}

/** Creates `dir` (0700) if needed; true when it is a directory only this user can write to. */
function privateDir(dir: string, uid: number): boolean {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = lstatSync(dir);
    return st.isDirectory() && st.uid === uid && (st.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

/** The same bytes as `want`, or false (missing or different). */
function sameFile(path: string, want: Uint8Array): boolean {
  try {
    const st = lstatSync(path);
    return st.isFile() && st.size === want.byteLength && Buffer.from(want).equals(readFileSync(path));
  } catch {
    return false;
  }
}

let writes = 0;

/**
 * The path of a glibc-compat copy of `binary`, written if needed, or why
 * there is none: the patch refused the file, or no cache directory could
 * take it. `uid` is this process's user id; `dirs` where the copy may go.
 */
export function glibcCompatCopy(binary: string, uid: number, dirs: readonly string[] = compatCacheDirs(binary, uid)): CompatCopy {
  let original: Buffer;
  try {
    original = readFileSync(binary);
  } catch (e) {
    return { ok: false, reason: `cannot read ${binary}: ${(e as Error).message}` };
  }
  const patched = patchC23Glibc(original);
  if (!patched.ok) return { ok: false, reason: `glibc-compat patch refused: ${patched.reason}` };
  // Named after the package's file and its hash, so an upgraded package gets a new copy.
  const name = `${basename(binary, ".node")}.glibc-compat-${createHash("sha256").update(original).digest("hex").slice(0, 16)}.node`;
  const failures: string[] = [];
  for (const dir of dirs) {
    if (!privateDir(dir, uid)) {
      failures.push(`${dir} is not a private writable directory`);
      continue;
    }
    const path = join(dir, name);
    if (sameFile(path, patched.bytes)) return { ok: true, path, edits: patched.edits };
    const temp = `${path}.${process.pid}.${++writes}.tmp`;
    try {
      writeFileSync(temp, patched.bytes, { mode: 0o644 });
      renameSync(temp, path);
      return { ok: true, path, edits: patched.edits };
    } catch (e) {
      rmSync(temp, { force: true });
      failures.push(`cannot write ${path}: ${(e as Error).message}`);
    }
  }
  return { ok: false, reason: failures.join("; ") };
}
