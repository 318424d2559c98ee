#!/usr/bin/env node
/**
 * `npm test`'s `pretest` step: provisions what the test suite needs beyond
 * npm packages, so a fresh clone's `npm install && npm test` passes.
 *
 * Today that is `redis-server` (the Redis state and shared-budget tests
 * start real servers of their own, test/support/redis.ts). Found on the
 * PATH or at `$REDIS_SERVER`, nothing happens; otherwise it is installed
 * with the system's package manager when that can be done without a
 * password (apt-get as root or through `sudo -n`, Homebrew as the user),
 * and if it cannot, the step stops with the one command to run.
 * Plain JavaScript: it runs before the TypeScript is built.
 */
import { spawnSync } from "node:child_process";

/** True when `command args` runs and exits 0. */
function runs(command, args) {
  const r = spawnSync(command, args, { stdio: "ignore" });
  return r.error === undefined && r.status === 0;
}

/** Runs a command with its output shown; true when it exits 0. */
function run(command, args, env = process.env) {
  process.stderr.write(`test setup: ${command} ${args.join(" ")}\n`);
  const r = spawnSync(command, args, { stdio: ["ignore", "inherit", "inherit"], env });
  return r.error === undefined && r.status === 0;
}

const redisBinary = () => process.env.REDIS_SERVER ?? "redis-server";
const haveRedis = () => runs(redisBinary(), ["--version"]);

/** The ways to install redis-server here without asking for a password, in order of preference. */
function installers() {
  const out = [];
  if (runs("apt-get", ["--version"])) {
    const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
    if (isRoot || runs("sudo", ["-n", "true"])) {
      // sudo resets the environment, so the non-interactive flag goes through `env`.
      const aptGet = (args) => (isRoot ? run("apt-get", args, { ...process.env, DEBIAN_FRONTEND: "noninteractive" }) : run("sudo", ["-n", "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", ...args]));
      out.push(() => aptGet(["update", "-qq"]) && aptGet(["install", "-y", "-qq", "--no-install-recommends", "redis-server"]));
    }
  }
  if (runs("brew", ["--version"])) out.push(() => run("brew", ["install", "redis"]));
  return out;
}

if (!haveRedis()) {
  process.stderr.write("test setup: redis-server is not installed; the Redis state and shared-budget tests need a real one\n");
  for (const install of installers()) {
    if (install() && haveRedis()) break;
  }
  if (!haveRedis()) {
    process.stderr.write(
      "test setup: could not install redis-server without a password. Install it, then run `npm test` again:\n" +
        "  sudo apt-get install redis-server     (Debian, Ubuntu)\n" +
        "  brew install redis                    (macOS)\n" +
        "or set REDIS_SERVER to the path of a redis-server binary.\n",
    );
    process.exit(1);
  }
  process.stderr.write("test setup: redis-server installed\n");
}
