/**
 * `npm test`'s pretest step (scripts/test-setup.mjs): with redis-server
 * present it passes quietly; with redis-server absent and no package
 * manager it can use, it stops with the command to run. (Installing is
 * what it does in between; a test cannot uninstall the machine's Redis.)
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const SCRIPT = join(ROOT, "scripts/test-setup.mjs");

// A PATH holding only `node`: no redis-server, no apt-get, no sudo, no brew.
const bare = mkdtempSync(join(tmpdir(), "aigw-setup-"));
symlinkSync(process.execPath, join(bare, "node"));
afterAll(() => rmSync(bare, { recursive: true, force: true }));

function setup(env: Record<string, string>): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [SCRIPT], { env: { PATH: bare, ...env }, encoding: "utf8" });
  return { status: r.status, stderr: r.stderr };
}

/** The redis-server the suite itself uses (the pretest step made sure of it). */
function installedRedis(): string {
  const r = spawnSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" });
  return r.stdout.trim();
}

describe("npm test's pretest step", () => {
  it("is what `npm test` runs first", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
    expect(pkg.scripts["pretest"]).toBe("node scripts/test-setup.mjs");
  });

  it("stops with the command to run when redis-server is missing and cannot be installed", () => {
    const r = setup({});
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("redis-server is not installed");
    expect(r.stderr).toContain("sudo apt-get install redis-server");
    expect(r.stderr).toContain("REDIS_SERVER");
  });

  it("passes quietly when REDIS_SERVER names a redis-server", () => {
    const redis = installedRedis();
    expect(redis).not.toBe("");
    const r = setup({ REDIS_SERVER: redis });
    expect(r).toEqual({ status: 0, stderr: "" });
  });

  it("fails when REDIS_SERVER names a file that does not exist", () => {
    const r = setup({ REDIS_SERVER: join(bare, "no-such-redis") });
    expect(r.status).toBe(1);
  });
});
