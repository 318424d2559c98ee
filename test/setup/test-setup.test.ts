/**
 * `npm test`'s pretest step (scripts/test-setup.mjs): with redis-server,
 * nginx and chromium present it passes quietly; with any absent and no
 * package manager it can use, it stops with the command to run. (Installing is
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

/** The path of a command the suite itself uses (the pretest step made sure of it). */
function installed(command: string): string {
  const r = spawnSync("sh", ["-c", `command -v ${command}`], { encoding: "utf8" });
  return r.stdout.trim();
}

// A PATH holding `node` and nginx, nothing else.
const withNginx = mkdtempSync(join(tmpdir(), "aigw-setup-nginx-"));
symlinkSync(process.execPath, join(withNginx, "node"));
symlinkSync(installed("nginx"), join(withNginx, "nginx"));
afterAll(() => rmSync(withNginx, { recursive: true, force: true }));

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

  it("passes quietly when REDIS_SERVER names a redis-server, nginx is on the PATH and CHROMIUM names a chromium", () => {
    const redis = installed("redis-server");
    expect(redis).not.toBe("");
    const r = setup({ REDIS_SERVER: redis, PATH: withNginx, CHROMIUM: installed("chromium") });
    expect(r).toEqual({ status: 0, stderr: "" });
  });

  it("stops with the command to run when chromium is missing and cannot be installed", () => {
    const r = setup({ REDIS_SERVER: installed("redis-server"), PATH: withNginx });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("chromium is not installed");
    expect(r.stderr).toContain("sudo apt-get install chromium");
  });

  it("stops with the command to run when nginx is missing and cannot be installed", () => {
    const r = setup({ REDIS_SERVER: installed("redis-server") });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("nginx is not installed");
    expect(r.stderr).toContain("sudo apt-get install nginx");
  });

  it("fails when REDIS_SERVER names a file that does not exist", () => {
    const r = setup({ REDIS_SERVER: join(bare, "no-such-redis") });
    expect(r.status).toBe(1);
  });
});
