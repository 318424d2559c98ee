/**
 * bench/load/wrk: the closed-loop load generator of the throughput
 * scenarios. wrk (C, one thread, epoll) costs far less CPU per request than
 * any Node generator, so on the shared core it leaves the mock upstream
 * room and the direct baseline is not capped by the generator.
 *
 * wrk takes a POST body and headers only from a Lua script: {@link wrkScript}
 * writes one (values in Lua long brackets, so any body is safe) whose
 * `done` hook prints one machine-readable line, which {@link parseWrk}
 * reads. {@link ensureWrk} installs wrk with apt-get on first use when it is
 * missing and we are root.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ProcessGroup } from "../children.js";
import { ensureDebianCommand, processCpuUs, type CommandAvailability } from "../system.js";

/** Marks the line the script's `done` hook prints. */
export const WRK_MARKER = "AIGW_BENCH_WRK";

/** A Lua long-bracket literal of `text` whose level does not occur in it. */
function luaLong(text: string): string {
  let eq = "";
  while (text.includes(`]${eq}]`)) eq += "=";
  // A newline right after the opening bracket would be dropped by Lua; a leading newline is kept by doubling it.
  return `[${eq}[${text.startsWith("\n") ? "\n" : ""}${text}]${eq}]`;
}

/** The Lua script that makes wrk send `method` with `headers` and `body`, and print its totals as one JSON line. */
export function wrkScript(request: { method: string; headers: Record<string, string>; body: string }): string {
  const lines = [`wrk.method = ${luaLong(request.method)}`, `wrk.body = ${luaLong(request.body)}`];
  for (const [k, v] of Object.entries(request.headers)) lines.push(`wrk.headers[ ${luaLong(k)} ] = ${luaLong(v)}`); // spaces: `[[[` would open a long string
  lines.push(
    "done = function(summary, latency, requests)",
    "  local e = summary.errors",
    `  io.write(string.format("${WRK_MARKER} {\\"requests\\":%.0f,\\"durationUs\\":%.0f,\\"bytes\\":%.0f,\\"connect\\":%.0f,\\"read\\":%.0f,\\"write\\":%.0f,\\"status\\":%.0f,\\"timeout\\":%.0f,\\"p50Us\\":%.0f,\\"p90Us\\":%.0f,\\"p99Us\\":%.0f}\\n",`,
    "    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,",
    "    latency:percentile(50), latency:percentile(90), latency:percentile(99)))",
    "end",
  );
  return `${lines.join("\n")}\n`;
}

/** A wrk run's totals. */
export interface WrkResult {
  /** Responses received (any status). */
  requests: number;
  /** Non-2xx/3xx responses plus socket errors (connect, read, write, timeout). */
  errors: number;
  /** Responses with a 2xx/3xx status. */
  ok: number;
  seconds: number;
  /** Successful responses per second. */
  rps: number;
  /** wrk's own (closed-loop, coordinated-omission-prone) latency percentiles, µs: recorded, not reported as latency. */
  latencyUs: { p50: number; p90: number; p99: number };
  /** wrk's own CPU time, µs, as last read from /proc while it ran (up to 100 ms short); undefined without /proc. */
  cpuUs?: number;
}

interface WrkLine {
  requests: number;
  durationUs: number;
  connect: number;
  read: number;
  write: number;
  status: number;
  timeout: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
}

/** Reads the totals line {@link wrkScript}'s hook printed; throws when it is missing. */
export function parseWrk(stdout: string): WrkResult {
  const line = stdout.split("\n").find((l) => l.startsWith(`${WRK_MARKER} `));
  if (line === undefined) throw new Error(`wrk printed no \`${WRK_MARKER}\` line:\n${stdout.slice(0, 2000)}`);
  const r = JSON.parse(line.slice(WRK_MARKER.length + 1)) as WrkLine;
  const seconds = r.durationUs / 1e6;
  const ok = r.requests - r.status;
  return {
    requests: r.requests,
    errors: r.status + r.connect + r.read + r.write + r.timeout,
    ok,
    seconds,
    rps: seconds > 0 ? ok / seconds : 0,
    latencyUs: { p50: r.p50Us, p90: r.p90Us, p99: r.p99Us },
  };
}

/** Whether wrk can be used, and what was done to get it. */
export type WrkAvailability = CommandAvailability;

/** Finds wrk, installing it with apt-get when missing and running as root. */
export function ensureWrk(): WrkAvailability {
  return ensureDebianCommand("wrk", "wrk");
}

export interface WrkRun {
  /** Full URL, `http://127.0.0.1:PORT/v1/chat/completions`. */
  url: string;
  headers: Record<string, string>;
  body: string;
  connections: number;
  seconds: number;
  /** Core to pin wrk to. */
  cpu: number;
}

/** Runs wrk (one thread) pinned to `run.cpu` and returns its totals. */
export async function runWrk(group: ProcessGroup, run: WrkRun): Promise<WrkResult> {
  const dir = group.tempDir("aigw-bench-wrk-");
  const script = join(dir, "post.lua");
  writeFileSync(script, wrkScript({ method: "POST", headers: run.headers, body: run.body }));
  try {
    const seconds = Math.max(1, Math.round(run.seconds));
    const w = group.spawn("wrk", "wrk", ["-t1", `-c${run.connections}`, `-d${seconds}s`, "--timeout", "10s", "-s", script, run.url], { cpu: run.cpu, stdout: "pipe" });
    let out = "";
    w.proc.stdout?.on("data", (c: Buffer) => (out += c.toString("utf8")));
    // Its CPU time can only be read while it lives: sample it until it exits.
    let cpuUs: number | undefined;
    const sampler = setInterval(() => (cpuUs = processCpuUs(w.pid) ?? cpuUs), 100);
    // 'exit' can come before the last of stdout: wait for the stream to end too.
    const [code] = await Promise.all([w.exited, new Promise((r) => w.proc.stdout?.once("close", r))]);
    clearInterval(sampler);
    if (code !== 0 || w.stderrTail() !== "") throw new Error(`wrk exited with ${code}: ${w.stderrTail() || out}`);
    const result = parseWrk(out);
    if (cpuUs !== undefined) result.cpuUs = cpuUs;
    return result;
  } finally {
    group.removeDir(dir);
  }
}
