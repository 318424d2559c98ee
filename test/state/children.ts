/**
 * Spawns and drives the child processes of the multi-process tests
 * (child/reserver.ts): separate Node processes, each with its own store
 * connection, competing for one budget.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createInterface, type Interface } from "node:readline";
import type { ChildConfig, CompeteReport } from "./child/reserver.js";

const REGISTER = fileURLToPath(new URL("./child/register.mjs", import.meta.url));
const RESERVER = fileURLToPath(new URL("./child/reserver.ts", import.meta.url));

/** A started child: its process and its stdout, line by line. */
export interface Child {
  readonly process: ChildProcessWithoutNullStreams;
  /** Resolves with the next stdout line (rejects if the child exits first). */
  line(): Promise<string>;
  /** Everything the child wrote to stderr so far. */
  stderr(): string;
  /** Resolves, once stdout has closed, with the lines not yet taken by `line()`. */
  rest(): Promise<string[]>;
}

export function startChild(config: ChildConfig): Child {
  const proc = spawn(process.execPath, ["--import", REGISTER, RESERVER, JSON.stringify(config)], { stdio: ["pipe", "pipe", "pipe"] });
  let err = "";
  proc.stderr.on("data", (c: Buffer) => void (err += c.toString()));
  const lines: string[] = [];
  const waiting: { resolve: (l: string) => void; reject: (e: Error) => void }[] = [];
  const rl: Interface = createInterface({ input: proc.stdout });
  rl.on("line", (l) => {
    const w = waiting.shift();
    if (w) w.resolve(l);
    else lines.push(l);
  });
  const closed = new Promise<void>((resolve) => rl.once("close", () => resolve()));
  proc.on("exit", (code, signal) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`child exited (code ${code}, signal ${signal}): ${err}`));
  });
  return {
    process: proc,
    stderr: () => err,
    rest: () => closed.then(() => lines.splice(0)),
    line: () => {
      const l = lines.shift();
      if (l !== undefined) return Promise.resolve(l);
      if (proc.exitCode !== null || proc.signalCode !== null) return Promise.reject(new Error(`child exited (code ${proc.exitCode}): ${err}`));
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    },
  };
}

/** Starts one child per config, releases them together once all are ready, and collects their reports. */
export async function compete(configs: readonly ChildConfig[]): Promise<CompeteReport[]> {
  const children = configs.map(startChild);
  try {
    for (const c of children) expectLine(await c.line(), "ready", c);
    for (const c of children) c.process.stdin.write("go\n");
    return await Promise.all(children.map(async (c) => JSON.parse(await c.line()) as CompeteReport));
  } finally {
    for (const c of children) if (c.process.exitCode === null) c.process.kill("SIGKILL");
  }
}

export function expectLine(got: string, want: string, child: Child): void {
  if (got !== want) throw new Error(`child said \`${got}\`, expected \`${want}\`: ${child.stderr()}`);
}

/** Resolves when the child has exited. */
export function exited(child: Child): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.process.once("exit", () => resolve()));
}
