/**
 * bench/proxy: `npm run bench:proxy`, kept for the habit: the proxy
 * scenarios of `npm run bench` (bench/run.ts) for aigw and the direct path
 * only: throughput with the references (aigw on its built-in mock provider,
 * the bare-relay floor), latency at the fixed rate, and features on vs off.
 * Everything it used to measure is now measured by bench/run.ts with the
 * shared modules (mock upstream, load generators, pinning), so this file
 * only translates its old flags and runs it; results go to
 * bench/results/proxy.json, leaving latest.json to `npm run bench`.
 *
 * Run: `npm run build && npm run bench:proxy -- [--quick] [--profile DIR]
 * [--access-log] [--no-reference] [--no-features | --features-only]`.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const argv = process.argv.slice(2);
const only = argv.includes("--features-only") ? ["features"] : ["throughput", "latency", ...(argv.includes("--no-features") ? [] : ["features"])];
const args = ["--only", only.join(","), "--no-portkey", argv.includes("--no-reference") ? "--no-references" : "--references", "--out", fileURLToPath(new URL("../../bench/results/proxy.json", import.meta.url))];
for (const pass of ["--quick", "--access-log"]) if (argv.includes(pass)) args.push(pass);
const profile = argv.indexOf("--profile");
if (profile >= 0 && argv[profile + 1]) args.push("--profile", argv[profile + 1]!);
if (argv.includes("--seconds") || argv.includes("--json")) {
  console.error("bench:proxy: --seconds and --json are gone: phases are fixed (use --quick for short ones) and the results are written as JSON to bench/results/proxy.json");
}

const child = spawn(process.execPath, [fileURLToPath(new URL("./run.js", import.meta.url)), ...args], { stdio: "inherit" });
// Ctrl-C reaches the child too (same process group); wait for it to stop its own children.
process.on("SIGINT", () => undefined);
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
