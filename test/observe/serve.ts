/**
 * `aigw serve` run in this process for the observability tests: the command
 * itself (policy check, real sockets on 127.0.0.1, real undici, the OTEL_*
 * environment it is given), without the tens of seconds a child process
 * spends loading the TypeScript sources on a busy machine.
 */
import { serveCommand } from "../../cli/commands/serve.js";
import type { Io } from "../../cli/io.js";

export interface Served {
  /** `http://127.0.0.1:PORT`. */
  base: string;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Stops it as SIGTERM would (in-flight requests finish, spans are flushed); resolves with the exit code. */
  stop(): Promise<number>;
}

const running = new Set<Served>();

/** Runs `aigw serve POLICY --port 0 --host 127.0.0.1 ...args` with exactly `env` as its environment; resolves once it listens. */
export function serve(policy: string, env: Record<string, string> = {}, args: string[] = []): Promise<Served> {
  let output = "";
  const io: Io = { out: (t) => void (output += t), err: (t) => void (output += t), isTty: false, env, cwd: process.cwd() };
  let signal!: (v: string) => void;
  const stopped = new Promise<string>((r) => (signal = r));
  return new Promise<Served>((resolve, reject) => {
    const done = serveCommand([policy, "--port", "0", "--host", "127.0.0.1", ...args], io, {
      stop: stopped,
      onListening: (g) => {
        const s: Served = {
          base: `http://127.0.0.1:${g.port}`,
          output: () => output,
          stop: () => {
            running.delete(s);
            signal("test");
            return done;
          },
        };
        running.add(s);
        resolve(s);
      },
    });
    void done.then((code) => reject(new Error(`aigw serve exited ${code}: ${output}`)));
  });
}

/** Stops every gateway {@link serve} started that is still running. */
export async function stopServed(): Promise<void> {
  await Promise.all([...running].map((s) => s.stop()));
}
