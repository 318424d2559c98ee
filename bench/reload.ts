/**
 * bench/reload: how long a policy change takes to reach requests, for a
 * 1,000-route policy (issue 6, "Bench"). In one process: a gateway with a
 * `Reloader`, exactly as `aigw serve` wires it, and a client that sends a
 * request every millisecond and notes the first response carrying the new
 * `x-aigw-policy`.
 *
 * - `--watch`: time from the file write to the first request served by the
 *   new graph (the debounce, the compile, the tests, the swap included);
 * - `--git`: time from the ref update (`git update-ref`, as a commit, merge
 *   or pull ends) to the first request served by the new graph;
 * - the baseline of the same run: compiling and testing the same policy
 *   in-process, nothing else (the floor any reload pays);
 * - the longest event-loop stall during the reloads, with the compile on
 *   the worker thread and in-process: what requests in flight feel.
 *
 * Targets: under 100 ms with --watch, under 300 ms with --git (medians).
 * Run: `npm run build && node dist/bench/reload.js [--rounds N] [--warmup N]
 * [--watch-only] [--json]`. The machine's load average is printed: on a
 * shared machine, compare runs made back to back. `npm run bench` runs it
 * with `--watch-only --json` (the worker verifier `aigw serve --watch`
 * uses), pinned to the gateway's core.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { Pool } from "undici";
import { verifyPolicy } from "../runtime/policy/verify-policy.js";
import { startGateway } from "../runtime/server/app.js";
import type { Logger } from "../runtime/observe/log.js";
import { defaultVerifier, fsSource, gitSource, inlineVerifier, Reloader, type PolicySource, type Verifier } from "../runtime/server/reload/index.js";
import { fsHost } from "../runtime/server/reload/fs-host.js";
import { runVerify } from "../runtime/server/reload/verify-run.js";
import { benchPolicy } from "./compile-policy.js";

const ROUTES = 1_000;
const argv = process.argv.slice(2);
const numberArg = (name: string): number | undefined => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) || undefined : undefined);
/** Compiles each verifier runs before it is measured. */
const WARMUP = numberArg("--warmup") ?? 6;
const rounds = numberArg("--rounds") ?? 10;
const json = argv.includes("--json");
const watchOnly = argv.includes("--watch-only");

/** The compile bench's 1,000-route policy, open to callers, plus a route to the mock provider whose target alternates. */
function policyText(variant: number): string {
  const base = benchPolicy(ROUTES).replace('gateway { listen ":8787" state memory }', 'gateway { listen ":8787" state memory auth none }');
  return `${base}model bench-a = demo/"bench-a"\nmodel bench-b = demo/"bench-b"\nroute bench { when model == "bench" to bench-${variant % 2 === 0 ? "a" : "b"} }\n`;
}

const GIT_ENV = { ...process.env, GIT_AUTHOR_NAME: "bench", GIT_AUTHOR_EMAIL: "bench@aigw.invalid", GIT_COMMITTER_NAME: "bench", GIT_COMMITTER_EMAIL: "bench@aigw.invalid" };
const git = (dir: string, ...args: string[]): string => execFileSync("git", args, { cwd: dir, env: GIT_ENV, encoding: "utf8" }).trim();

interface Round {
  /** Change made → first response with the new version. */
  liveMs: number;
  /** The reloader's own time: trigger → swap. */
  reloadMs: number;
  /** Reading the source (git: resolving the ref, listing the tree, reading changed blobs). */
  loadMs: number;
  /** Compile and tests inside the verifier. */
  compileMs: number;
  /** `setGraph` (schema check and prepare) on the request thread. */
  swapMs: number;
}

interface ModeResult {
  rounds: Round[];
  /** Longest event-loop stall while reloading. */
  maxStallMs: number;
  verifier: string;
  /** The verifier's compile with nothing else running (its last warm-up). */
  idleCompileMs: number;
}

/** Measures the longest gap between 1 ms timer ticks until `stop()`: how long the event loop was blocked. */
function stallProbe(): { stop(): number } {
  let last = performance.now();
  let worst = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - 1);
    last = now;
  }, 1);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(worst, performance.now() - last - 1);
    },
  };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const max = (xs: number[]): number => Math.max(...xs);

/**
 * Serves `source` with a reloader following it, then `rounds` times: makes
 * a change with `change(i)` and waits for the first response with a new
 * version.
 */
async function measure(source: PolicySource, verifier: Verifier, change: (i: number) => void): Promise<ModeResult> {
  const reloads: { ms: number; loadMs: number; compileMs: number; swapMs: number }[] = [];
  const log: Logger = {
    info: (msg, f) => {
      if (msg === "policy reloaded") reloads.push({ ms: Number(f?.["ms"]), loadMs: Number(f?.["loadMs"]), compileMs: Number(f?.["compileMs"]), swapMs: Number(f?.["swapMs"]) });
    },
    warn: () => undefined,
    error: (msg, f) => console.error(msg, f),
  };
  const reloader = new Reloader({ source, env: {}, verifier });
  const first = await reloader.check();
  // As warm as a gateway that has reloaded a few times: V8 needs about five compiles to optimise the
  // compiler (the first compile in a fresh thread takes about 1 s, the next few 100-200 ms).
  const idle: number[] = [];
  for (let i = 0; i < WARMUP && first.snapshot; i++) idle.push((await verifier.verify(first.snapshot.input, {})).ms);
  if (!first.report?.ok || !first.report.graph) throw new Error(`the bench policy does not pass: ${JSON.stringify(first.report?.diagnostics.slice(0, 3))}`);
  const gw = await startGateway({ graph: first.report.graph, host: "127.0.0.1", port: 0, world: { env: {} }, log });
  await reloader.start(gw, first, { log, watch: true });
  const pool = new Pool(`http://127.0.0.1:${gw.port}`, { connections: 1 });
  const body = JSON.stringify({ model: "bench", messages: [{ role: "user", content: "hi" }] });
  const version = async (): Promise<string> => {
    const res = await pool.request({ path: "/v1/chat/completions", method: "POST", headers: { "content-type": "application/json" }, body });
    await res.body.dump();
    if (res.statusCode !== 200) throw new Error(`request failed: ${res.statusCode}`);
    return String(res.headers["x-aigw-policy"]);
  };
  const out: Round[] = [];
  let maxStall = 0;
  try {
    for (let i = 1; i <= rounds; i++) {
      const before = await version();
      const seen = reloads.length;
      const stall = stallProbe();
      const t0 = performance.now();
      change(i);
      // One request every millisecond: fine enough to time the swap, light enough not to compete with the compile.
      let live = 0;
      while (live === 0) {
        if ((await version()) !== before) live = performance.now() - t0;
        else if (performance.now() - t0 > 10_000) throw new Error("the new policy never went live");
        else await new Promise((r) => setTimeout(r, 1));
      }
      maxStall = Math.max(maxStall, stall.stop());
      while (reloads.length === seen) await new Promise((r) => setTimeout(r, 1));
      const last = reloads[reloads.length - 1]!;
      out.push({ liveMs: live, reloadMs: last.ms, loadMs: last.loadMs, compileMs: last.compileMs, swapMs: last.swapMs });
      await new Promise((r) => setTimeout(r, 300));
    }
  } finally {
    await pool.close();
    await reloader.close();
    await gw.close(500);
  }
  return { rounds: out, maxStallMs: maxStall, verifier: verifier.kind, idleCompileMs: idle[idle.length - 1] ?? NaN };
}

function line(name: string, r: ModeResult, target: number | undefined): string {
  const live = r.rounds.map((x) => x.liveMs);
  const verdict = target === undefined ? "" : `  ${median(live) < target ? "within" : "OVER"} the ${target} ms target`;
  return (
    `${name.padEnd(22)} ${median(live).toFixed(0).padStart(6)} ${max(live).toFixed(0).padStart(6)}` +
    `   ${median(r.rounds.map((x) => x.reloadMs)).toFixed(0).padStart(9)}   ${median(r.rounds.map((x) => x.loadMs)).toFixed(0).padStart(7)}   ${median(r.rounds.map((x) => x.compileMs)).toFixed(0).padStart(10)}` +
    `   ${median(r.rounds.map((x) => x.swapMs)).toFixed(0).padStart(7)}   ${r.maxStallMs.toFixed(0).padStart(9)}   ${r.idleCompileMs.toFixed(0).padStart(12)}${verdict}`
  );
}

/** A mode's medians, as `--json` prints them. */
function summary(name: string, r: ModeResult, targetMs: number): Record<string, unknown> {
  const live = r.rounds.map((x) => x.liveMs);
  return {
    mode: name,
    verifier: r.verifier,
    liveMsMedian: median(live),
    liveMsMax: max(live),
    reloadMsMedian: median(r.rounds.map((x) => x.reloadMs)),
    compileMsMedian: median(r.rounds.map((x) => x.compileMs)),
    swapMsMedian: median(r.rounds.map((x) => x.swapMs)),
    maxStallMs: r.maxStallMs,
    idleCompileMs: r.idleCompileMs,
    targetMs,
  };
}

async function main(): Promise<void> {
  const loadBefore = loadavg();
  if (!json) console.log(`load average before: ${loadBefore.map((l) => l.toFixed(2)).join(" ")}`);
  const root = mkdtempSync(join(tmpdir(), "aigw-bench-reload-"));
  try {
    // Baseline: compile + tests of the same policy, in-process, nothing else.
    const dir = join(root, "watch");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "main.route"), policyText(0));
    const compile: number[] = [];
    for (let i = 0; i < rounds; i++) {
      writeFileSync(join(dir, "main.route"), policyText(i));
      const t0 = performance.now();
      const v = await verifyPolicy([dir], fsHost(), { env: {} });
      compile.push(performance.now() - t0);
      if (!v.ok) throw new Error("the bench policy does not pass");
    }
    const report = JSON.stringify(await runVerify({ kind: "fs", paths: [dir] }, {}));
    const parse: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const t0 = performance.now();
      JSON.parse(report);
      parse.push(performance.now() - t0);
    }
    writeFileSync(join(dir, "main.route"), policyText(0));
    const write = (i: number): void => writeFileSync(join(dir, "main.route"), policyText(i));
    const watchWorker = await measure(fsSource([dir]), defaultVerifier(), write);
    if (watchOnly) {
      const out = { routes: ROUTES, rounds, baselineCompileMsMedian: median(compile), modes: [summary("--watch", watchWorker, 100)] };
      if (json) console.log(JSON.stringify(out, null, 2));
      else {
        console.log(`\n${ROUTES}-route policy, ${rounds} rounds (ms); baseline compile + tests in-process: median ${median(compile).toFixed(0)}`);
        console.log("mode                   live p50    max   reload p50   load p50   compile p50   swap p50   max stall   idle compile");
        console.log(line(`--watch (${watchWorker.verifier})`, watchWorker, 100));
      }
      return;
    }
    write(0);
    const watchInline = await measure(fsSource([dir]), inlineVerifier(), write);

    // --git: commits prepared on a side branch; the measured change is moving `main` to the next one.
    const repo = join(root, "repo");
    mkdirSync(repo, { recursive: true });
    git(repo, "init", "-q", "-b", "main");
    const commits: string[] = [];
    for (let i = 0; i <= rounds; i++) {
      writeFileSync(join(repo, "main.route"), policyText(i));
      git(repo, "add", "-A");
      git(repo, "commit", "-q", "-m", `policy ${i}`);
      commits.push(git(repo, "rev-parse", "HEAD"));
    }
    git(repo, "update-ref", "refs/heads/main", commits[0]!);
    const gitWorker = await measure(await gitSource([repo], "main"), defaultVerifier(), (i) => git(repo, "update-ref", "refs/heads/main", commits[i]!));

    if (json) {
      const modes = [summary("--watch", watchWorker, 100), summary("--watch", watchInline, 100), summary("--git", gitWorker, 300)];
      console.log(JSON.stringify({ routes: ROUTES, rounds, baselineCompileMsMedian: median(compile), modes }, null, 2));
      return;
    }
    console.log(`\n${ROUTES}-route policy, ${rounds} rounds each (ms)`);
    console.log(`baseline: compile + tests in-process, nothing else: median ${median(compile).toFixed(0)}, min ${Math.min(...compile).toFixed(0)}`);
    console.log(`worker hand-off: JSON.parse of the ${(report.length / 1024).toFixed(0)} KB report on the request thread: median ${median(parse).toFixed(1)}\n`);
    console.log("mode                   live p50    max   reload p50   load p50   compile p50   swap p50   max stall   idle compile");
    console.log(line(`--watch (${watchWorker.verifier})`, watchWorker, 100));
    console.log(line(`--watch (${watchInline.verifier})`, watchInline, 100));
    console.log(line(`--git main (${gitWorker.verifier})`, gitWorker, 300));
    console.log("\nlive: change → first response from the new graph; reload: trigger → swap, of which load: reading the");
    console.log("source and compile: compile + tests in the verifier (the rest is the hand-off);");
    console.log("swap: setGraph on the request thread; max stall: longest event-loop delay while reloading (what requests in flight wait);");
    console.log("idle compile: the verifier's compile + tests with no requests running");
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  if (!json) console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
}

await main();
