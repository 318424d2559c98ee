/**
 * bench/soak/gateway: the gateway under soak as a real OS process,
 * `aigw serve DIR --watch --host 127.0.0.1 --port 0`, with the heap probe
 * preloaded (bench/soak/heap-probe.ts). It reads the port from the start-up
 * line on stderr, reads every stdout line (the JSON access log and the
 * gateway's own log lines) so errors the gateway logs are seen, samples the
 * process's memory and open file descriptors, and stops it with SIGTERM the
 * way an operator would, timing how long it takes to exit and with what code.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { HeapSample } from "./heap-probe.js";

/** How the gateway is started: node flags and the CLI entry. The default is the built layout (dist/). */
export interface Launch {
  /** Node options before the entry (the heap probe's `--import` goes here). */
  execArgv: string[];
  /** `cli/bin.js` (or the .ts with a loader). */
  bin: string;
}

/** The built layout: this file is dist/bench/soak/gateway.js. */
export function builtLaunch(): Launch {
  return {
    execArgv: ["--expose-gc", "--import", fileURLToPath(new URL("./heap-probe.js", import.meta.url))],
    bin: fileURLToPath(new URL("../../cli/bin.js", import.meta.url)),
  };
}

/** One memory reading of the gateway process. */
export interface ProcessSample {
  /** Resident set size from /proc/PID/status (`VmRSS`), bytes; from the probe when /proc is missing. */
  rss: number | undefined;
  /** Live heap after a full collection (the probe), bytes; undefined without the probe. */
  heapUsed: number | undefined;
  /** Open file descriptors (/proc/PID/fd). */
  fds: number | undefined;
}

/** What the gateway wrote on stdout, by kind. */
export interface GatewayLogStats {
  /** Access-log lines (`msg: "request"`). */
  access: number;
  warnings: number;
  /** Error lines other than a refused reload's. */
  errors: number;
  /** Error lines of refused reloads (`policy rejected` and its diagnostics and failed tests): expected when an invalid policy is written. */
  refusals: number;
  /** `policy rejected` lines alone: one per refused reload. */
  rejected: number;
  /** Lines that are not JSON. */
  malformed: number;
  /** The first few error lines and warnings, verbatim (for the report). */
  errorLines: string[];
  warningMessages: Record<string, number>;
}

/** The running gateway. */
export interface GatewayProcess {
  /** `http://127.0.0.1:PORT`. */
  readonly origin: string;
  readonly pid: number;
  sample(): Promise<ProcessSample>;
  logStats(): GatewayLogStats;
  stderr(): string;
  /** SIGTERM, then waits up to `timeoutMs` (then SIGKILL): how it exited and how long it took. */
  stop(timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number; killed: boolean }>;
  /** SIGKILL if still running (error paths); resolves once it has exited. */
  kill(): Promise<void>;
}

const START_TIMEOUT_MS = 30_000;

/** Starts `aigw serve policyDir --watch` on a free port; resolves once it listens. */
export async function startGateway(launch: Launch, policyDir: string, env: Record<string, string>, workers = 1): Promise<GatewayProcess> {
  const args = [...launch.execArgv, launch.bin, "serve", policyDir, "--watch", "--host", "127.0.0.1", "--port", "0", "--workers", String(workers)];
  // Its own process group: a Ctrl-C in the terminal reaches the soak, which then stops the gateway itself.
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe", "ipc"], detached: true });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  let err = "";
  child.stderr!.on("data", (c: Buffer) => {
    err += c.toString();
    if (err.length > 200_000) err = err.slice(-100_000);
  });
  const stats: GatewayLogStats = { access: 0, warnings: 0, errors: 0, refusals: 0, rejected: 0, malformed: 0, errorLines: [], warningMessages: {} };
  readLines(child, (line) => countLine(stats, line));

  const origin = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`aigw serve did not listen within ${START_TIMEOUT_MS} ms:\n${err}`)), START_TIMEOUT_MS);
    const onData = (): void => {
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (!m) return;
      clearTimeout(timer);
      child.stderr!.off("data", onData);
      resolve(m[1]!);
    };
    child.stderr!.on("data", onData);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`aigw serve exited before listening (code ${code}, signal ${signal}):\n${err}`));
    });
  }).catch((e: unknown) => {
    child.kill("SIGKILL");
    throw e;
  });

  const pid = child.pid!;
  return {
    origin,
    pid,
    sample: async () => {
      const heap = await probe(child);
      return { rss: procRss(pid) ?? heap?.rss, heapUsed: heap?.heapUsed, fds: procFds(pid) };
    },
    logStats: () => ({ ...stats, errorLines: [...stats.errorLines], warningMessages: { ...stats.warningMessages } }),
    stderr: () => err,
    stop: async (timeoutMs) => {
      const t0 = performance.now();
      let killed = false;
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const timer = setTimeout(() => {
        killed = true;
        child.kill("SIGKILL");
      }, timeoutMs);
      const how = await exited;
      clearTimeout(timer);
      return { ...how, ms: performance.now() - t0, killed };
    },
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}

/** Calls `onLine` for every complete stdout line. */
function readLines(child: ChildProcess, onLine: (line: string) => void): void {
  let rest = "";
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (text: string) => {
    const parts = (rest + text).split("\n");
    rest = parts.pop()!;
    for (const p of parts) if (p !== "") onLine(p);
  });
}

/** The error lines a refused reload writes (runtime/server/reload/reloader.ts). */
const REFUSAL = new Set(["policy rejected", "policy diagnostic", "policy test failed"]);

function countLine(stats: GatewayLogStats, line: string): void {
  let entry: { level?: unknown; msg?: unknown };
  try {
    entry = JSON.parse(line) as typeof entry;
  } catch {
    stats.malformed++;
    if (stats.errorLines.length < 5) stats.errorLines.push(`(not JSON) ${line.slice(0, 300)}`);
    return;
  }
  if (entry.msg === "request") stats.access++;
  else if (entry.level === "error" && REFUSAL.has(String(entry.msg))) {
    stats.refusals++;
    if (entry.msg === "policy rejected") stats.rejected++;
  } else if (entry.level === "error") {
    stats.errors++;
    if (stats.errorLines.length < 5) stats.errorLines.push(line.slice(0, 1000));
  } else if (entry.level === "warn") {
    stats.warnings++;
    const m = String(entry.msg);
    stats.warningMessages[m] = (stats.warningMessages[m] ?? 0) + 1;
  }
}

/** Asks the heap probe for a reading; undefined when it does not answer within 2 s (no probe loaded). */
function probe(child: ChildProcess): Promise<HeapSample | undefined> {
  if (!child.connected) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const onMsg = (m: unknown): void => {
      if (typeof m !== "object" || m === null || (m as { type?: unknown }).type !== "heap") return;
      done(m as HeapSample);
    };
    const timer = setTimeout(() => done(undefined), 2000);
    const done = (v: HeapSample | undefined): void => {
      clearTimeout(timer);
      child.off("message", onMsg);
      resolve(v);
    };
    child.on("message", onMsg);
    child.send({ type: "sample" }, (e) => {
      if (e) done(undefined);
    });
  });
}

function procRss(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

function procFds(pid: number): number | undefined {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return undefined;
  }
}
