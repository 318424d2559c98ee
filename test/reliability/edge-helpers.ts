/**
 * Raw HTTP/1.1 over node:net for the edge reliability tests: what `fetch`
 * will not send (garbage, invalid UTF-8, pipelined requests in one write, a
 * body that drips or never ends, a client that leaves half-way) and what it
 * hides (whether the server closed the connection). Responses are parsed
 * from the bytes as they arrive, Content-Length or chunked. Every connection
 * opened here is destroyed by {@link closeRawConnections} (use it in
 * `afterEach`); traffic goes to 127.0.0.1 only. Also a real `aigw serve`
 * child process ({@link startServeChild}), stopped by {@link stopServeChildren}.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { connect, type Socket } from "node:net";
import { expect } from "vitest";
import { aigwArgs } from "../support/aigw-bin.js";

/** One parsed response. */
export interface RawResponse {
  status: number;
  /** Header names lower-cased; repeated ones joined with ", ". */
  headers: Record<string, string>;
  body: string;
}

/** The OpenAI-style error body, as asserted by {@link expectError}. */
export interface ErrorBody {
  message: string;
  type: string;
  param: string | null;
  code: string;
}

const open = new Set<RawConnection>();

/** Destroys every connection still open. */
export function closeRawConnections(): void {
  for (const c of open) c.destroy();
  open.clear();
}

/** A client connection that sends exactly the bytes it is given. */
export class RawConnection {
  /** Everything received so far, as latin1 (one char per byte). */
  received = "";
  /** True once the socket closed (either side). */
  isClosed = false;
  /** Indexes of the responses that have no body whatever their Content-Length says (the answers to HEAD requests). */
  readonly bodiless = new Set<number>();
  /** Resolves when the socket closed. */
  readonly closed: Promise<void>;
  private parsed = 0;
  private readonly responses: RawResponse[] = [];
  private waiters: (() => void)[] = [];

  private constructor(private readonly socket: Socket) {
    open.add(this);
    this.closed = new Promise((resolve) => {
      socket.on("close", () => {
        this.isClosed = true;
        open.delete(this);
        resolve();
        this.wake();
      });
    });
    socket.on("error", () => {
      // a reset is a close as far as these tests are concerned
    });
    socket.on("data", (chunk: Buffer) => {
      this.received += chunk.toString("latin1");
      this.parse();
      this.wake();
    });
  }

  /** Connects to 127.0.0.1:`port`. */
  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, "127.0.0.1");
      socket.setNoDelay(true);
      socket.once("connect", () => resolve(new RawConnection(socket)));
      socket.once("error", reject);
    });
  }

  write(data: string | Uint8Array): void {
    if (!this.socket.destroyed) this.socket.write(typeof data === "string" ? Buffer.from(data, "latin1") : data);
  }

  /** Closes from the client side without waiting (a client that goes away). */
  destroy(): void {
    this.socket.destroy();
  }

  /** Responses parsed so far. */
  get all(): readonly RawResponse[] {
    return this.responses;
  }

  /** Resolves with the `n`-th response (0-based) once it is complete; rejects if the socket closes first or after `timeoutMs`. */
  async response(n = 0, timeoutMs = 5000): Promise<RawResponse> {
    await this.until(() => this.responses.length > n, timeoutMs, `response ${n}`);
    return this.responses[n]!;
  }

  /** Resolves when `text` has been received (e.g. the first SSE event). */
  async sees(text: string, timeoutMs = 5000): Promise<void> {
    await this.until(() => this.received.includes(text), timeoutMs, JSON.stringify(text));
  }

  /** Resolves when the server closed the connection; rejects after `timeoutMs`. */
  async closedWithin(timeoutMs: number): Promise<void> {
    await this.until(() => this.isClosed, timeoutMs, "the connection to close", false);
  }

  private until(done: () => boolean, timeoutMs: number, what: string, failOnClose = true): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        if (done()) {
          clearTimeout(timer);
          resolve();
          return true;
        }
        if (failOnClose && this.isClosed) {
          clearTimeout(timer);
          reject(new Error(`connection closed before ${what}; received ${JSON.stringify(this.received.slice(0, 400))}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`timed out waiting for ${what}; received ${JSON.stringify(this.received.slice(0, 400))}`));
      }, timeoutMs);
      const waiter = () => {
        if (!check()) this.waiters.push(waiter);
      };
      waiter();
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Takes every complete response off the front of what was received. */
  private parse(): void {
    for (;;) {
      const text = this.received;
      const headEnd = text.indexOf("\r\n\r\n", this.parsed);
      if (headEnd < 0) return;
      const lines = text.slice(this.parsed, headEnd).split("\r\n");
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? "")?.[1] ?? NaN);
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(":");
        const k = line.slice(0, colon).trim().toLowerCase();
        const v = line.slice(colon + 1).trim();
        headers[k] = headers[k] === undefined ? v : `${headers[k]}, ${v}`;
      }
      let at = headEnd + 4;
      let body: string;
      if (this.bodiless.has(this.responses.length)) {
        body = "";
      } else if (headers["transfer-encoding"]?.includes("chunked")) {
        body = "";
        for (;;) {
          const eol = text.indexOf("\r\n", at);
          if (eol < 0) return;
          const size = parseInt(text.slice(at, eol), 16);
          if (text.length < eol + 2 + size + 2) return;
          body += text.slice(eol + 2, eol + 2 + size);
          at = eol + 2 + size + 2;
          if (size === 0) break;
        }
      } else {
        const length = Number(headers["content-length"] ?? 0);
        if (text.length < at + length) return;
        body = text.slice(at, at + length);
        at += length;
      }
      this.responses.push({ status, headers, body: Buffer.from(body, "latin1").toString("utf8") });
      this.parsed = at;
    }
  }
}

/** One request on a new connection: writes `data`, resolves with the first response (rejects if the server closes first). */
export async function rawRequest(port: number, data: string | Uint8Array, timeoutMs = 5000): Promise<{ res: RawResponse; conn: RawConnection }> {
  const conn = await RawConnection.open(port);
  conn.write(data);
  const res = await conn.response(0, timeoutMs);
  return { res, conn };
}

/** The bytes of a request; `body` (latin1 string or bytes) gets a Content-Length unless `headers` sets transfer-encoding. */
export function httpRequest(method: string, path: string, headers: Record<string, string>, body?: string | Uint8Array): Buffer {
  const bytes = body === undefined ? Buffer.alloc(0) : typeof body === "string" ? Buffer.from(body, "utf8") : Buffer.from(body);
  const all: Record<string, string> = { host: "127.0.0.1", ...headers };
  if (body !== undefined && all["transfer-encoding"] === undefined && all["content-length"] === undefined) all["content-length"] = String(bytes.length);
  const head = `${method} ${path} HTTP/1.1\r\n${Object.entries(all).map(([k, v]) => `${k}: ${v}\r\n`).join("")}\r\n`;
  return Buffer.concat([Buffer.from(head, "latin1"), bytes]);
}

/** Asserts an OpenAI-style JSON error (exactly `message`, `type`, `param`, `code`) and returns it. */
export function expectError(res: RawResponse | { headers: Record<string, string>; body: string }, status?: number): ErrorBody {
  if (status !== undefined && "status" in res) expect(res.status, res.body).toBe(status);
  expect(res.headers["content-type"]).toBe("application/json");
  const parsed = JSON.parse(res.body) as { error: ErrorBody };
  expect(Object.keys(parsed)).toEqual(["error"]);
  expect(Object.keys(parsed.error).sort()).toEqual(["code", "message", "param", "type"]);
  expect(typeof parsed.error.message).toBe("string");
  expect(typeof parsed.error.type).toBe("string");
  expect(typeof parsed.error.code).toBe("string");
  expect(parsed.error.param === null || typeof parsed.error.param === "string").toBe(true);
  return parsed.error;
}

/** Reads a fetch Response into the shape {@link expectError} takes. */
export async function fetched(r: Response): Promise<RawResponse> {
  const headers: Record<string, string> = {};
  r.headers.forEach((v, k) => (headers[k] = v));
  return { status: r.status, headers, body: await r.text() };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- a real `aigw serve` process


/** A running `aigw serve` child (the TypeScript sources through the test register hook). */
export interface ServeChild {
  readonly port: number;
  readonly base: string;
  readonly child: ChildProcess;
  /** Everything written so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or signal) once the process ended. */
  readonly exited: Promise<number | NodeJS.Signals | null>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process ended. */
  stop(graceMs?: number): Promise<number | NodeJS.Signals | null>;
}

const children = new Set<ServeChild>();

/** Starts `aigw serve POLICY_PATH --port 0 --host 127.0.0.1 ...args` with `env` added to the environment; resolves once it listens. */
export async function startServeChild(policyPath: string, args: string[] = [], timeoutMs = 15_000, env: Record<string, string> = {}): Promise<ServeChild> {
  const child = spawn(process.execPath, [...aigwArgs(), "serve", policyPath, "--port", "0", "--host", "127.0.0.1", ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout!.on("data", (c: Buffer) => void (out += c.toString()));
  child.stderr!.on("data", (c: Buffer) => void (err += c.toString()));
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal)));
  const handle: ServeChild = {
    port: 0,
    base: "",
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async stop(graceMs = 5000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
        await exited;
        clearTimeout(timer);
      }
      children.delete(handle);
      return exited;
    },
  };
  children.add(handle);
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`aigw serve did not listen within ${timeoutMs} ms:\n${err}`)), timeoutMs);
    const look = () => {
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stderr!.on("data", look);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`aigw serve exited (${code}) before listening:\n${err}`));
    });
  }).catch(async (e: unknown) => {
    await handle.stop();
    throw e;
  });
  return Object.assign(handle, { base, port: Number(new URL(base).port) });
}

/** Stops every child {@link startServeChild} started that is still running. */
export async function stopServeChildren(): Promise<void> {
  await Promise.all([...children].map((c) => c.stop()));
}
