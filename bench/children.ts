/**
 * bench/children: the processes a bench starts, pinned to a core with
 * `taskset -c N` where taskset exists, tracked so that every one of them is
 * stopped at the end: on success, on error, on SIGINT/SIGTERM, and (with
 * SIGKILL, as a last resort) when the bench process exits. Children are
 * stopped one by one, by pid; nothing is killed by name.
 *
 * Temporary directories made with {@link ProcessGroup.tempDir} are removed
 * the same way.
 *
 * Node children of the benches run bench/child.ts with a role and talk to
 * the orchestrator over IPC; {@link nextMessage} waits for one reply.
 */
import { spawn, type ChildProcess, type StdioOptions } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { hasCommand } from "./system.js";

/** The entry point of node children (compiled: dist/bench/child.js). */
const CHILD_ENTRY = fileURLToPath(new URL("./child.js", import.meta.url));

/** A started process. */
export interface Spawned {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly pid: number;
  /** Resolves with the exit code (or the signal's name) when the process ends. */
  readonly exited: Promise<number | string>;
  /** The last few KB of its stderr (when piped), for error messages. */
  stderrTail(): string;
}

export interface SpawnOptions {
  /** The core to pin the process to, or a taskset list of cores (`"0,1"`); undefined: not pinned. */
  cpu?: number | string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Open an IPC channel (node children). */
  ipc?: boolean;
  /** What to do with stdout: drop it (default), pipe it to the caller, or pass it through. */
  stdout?: "ignore" | "pipe" | "inherit";
}

/** Every process a bench started, so that all of them are stopped whatever happens. */
export class ProcessGroup {
  private readonly live = new Set<Spawned>();
  private readonly dirs = new Set<string>();
  /** Whether `taskset` exists here (else nothing is pinned and reports say so). */
  readonly pinning = hasCommand("taskset");
  private readonly onSignal = (signal: NodeJS.Signals): void => {
    process.stderr.write(`\nbench: ${signal}: stopping ${this.live.size} child process(es)\n`);
    void this.stopAll().finally(() => process.exit(130));
  };
  private readonly onExit = (): void => {
    for (const s of this.live) s.proc.kill("SIGKILL");
    this.removeDirs();
  };

  constructor() {
    process.on("SIGINT", this.onSignal);
    process.on("SIGTERM", this.onSignal);
    process.on("exit", this.onExit);
  }

  /** Starts `command args`, pinned to `options.cpu` when taskset exists. */
  spawn(name: string, command: string, args: readonly string[], options: SpawnOptions = {}): Spawned {
    const pinned = options.cpu !== undefined && this.pinning;
    const file = pinned ? "taskset" : command;
    const argv = pinned ? ["-c", String(options.cpu), command, ...args] : [...args];
    const stdio: StdioOptions = ["ignore", options.stdout ?? "ignore", "pipe"];
    if (options.ipc) stdio.push("ipc");
    // taskset execs the command, so the pid is the command's own (its /proc entries are the ones to read).
    const proc = spawn(file, argv, { stdio, env: options.env ?? process.env, cwd: options.cwd });
    let tail = "";
    proc.stderr?.on("data", (chunk: Buffer) => {
      tail = (tail + chunk.toString("utf8")).slice(-4096);
    });
    const exited = new Promise<number | string>((resolve) => proc.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown")));
    if (proc.pid === undefined) throw new Error(`could not start \`${name}\` (${file})`);
    const spawned: Spawned = { name, proc, pid: proc.pid, exited, stderrTail: () => tail };
    this.live.add(spawned);
    void exited.then(() => this.live.delete(spawned));
    return spawned;
  }

  /** Starts `node dist/bench/child.js role args` with an IPC channel. */
  node(name: string, role: string, args: readonly string[], options: Omit<SpawnOptions, "ipc"> = {}): Spawned {
    return this.spawn(name, process.execPath, [CHILD_ENTRY, role, ...args], { ...options, ipc: true });
  }

  /** Stops one process: SIGTERM, then SIGKILL after `graceMs`; resolves when it is gone. */
  async stop(s: Spawned, graceMs = 2_000): Promise<void> {
    if (!this.live.has(s)) return;
    s.proc.kill("SIGTERM");
    const timer = setTimeout(() => s.proc.kill("SIGKILL"), graceMs);
    await s.exited;
    clearTimeout(timer);
  }

  /** A fresh temporary directory, removed by {@link removeDir} or at the end whatever happens. */
  tempDir(prefix: string): string {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    this.dirs.add(dir);
    return dir;
  }

  /** Removes a directory made by {@link tempDir}. */
  removeDir(dir: string): void {
    rmSync(dir, { recursive: true, force: true });
    this.dirs.delete(dir);
  }

  private removeDirs(): void {
    for (const d of this.dirs) this.removeDir(d);
  }

  /** Stops every process still running, removes the temporary directories and the signal handlers. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.live].map((s) => this.stop(s)));
    this.removeDirs();
    process.off("SIGINT", this.onSignal);
    process.off("SIGTERM", this.onSignal);
    process.off("exit", this.onExit);
  }
}

/** How long a child may take to answer before the bench gives up on it (the longest run plus its drain fits well within). */
const ANSWER_TIMEOUT_MS = 120_000;

/** Waits for the next IPC message of `type` from `s`; rejects if it exits first or does not answer within `timeoutMs`. */
export function nextMessage<M extends { type: string }, T extends M["type"]>(s: Spawned, type: T, timeoutMs = ANSWER_TIMEOUT_MS): Promise<Extract<M, { type: T }>> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      s.proc.off("message", onMsg);
      s.proc.off("exit", onExit);
      clearTimeout(timer);
    };
    const onMsg = (m: M): void => {
      if (m.type !== type) return;
      done();
      resolve(m as Extract<M, { type: T }>);
    };
    const onExit = (code: number | null): void => {
      done();
      reject(new Error(`\`${s.name}\` exited (${code}) before sending \`${type}\`${s.stderrTail() ? `:\n${s.stderrTail()}` : ""}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`\`${s.name}\` did not send \`${type}\` within ${timeoutMs / 1000} s${s.stderrTail() ? `:\n${s.stderrTail()}` : ""}`));
    }, timeoutMs);
    s.proc.on("message", onMsg);
    s.proc.once("exit", onExit);
  });
}

/** Sends `message` to `s` and waits for its reply of type `reply`. */
export function ask<M extends { type: string }, T extends M["type"]>(s: Spawned, message: object, reply: T): Promise<Extract<M, { type: T }>> {
  const answer = nextMessage<M, T>(s, reply);
  s.proc.send(message);
  return answer;
}

/**
 * Polls `probe` every 100 ms until it resolves true, up to `timeoutMs`.
 * A probe that rejects counts as "not yet" (a port not listening yet),
 * except with a {@link FatalProbeError}, which ends the wait.
 */
export async function waitUntil(probe: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      if (await probe()) return;
    } catch (err) {
      if (err instanceof FatalProbeError) throw err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Thrown by a {@link waitUntil} probe when waiting longer is pointless (the process died). */
export class FatalProbeError extends Error {}
