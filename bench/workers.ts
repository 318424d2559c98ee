/**
 * bench/workers: `aigw serve --workers N` throughput and CPU per request for
 * N = 1 and 2 (or `--workers 1,2,4`), on the built-in mock provider (no
 * upstream process takes CPU), with wrk (1 thread, 50 connections) for
 * `--seconds` per run after a short warm-up.
 *
 * The gateway is not pinned: N workers need N cores. wrk is pinned to CPU 0,
 * so on a 2-core machine it shares a core with the second worker and the
 * 2-worker figure is what is left after the generator; the report says so.
 * CPU per request is the whole process's (every thread) over the run, from
 * /proc/PID/stat.
 *
 * Run: `npm run build && node dist/bench/workers.js [--seconds S] [--workers 1,2] [--json]`.
 */
import { writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ProcessGroup } from "./children.js";
import { ensureWrk, runWrk } from "./load/wrk.js";
import { processCpuUs } from "./system.js";

const CONNECTIONS = 50;
const LOAD_CPU = 0;
const BIN = fileURLToPath(new URL("../cli/bin.js", import.meta.url));
const POLICY = `
gateway { auth none }
provider p { api mock }
model m = p/"m"
route r { to m }
`;
const BODY = JSON.stringify({ model: "m", messages: [{ role: "user", content: "hello" }], max_tokens: 16 });

interface Row {
  workers: number;
  rps: number;
  cpuUsPerRequest: number;
  errors: number;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}

async function measure(group: ProcessGroup, dir: string, workers: number, seconds: number): Promise<Row> {
  const gw = group.spawn(`aigw --workers ${workers}`, process.execPath, [BIN, "serve", dir, "--host", "127.0.0.1", "--port", "0", "--no-access-log", "--workers", String(workers)]);
  let err = "";
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`aigw did not listen:\n${err}`)), 30_000);
    gw.proc.stderr?.on("data", (c: Buffer) => {
      err += c.toString();
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) (clearTimeout(timer), resolve(m[1]!));
    });
  });
  const url = `${base}/v1/chat/completions`;
  const headers = { "content-type": "application/json" };
  await runWrk(group, { url, headers, body: BODY, connections: CONNECTIONS, seconds: 2, cpu: LOAD_CPU });
  const before = processCpuUs(gw.pid)!;
  const r = await runWrk(group, { url, headers, body: BODY, connections: CONNECTIONS, seconds, cpu: LOAD_CPU });
  const after = processCpuUs(gw.pid)!;
  await group.stop(gw, 15_000);
  return { workers, rps: r.rps, cpuUsPerRequest: (after - before) / Math.max(1, r.ok), errors: r.errors };
}

async function main(): Promise<number> {
  const seconds = Number(arg("--seconds") ?? 10);
  const counts = (arg("--workers") ?? "1,2").split(",").map(Number);
  const wrk = ensureWrk();
  if (!wrk.available) throw new Error(`wrk is needed: ${wrk.note}`);
  const group = new ProcessGroup();
  const dir = group.tempDir("aigw-bench-workers-");
  writeFileSync(join(dir, "main.route"), POLICY);
  const rows: Row[] = [];
  try {
    for (const n of counts) rows.push(await measure(group, dir, n, seconds));
  } finally {
    await group.stopAll();
  }
  const one = rows.find((r) => r.workers === 1);
  if (process.argv.includes("--json")) console.log(JSON.stringify({ cpus: cpus().length, seconds, connections: CONNECTIONS, rows }, null, 2));
  else {
    console.log(`aigw serve --workers N on the built-in mock, wrk 1 thread ${CONNECTIONS} connections pinned to CPU ${LOAD_CPU}, ${seconds}s per run, ${cpus().length} CPUs`);
    if (cpus().length <= 2) console.log("note: wrk shares the cores with the gateway: with 2 workers on 2 cores the generator takes part of one worker's core");
    console.log("workers  req/s     CPU µs/req  vs 1 worker  errors");
    for (const r of rows) {
      const ratio = one === undefined ? "" : `${(r.rps / one.rps).toFixed(2)}×`;
      console.log(`${String(r.workers).padEnd(8)} ${r.rps.toFixed(0).padEnd(9)} ${r.cpuUsPerRequest.toFixed(1).padEnd(11)} ${ratio.padEnd(12)} ${r.errors}`);
    }
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench/workers: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
