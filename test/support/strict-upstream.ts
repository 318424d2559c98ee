/**
 * The plumbing the provider-specific fakes (azure-upstream.ts,
 * bedrock-upstream.ts) share: a node:http server on 127.0.0.1 that records
 * every request (raw body bytes included, for signature checks), notices
 * when the client goes away, queues behaviours, and hands each request to
 * the fake's own handler, which validates it against the provider's API
 * reference and answers in its wire format.
 */

import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface StrictRequest {
  method: string;
  /** The path and query exactly as sent. */
  url: string;
  headers: IncomingHttpHeaders;
  /** Raw header pairs, for signature checks that must see what was sent. */
  rawHeaders: string[];
  text: string;
  /** Parsed JSON, or `undefined` when the body is not JSON. */
  json: unknown;
  clientAborted: boolean;
  aborted: Promise<void>;
}

export interface StrictServer<B> {
  readonly origin: string;
  readonly requests: StrictRequest[];
  next(...behaviours: B[]): void;
  waitForRequests(count: number): Promise<void>;
  close(): Promise<void>;
}

const running = new Set<StrictServer<unknown>>();

export async function closeStrictServers(): Promise<void> {
  await Promise.all([...running].map((s) => s.close()));
}

/** Starts a server whose handler gets each request with the next queued behaviour (or `fallback`). */
export async function startStrictServer<B>(
  fallback: B,
  handle: (req: StrictRequest, behaviour: B, res: ServerResponse) => Promise<void> | void,
): Promise<StrictServer<B>> {
  const sockets = new Set<Socket>();
  const queue: B[] = [];
  const requests: StrictRequest[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  let closing: Promise<void> | undefined;

  const server: Server = createServer((req, res) => void onRequest(req, res));
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    let markAborted!: () => void;
    const record: StrictRequest = {
      method: req.method ?? "",
      url: req.url ?? "",
      headers: req.headers,
      rawHeaders: req.rawHeaders,
      text,
      json,
      clientAborted: false,
      aborted: new Promise<void>((resolve) => (markAborted = resolve)),
    };
    res.on("close", () => {
      if (!res.writableFinished) {
        record.clientAborted = true;
        markAborted();
      }
    });
    requests.push(record);
    for (const w of waiters.filter((w) => requests.length >= w.count)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
    try {
      await handle(record, queue.shift() ?? fallback, res);
    } catch (err) {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" }).end(`fake upstream failed: ${String(err)}`);
      else res.destroy();
    }
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const s: StrictServer<B> = {
    origin: `http://127.0.0.1:${port}`,
    requests,
    next: (...b) => void queue.push(...b),
    waitForRequests: (count) => (requests.length >= count ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ count, resolve }))),
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        running.delete(s as StrictServer<unknown>);
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
  running.add(s as StrictServer<unknown>);
  return s;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
}
