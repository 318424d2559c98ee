/**
 * bench/ab: this tree against another commit of aigw, paired, in one run:
 * `npm run bench:ab -- REF [--variant bare|memory|sqlite] [--pairs N]
 * [--seconds S] [--connections C]`.
 *
 * A redesign must not cost the hot path, and a before/after measured in two
 * runs on a shared machine says more about the machine than the code. Here
 * both builds run `aigw serve` at once on the gateway core with the same
 * bench policy (bench/proxy-features.ts: bare, or budget + limit + PII
 * guardrail on `state memory` or SQLite) to the same mock upstream, and wrk
 * drives them in alternating batches (ABBA order), so a change of machine
 * load hits both alike. Each batch yields the CPU the serving process spent
 * per answered request (every thread, from schedstat's nanoseconds); the
 * report is the median and quartiles of the per-pair ratios, and the totals.
 *
 * REF is checked out with `git archive` into bench/.ab/SHA and installed
 * (`npm ci`, which builds it) on first use.
 *
 * `--in-process` measures the pipeline alone (bench/pipeline-pair.ts): both
 * builds' chains and observers in one process, alternating batches of
 * requests, no HTTP edge and no wrk. On a busy machine its ratio is steady
 * to about ±1% where the wrk mode's spreads by ±30%; it needs REF to have
 * the composed pipeline. Each order of setting the two builds up is run
 * once and the ratio is their geometric mean (the build set up second runs
 * ~1% slower).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { hashKey } from "../runtime/pipeline/auth.js";
import { FatalProbeError, nextMessage, ProcessGroup, waitUntil, type Spawned } from "./children.js";
import { ensureWrk, runWrk } from "./load/wrk.js";
import { BENCH_KEY, benchPolicy, featurePrompt } from "./proxy-features.js";
import type { ChildMsg } from "./roles/protocol.js";
import { GATEWAY_CPU, LOAD_CPU } from "./scenarios/context.js";
import { percentile } from "./stats.js";
import { loadAverageNow, processCpuPreciseUs } from "./system.js";

const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const VARIANTS = ["bare", "memory", "sqlite"] as const;
type Variant = (typeof VARIANTS)[number];

interface Options {
  ref: string;
  variant: Variant;
  pairs: number;
  seconds: number;
  connections: number;
  inProcess: boolean;
  batches: number;
}

const USAGE = "usage: npm run bench:ab -- REF [--variant bare|memory|sqlite] [--pairs N] [--seconds S] [--connections C] [--in-process [--batches N]]";

function parseOptions(argv: readonly string[]): Options {
  const o: Options = { ref: "", variant: "memory", pairs: 10, seconds: 3, connections: 16, inProcess: false, batches: 200 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value\n${USAGE}`);
      return v;
    };
    const count = (): number => {
      const v = value();
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new Error(`${a}: expected a positive whole number, got \`${v}\``);
      return n;
    };
    if (a === "--variant") {
      const v = value();
      if (!(VARIANTS as readonly string[]).includes(v)) throw new Error(`--variant: one of ${VARIANTS.join(", ")}, got \`${v}\``);
      o.variant = v as Variant;
    } else if (a === "--pairs") o.pairs = count();
    else if (a === "--seconds") o.seconds = count();
    else if (a === "--connections") o.connections = count();
    else if (a === "--in-process") o.inProcess = true;
    else if (a === "--batches") o.batches = count();
    else if (a === "--help" || a === "-h") throw new Error(USAGE);
    else if (a.startsWith("--") || o.ref !== "") throw new Error(`unknown argument \`${a}\`\n${USAGE}`);
    else o.ref = a;
  }
  if (o.ref === "") throw new Error(`which commit to compare with?\n${USAGE}`);
  return o;
}

/** The built tree of `ref`: bench/.ab/SHA, exported and installed on first use. */
function baseTree(ref: string): { sha: string; dir: string } {
  const sha = execFileSync("git", ["rev-parse", "--verify", `${ref}^{commit}`], { cwd: ROOT, encoding: "utf8" }).trim();
  const dir = join(ROOT, "bench", ".ab", sha);
  if (existsSync(join(dir, "dist", "cli", "bin.js"))) return { sha, dir };
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  process.stderr.write(`bench:ab: exporting ${sha.slice(0, 10)} into ${dir} and installing it (npm ci; once)\n`);
  execFileSync("sh", ["-c", `git archive ${sha} | tar -x -C "${dir}"`], { cwd: ROOT, stdio: "inherit" });
  execFileSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: dir, stdio: ["ignore", "ignore", "inherit"] });
  return { sha, dir };
}

/** Starts `aigw serve` of the tree at `root` on the gateway core with the bench policy; resolves with its port. */
async function serve(group: ProcessGroup, name: string, root: string, policy: string): Promise<{ spawned: Spawned; port: number }> {
  const dir = group.tempDir(`aigw-ab-${name}-`);
  writeFileSync(join(dir, "bench.route"), policy.replaceAll("STATE_DIR", dir));
  const spawned = group.spawn(name, process.execPath, [join(root, "dist", "cli", "bin.js"), "serve", dir, "--host", "127.0.0.1", "--port", "0", "--no-access-log"], { cpu: GATEWAY_CPU });
  let port = 0;
  await waitUntil(
    async () => {
      if (spawned.proc.exitCode !== null) throw new FatalProbeError(`${name}: aigw serve exited: ${spawned.stderrTail()}`);
      const m = /listening on http:\/\/[^:\s]+:(\d+)/.exec(spawned.stderrTail());
      if (m) port = Number(m[1]);
      return port > 0;
    },
    30_000,
    `${name} to listen`,
  );
  return { spawned, port };
}

interface Side {
  name: string;
  spawned: Spawned;
  port: number;
  cpuUs: number;
  ok: number;
  errors: number;
}

/** The pipelines of both builds in one process, each order once (see the module comment). */
async function inProcess(o: Options, base: { sha: string; dir: string }): Promise<void> {
  if (o.variant === "sqlite") throw new Error("--in-process measures the memory and bare variants");
  const group = new ProcessGroup();
  try {
    const up = group.node("upstream", "upstream", [], { cpu: LOAD_CPU });
    const upstream = `http://127.0.0.1:${(await nextMessage<ChildMsg, "ready">(up, "ready")).port}`;
    const dir = group.tempDir("aigw-ab-pipeline-");
    writeFileSync(join(dir, "bench.route"), benchPolicy(upstream, hashKey(BENCH_KEY), o.variant === "memory" ? "memory" : undefined));
    writeFileSync(join(dir, "body.json"), featurePrompt());
    writeFileSync(join(dir, "authorization"), `Bearer ${BENCH_KEY}`);
    const pair = async (first: string, second: string): Promise<{ first: number; second: number }> => {
      const child = group.spawn("pipeline-pair", process.execPath, [join(ROOT, "dist", "bench", "pipeline-pair.js"), first, second, dir, String(o.batches), "100"], { cpu: GATEWAY_CPU, stdout: "pipe" });
      let out = "";
      child.proc.stdout?.on("data", (d: Buffer) => (out += d.toString()));
      const code = await child.exited;
      if (code !== 0) throw new Error(`pipeline-pair exited with ${code}: ${child.stderrTail()}`);
      return JSON.parse(out) as { first: number; second: number };
    };
    const headFirst = await pair(ROOT, base.dir);
    const baseFirst = await pair(base.dir, ROOT);
    // head/base with each order's cost of being set up second cancelled.
    const ratio = Math.sqrt((headFirst.first / headFirst.second) * (baseFirst.second / baseFirst.first));
    console.log(`bench:ab ${o.variant} --in-process: base ${base.sha.slice(0, 10)} vs head (this tree), ${o.batches} batches of 100 each, load ${loadAverageNow()[0]?.toFixed(1)}`);
    console.log(`  CPU per request (pipeline, no HTTP edge)   head set up first: head ${headFirst.first.toFixed(1)} µs, base ${headFirst.second.toFixed(1)} µs;   base first: base ${baseFirst.first.toFixed(1)} µs, head ${baseFirst.second.toFixed(1)} µs`);
    console.log(`  head/base ${ratio.toFixed(3)}`);
  } finally {
    await group.stopAll();
  }
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  if (o.inProcess) return inProcess(o, baseTree(o.ref));
  const wrk = ensureWrk();
  if (!wrk.available) throw new Error(`bench:ab needs wrk: ${wrk.note}`);
  const base = baseTree(o.ref);
  const group = new ProcessGroup();
  try {
    const up = group.node("upstream", "upstream", [], { cpu: LOAD_CPU });
    const upstream = `http://127.0.0.1:${(await nextMessage<ChildMsg, "ready">(up, "ready")).port}`;
    const state = o.variant === "bare" ? undefined : o.variant === "memory" ? "memory" : "STATE_DIR";
    const policy = benchPolicy(upstream, hashKey(BENCH_KEY), state);
    const sides: Side[] = [];
    for (const [name, root] of [["base", base.dir], ["head", ROOT]] as const) sides.push({ name, ...(await serve(group, name, root, policy)), cpuUs: 0, ok: 0, errors: 0 });
    const body = featurePrompt();
    const headers = { authorization: `Bearer ${BENCH_KEY}`, "content-type": "application/json" };
    const batch = async (s: Side, seconds: number): Promise<number> => {
      const c0 = processCpuPreciseUs(s.spawned.pid);
      const r = await runWrk(group, { url: `http://127.0.0.1:${s.port}/v1/chat/completions`, headers, body, connections: o.connections, seconds, cpu: LOAD_CPU });
      const c1 = processCpuPreciseUs(s.spawned.pid);
      if (c0 === undefined || c1 === undefined) throw new Error(`${s.name}: cannot read its CPU time from /proc`);
      if (r.ok === 0) throw new Error(`${s.name}: no request succeeded (${r.errors} errors): ${s.spawned.stderrTail()}`);
      s.cpuUs += c1 - c0;
      s.ok += r.ok;
      s.errors += r.errors;
      return (c1 - c0) / r.ok;
    };
    // Warm-up (JIT, pools, the SQLite file) is not measured.
    for (const s of sides) await batch(s, 2);
    for (const s of sides) [s.cpuUs, s.ok, s.errors] = [0, 0, 0];
    const [a, b] = sides as [Side, Side];
    const ratios: number[] = [];
    for (let i = 0; i < o.pairs; i++) {
      const [first, second] = i % 2 === 0 ? [a, b] : [b, a];
      const one = await batch(first, o.seconds);
      const two = await batch(second, o.seconds);
      const perReq = first === a ? { base: one, head: two } : { base: two, head: one };
      ratios.push(perReq.head / perReq.base);
      process.stderr.write(`pair ${i + 1}/${o.pairs}: base ${perReq.base.toFixed(0)} µs, head ${perReq.head.toFixed(0)} µs, head/base ${(perReq.head / perReq.base).toFixed(3)}\n`);
    }
    ratios.sort((x, y) => x - y);
    const per = (s: Side): number => s.cpuUs / s.ok;
    console.log(`bench:ab ${o.variant}: base ${base.sha.slice(0, 10)} vs head (this tree), ${o.pairs} pairs of ${o.seconds} s, ${o.connections} connections, load ${loadAverageNow()[0]?.toFixed(1)}`);
    console.log(`  CPU per request   base ${per(a).toFixed(0)} µs   head ${per(b).toFixed(0)} µs   head/base ${(per(b) / per(a)).toFixed(3)}`);
    console.log(`  paired ratios     median ${percentile(ratios, 50).toFixed(3)}   quartiles ${percentile(ratios, 25).toFixed(3)}–${percentile(ratios, 75).toFixed(3)}`);
    console.log(`  requests          base ${a.ok} (${a.errors} errors)   head ${b.ok} (${b.errors} errors)`);
  } finally {
    await group.stopAll();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
