/**
 * bench/scenarios/scaling: scenario 5, how aigw scales with the size of the
 * policy: `decide` per second at 10 / 100 / 1,000 / 10,000 routes
 * (bench/decide.ts), parse + compile time at the same sizes
 * (bench/compile.ts), and hot-reload latency at 1,000 routes with
 * `--watch` (bench/reload.ts: file write → first request served by the new
 * graph). Each bench runs as its own process with `--json`, pinned to the
 * gateway's core, one after the other: a fresh JIT for each, and the same
 * figures `npm run bench:decide` and friends print.
 */
import { fileURLToPath } from "node:url";
import { num, table } from "../table.js";
import { GATEWAY_CPU, type Bench } from "./context.js";

export const SCALING_SIZES = [10, 100, 1_000, 10_000];

export interface DecideRow {
  routes: number;
  decisionsPerSecond: number;
  wallDecisionsPerSecond: number;
  nsPerDecision: number;
  ratioTo10: number;
}

export interface CompileRow {
  routes: number;
  parseMs: number;
  compileMs: number;
  totalMs: number;
  usPerRoute: number;
}

export interface ReloadMode {
  mode: string;
  verifier: string;
  liveMsMedian: number;
  liveMsMax: number;
  compileMsMedian: number;
  maxStallMs: number;
}

export interface ScalingResult {
  decide: DecideRow[];
  compile: CompileRow[];
  reload: { routes: number; rounds: number; baselineCompileMsMedian: number; modes: ReloadMode[] };
}

/** Runs `dist/bench/<script>` with `args` pinned to the gateway core and parses the JSON it prints. */
async function runJson<T>(bench: Bench, script: string, args: readonly string[]): Promise<T> {
  const file = fileURLToPath(new URL(`../${script}`, import.meta.url));
  const p = bench.group.spawn(script, process.execPath, [file, ...args], { cpu: GATEWAY_CPU, stdout: "pipe" });
  let out = "";
  p.proc.stdout?.on("data", (c: Buffer) => (out += c.toString("utf8")));
  const [code] = await Promise.all([p.exited, new Promise((r) => p.proc.stdout?.once("close", r))]);
  if (code !== 0) throw new Error(`${script} exited with ${code}: ${p.stderrTail()}`);
  // Anything printed before the JSON (a warning) is skipped: the report starts at the first line opening an object.
  const start = out.search(/^\{/m);
  return JSON.parse(out.slice(start)) as T;
}

/** Runs the three benches. */
export async function scaling(bench: Bench): Promise<ScalingResult> {
  const d = bench.durations;
  const sizes = SCALING_SIZES.join(",");
  const decide = await runJson<{ rows: DecideRow[] }>(bench, "decide.js", ["--json", "--seconds", String(d.decideSeconds), "--sizes", sizes]);
  const compile = await runJson<{ rows: CompileRow[] }>(bench, "compile.js", ["--json", "--sizes", sizes, "--repeats", String(d.compileRepeats)]);
  const reload = await runJson<ScalingResult["reload"]>(bench, "reload.js", ["--json", "--watch-only", "--rounds", String(d.reloadRounds), "--warmup", String(d.reloadWarmup)]);
  return { decide: decide.rows, compile: compile.rows, reload };
}

/** The scenario's tables. */
export function printScaling(r: ScalingResult): void {
  console.log(`\n5. scaling with policy size (each bench its own process on CPU ${GATEWAY_CPU})`);
  const compileAt = new Map(r.compile.map((c) => [c.routes, c]));
  console.log(
    table(
      ["routes", "decide/s (per CPU-s)", "ns/decide", "vs 10 routes", "decide/s (wall)", "parse + compile ms", "µs/route"],
      r.decide.map((x) => {
        const c = compileAt.get(x.routes);
        return [num(x.routes), num(x.decisionsPerSecond), num(x.nsPerDecision), `${x.ratioTo10.toFixed(2)}×`, num(x.wallDecisionsPerSecond), num(c?.totalMs, 1), num(c?.usPerRoute, 1)];
      }),
    ),
  );
  for (const m of r.reload.modes) {
    console.log(
      `  hot reload at ${num(r.reload.routes)} routes (${m.mode}, ${m.verifier} verifier, ${r.reload.rounds} rounds): file write → first request on the new graph ` +
        `median ${num(m.liveMsMedian)} ms, max ${num(m.liveMsMax)} ms (compile + tests ${num(m.compileMsMedian)} ms; longest event-loop stall ${num(m.maxStallMs, 1)} ms)`,
    );
  }
}
