/**
 * Starts a real `redis-server` for a test file: on 127.0.0.1, on an
 * ephemeral port of its own, with persistence off (`--save "" --appendonly
 * no`) and its working directory in a temporary folder. Tests that need
 * Redis FAIL (never skip) when redis-server is not installed: the shared
 * budget across instances is a feature, and a skipped test would hide its
 * absence.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A running redis-server owned by the caller. */
export interface RedisServer {
  readonly url: string;
  readonly port: number;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and removes its folder. */
  stop(): Promise<void>;
}

/** The binary: `$REDIS_SERVER` or `redis-server` on the PATH. */
const BINARY = process.env["REDIS_SERVER"] ?? "redis-server";
const START_TIMEOUT_MS = 10_000;

/** Starts redis-server; rejects with an explanation when it is not installed or will not start. */
export async function startRedis(): Promise<RedisServer> {
  let lastError: Error | undefined;
  // A port found free can be taken before redis binds it; try a few.
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), "aigw-redis-"));
    try {
      const child = await launch(port, dir);
      return { url: `redis://127.0.0.1:${port}`, port, stop: () => stop(child, dir) };
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      lastError = e as Error;
      if ((e as NodeJS.ErrnoException).code === "ENOENT") break;
    }
  }
  throw lastError ?? new Error("redis-server did not start");
}

function launch(port: number, dir: string): Promise<ChildProcess> {
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--daemonize", "no", "--logfile", ""];
  const child = spawn(BINARY, args, { stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`redis-server did not become ready within ${START_TIMEOUT_MS} ms:\n${output}`));
    }, START_TIMEOUT_MS);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes("Ready to accept connections")) {
        clearTimeout(timer);
        child.stdout?.off("data", onData);
        child.stdout?.resume();
        child.stderr?.resume();
        resolve(child);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (chunk: Buffer) => void (output += chunk.toString()));
    child.once("error", (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (e.code === "ENOENT") {
        const err = new Error(
          `redis-server is not installed (looked for \`${BINARY}\`): the Redis state tests need a real server; install it (Debian: apt-get install redis-server) or set REDIS_SERVER to its path`,
        ) as NodeJS.ErrnoException;
        err.code = "ENOENT";
        reject(err);
      } else reject(e);
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited before it was ready (code ${code}, signal ${signal}):\n${output}`));
    });
  });
}

async function stop(child: ChildProcess, dir: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  }
  rmSync(dir, { recursive: true, force: true });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
