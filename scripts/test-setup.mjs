#!/usr/bin/env node
/**
 * `npm test`'s `pretest` step: provisions what the test suite needs beyond
 * npm packages, so a fresh clone's `npm install && npm test` passes.
 *
 * Today that is `redis-server` (the Redis state and shared-budget tests
 * start real servers of their own, test/support/redis.ts), `nginx` (the
 * bench's proxy-limit anchor, test/bench/nginx.test.ts) and `chromium` (the
 * dashboard's browser test, driven by playwright-core). Found on the PATH
 * (or at `$REDIS_SERVER`), nothing happens; otherwise each is installed
 * with the system's package manager when that can be done without a
 * password (apt-get as root or through `sudo -n`, Homebrew as the user),
 * and if it cannot, the step stops with the one command to run.
 * Plain JavaScript: it runs before the TypeScript is built.
 */
import { spawnSync } from "node:child_process";

/** What the tests need: the command, how to find it, its package names. */
const NEEDS = [
  { name: "redis-server", binary: () => process.env.REDIS_SERVER ?? "redis-server", probe: ["--version"], apt: "redis-server", brew: "redis", why: "the Redis state and shared-budget tests need a real one", env: "REDIS_SERVER" },
  { name: "nginx", binary: () => "nginx", probe: ["-v"], apt: "nginx", brew: "nginx", why: "the bench's proxy-limit anchor is tested against a real one" },
  {
    name: "chromium",
    binary: () => process.env.CHROMIUM ?? "chromium",
    probe: ["--version"],
    apt: "chromium",
    brew: "chromium",
    why: "the /ui dashboard is tested in a real headless browser (test/usage/dashboard.test.ts)",
    env: "CHROMIUM",
  },
];

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

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
let aptUpdated = false;

/** The ways to install `need` here without asking for a password, in order of preference. */
function installers(need) {
  const out = [];
  if (runs("apt-get", ["--version"]) && (isRoot || runs("sudo", ["-n", "true"]))) {
    const aptGet = (args) => (isRoot ? run("apt-get", args, { ...process.env, DEBIAN_FRONTEND: "noninteractive" }) : run("sudo", ["-n", "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", ...args]));
    out.push(() => (aptUpdated || (aptUpdated = aptGet(["update", "-qq"]))) && aptGet(["install", "-y", "-qq", "--no-install-recommends", need.apt]));
  }
  if (runs("brew", ["--version"])) out.push(() => run("brew", ["install", need.brew]));
  return out;
}

for (const need of NEEDS) {
  const have = () => runs(need.binary(), need.probe);
  if (have()) continue;
  process.stderr.write(`test setup: ${need.name} is not installed; ${need.why}\n`);
  for (const install of installers(need)) {
    if (install() && have()) break;
  }
  if (!have()) {
    process.stderr.write(
      `test setup: could not install ${need.name} without a password. Install it, then run \`npm test\` again:\n` +
        `  sudo apt-get install ${need.apt}     (Debian, Ubuntu)\n` +
        `  brew install ${need.brew}            (macOS)\n` +
        (need.env ? `or set ${need.env} to the path of a ${need.name} binary.\n` : ""),
    );
    process.exit(1);
  }
  process.stderr.write(`test setup: ${need.name} installed\n`);
}
