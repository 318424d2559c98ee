/**
 * Where the glibc-compat copy of a binding goes (runtime/server/uws-compat-copy.ts):
 * next to the package in node_modules/.cache, reused only when its bytes are
 * exactly the patch's, rewritten when they are not, and never in a directory
 * someone else could write to.
 */
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compatCacheDirs, glibcCompatCopy } from "../../runtime/server/uws-compat-copy.js";
import { patchC23Glibc } from "../../runtime/server/uws-glibc-compat.js";

const require = createRequire(import.meta.url);
const source = join(dirname(require.resolve("uWebSockets.js")), "uws_linux_x64_137.node");
const uid = process.getuid?.() ?? 0;
const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

/** A project with the binding at node_modules/uWebSockets.js/. */
function project(): { root: string; binary: string } {
  const root = mkdtempSync(join(tmpdir(), "aigw-uws-copy-"));
  roots.push(root);
  mkdirSync(join(root, "node_modules", "uWebSockets.js"), { recursive: true });
  const binary = join(root, "node_modules", "uWebSockets.js", "uws_linux_x64_137.node");
  copyFileSync(source, binary);
  return { root, binary };
}

const expected = (): Uint8Array => {
  const r = patchC23Glibc(readFileSync(source));
  if (!r.ok) throw new Error(r.reason);
  return r.bytes;
};

describe("the glibc-compat copy", () => {
  it("goes to node_modules/.cache/aigw-uws first, then a per-user temp directory", () => {
    const { root, binary } = project();
    expect(compatCacheDirs(binary, 1234)).toEqual([join(root, "node_modules", ".cache", "aigw-uws"), join(tmpdir(), "aigw-uws-1234")]);
  });

  it("is written once with the patched bytes in a private directory, then reused", () => {
    const { root, binary } = project();
    const first = glibcCompatCopy(binary, uid);
    if (!first.ok) throw new Error(first.reason);
    expect(dirname(first.path)).toBe(join(root, "node_modules", ".cache", "aigw-uws"));
    expect(first.path).toMatch(/uws_linux_x64_137\.glibc-compat-[0-9a-f]{16}\.node$/);
    expect(readFileSync(first.path).equals(Buffer.from(expected()))).toBe(true);
    expect(statSync(dirname(first.path)).mode & 0o777).toBe(0o700);
    const written = statSync(first.path).ino;
    const second = glibcCompatCopy(binary, uid);
    expect(second).toMatchObject({ ok: true, path: first.path });
    expect(statSync(first.path).ino).toBe(written); // not written again
  });

  it("is rewritten when the cached file's bytes are not the patch's", () => {
    const { binary } = project();
    const first = glibcCompatCopy(binary, uid);
    if (!first.ok) throw new Error(first.reason);
    writeFileSync(first.path, "not a library");
    const again = glibcCompatCopy(binary, uid);
    expect(again).toMatchObject({ ok: true, path: first.path });
    expect(readFileSync(first.path).equals(Buffer.from(expected()))).toBe(true);
  });

  it("skips a directory others can write to", () => {
    const { root, binary } = project();
    const shared = join(root, "shared");
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    const own = join(root, "own");
    const copy = glibcCompatCopy(binary, uid, [shared, own]);
    if (!copy.ok) throw new Error(copy.reason);
    expect(dirname(copy.path)).toBe(own);
    expect(glibcCompatCopy(binary, uid, [shared])).toEqual({ ok: false, reason: `${shared} is not a private writable directory` });
  });

  it("is not made of a binary the patch refuses", () => {
    const { root } = project();
    const other = join(root, "node_modules", "uWebSockets.js", "uws_linux_arm64_137.node");
    copyFileSync(join(dirname(source), "uws_linux_arm64_137.node"), other);
    expect(glibcCompatCopy(other, uid)).toEqual({ ok: false, reason: "glibc-compat patch refused: built for machine 183, not x86-64" });
  });
});
