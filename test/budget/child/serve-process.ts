/**
 * Runs `aigw serve` as a real OS process for the budget end-to-end tests
 * (crash.test.ts, processes.test.ts): the TypeScript sources through the
 * state tests' register hook, so no prior build is needed. The port is
 * chosen by the OS (`--port 0`) and read from the start-up line on stderr.
 * Every started process is remembered so `stopServes` (afterAll) ends it even
 * when a test fails half-way.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { aigwArgs } from "../../support/aigw-bin.js";

const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;

/** A running `aigw serve` child. */
export interface ServeProcess {
  /** `http://127.0.0.1:PORT`. */
  readonly base: string;
  readonly process: ChildProcess;
  /** Everything it wrote to stderr so far (start-up lines, errors). */
  stderr(): string;
  /** Everything it wrote to stdout so far: the access log, when started with `accessLog`. */
  stdout(): string;
  /** The JSON lines of stdout so far (access lines and decision records), parsed. */
  logLines<T = Record<string, unknown>>(): T[];
  /** Sends `signal` and resolves once the process has exited; SIGTERM escalates to SIGKILL after 5 s. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

const running = new Set<ServeProcess>();

/** Starts `aigw serve PATH --port 0` with `env` added to the environment; resolves once it listens. */
export async function startServe(
  path: string,
  env: Record<string, string>,
  options: { accessLog?: boolean; args?: readonly string[]; /** Default 15 s. */ startTimeoutMs?: number } = {},
): Promise<ServeProcess> {
  const flags = [...(options.accessLog ? [] : ["--no-access-log"]), ...(options.args ?? [])];
  const child = spawn(process.execPath, [...aigwArgs(), "serve", path, "--port", "0", "--host", "127.0.0.1", ...flags], {
    env: { ...process.env, ...env },
    stdio: ["ignore", options.accessLog ? "pipe" : "ignore", "pipe"],
  });
  let err = "";
  let out = "";
  child.stdout?.on("data", (chunk: Buffer) => void (out += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let base = "";
  const served: ServeProcess = {
    get base() {
      return base;
    },
    process: child,
    stderr: () => err,
    stdout: () => out,
    logLines: <T,>() =>
      out
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as T),
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      }
      running.delete(served);
    },
  };
  running.add(served);
  base = await new Promise<string>((resolve, reject) => {
    const startMs = options.startTimeoutMs ?? START_TIMEOUT_MS;
    const timer = setTimeout(() => reject(new Error(`aigw serve did not listen within ${startMs} ms:\n${err}`)), startMs);
    child.stderr!.on("data", (chunk: Buffer) => {
      err += chunk.toString();
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`aigw serve exited before listening (code ${code}, signal ${signal}):\n${err}`));
    });
  }).catch(async (e: unknown) => {
    await served.stop("SIGKILL");
    throw e;
  });
  return served;
}

/** Stops every process {@link startServe} started that is still running. */
export async function stopServes(): Promise<void> {
  await Promise.all([...running].map((s) => s.stop()));
}

/** One chat completion reply as the client saw it. */
export interface ChatOutcome {
  /** HTTP status, or undefined when the connection failed before the whole body arrived. */
  readonly status: number | undefined;
  /** The mock's usage of a 200 reply. */
  readonly usage?: { readonly prompt_tokens: number; readonly completion_tokens: number };
  /** The error body of a refusal. */
  readonly error?: { readonly code?: string; readonly message?: string };
}

/** POSTs one chat completion for model `chat` and reads the whole body. */
export async function chat(base: string, content: string, maxTokens: number): Promise<ChatOutcome> {
  try {
    const res = await fetch(`${base}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "chat", messages: [{ role: "user", content }], max_tokens: maxTokens }),
    });
    const body = (await res.json()) as { usage?: ChatOutcome["usage"]; error?: ChatOutcome["error"] };
    return { status: res.status, ...(body.usage ? { usage: body.usage } : {}), ...(body.error ? { error: body.error } : {}) };
  } catch {
    return { status: undefined };
  }
}

/** One row of `GET /admin/budgets`. */
export interface BudgetRow {
  readonly budget: string;
  readonly scope: string;
  readonly spent: number;
  readonly reserved: number;
  readonly limit: number;
}

/** The rows of `GET /admin/budgets` for budget `name`. */
export async function budgetRows(base: string, token: string, name: string): Promise<BudgetRow[]> {
  const res = await fetch(`${base}/admin/budgets`, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`GET /admin/budgets: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { budgets: BudgetRow[] };
  return body.budgets.filter((b) => b.budget === name);
}
