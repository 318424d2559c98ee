/**
 * bench/soak/upstream: the mock OpenAI upstream of the soak, with one
 * behaviour per upstream model name (the policy's `up/"…"` strings):
 *
 *   healthy, backup, basic, meter   always answer (JSON or a short SSE stream)
 *   flaky       20% 503, 5% 500
 *   throttled   30% 429, half of them with `Retry-After: 1`
 *   slow        20–150 ms, and 15% take 1 s (past the route's 800 ms timeout, with room for the backup on a loaded machine)
 *   fragile     JSON: 15% reset, 10% truncated body; stream: 10% reset before
 *               the headers, 10% headers then reset, 15% one chunk then reset
 *   down, down-too    always 500
 *   stuck, stuck-too  never answer (the gateway's timeout ends them)
 *
 * node:http rather than the gateway's own edge: breaking a connection at a
 * chosen byte (`socket.destroy()`) is the point of several behaviours.
 *
 * Redaction is checked here, where it matters: a reply's text is `LEAK` when
 * the request still carried the soak's email address, `redacted` when it
 * carried the placeholder, and `ok` otherwise; the client checks the text.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { SOAK_EMAIL } from "./policy.js";

/** What the upstream saw, for the report. */
export interface UpstreamCounts {
  requests: number;
  /** Requests whose body still contained {@link SOAK_EMAIL}. */
  leaks: number;
  /** Faults injected, by behaviour (`flaky:503`, `fragile:reset` …). */
  faults: Record<string, number>;
}

/** A running mock upstream. */
export interface MockUpstream {
  /** `http://127.0.0.1:PORT`. */
  readonly origin: string;
  counts(): UpstreamCounts;
  /** Stops listening and destroys every open connection (the stuck ones included). */
  close(): Promise<void>;
}

const encoder = new TextEncoder();

/** Starts the upstream on a free port of 127.0.0.1; `random` decides the faults. */
export async function startUpstream(random: () => number): Promise<MockUpstream> {
  const counts: UpstreamCounts = { requests: 0, leaks: 0, faults: {} };
  const sockets = new Set<Socket>();
  const fault = (name: string): void => {
    counts.faults[name] = (counts.faults[name] ?? 0) + 1;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    counts.requests++;
    let body: { model?: unknown; stream?: unknown };
    try {
      body = JSON.parse(raw) as typeof body;
    } catch {
      res.writeHead(400, { "content-type": "application/json" }).end(errorJson("the gateway sent invalid JSON"));
      return;
    }
    const model = typeof body.model === "string" ? body.model : "";
    const stream = body.stream === true;
    const leaked = raw.includes(SOAK_EMAIL);
    if (leaked) counts.leaks++;
    const text = leaked ? "LEAK" : raw.includes("[EMAIL]") ? "redacted" : "ok";
    const promptTokens = Math.ceil(raw.length / 4);
    const r = random();

    switch (model) {
      case "flaky":
        if (r < 0.2) return status(res, 503, fault, "flaky:503");
        if (r < 0.25) return status(res, 500, fault, "flaky:500");
        break;
      case "throttled":
        if (r < 0.15) {
          fault("throttled:429+retry-after");
          res.writeHead(429, { "content-type": "application/json", "retry-after": "1" }).end(errorJson("slow down"));
          return;
        }
        if (r < 0.3) return status(res, 429, fault, "throttled:429");
        break;
      case "slow":
        if (r < 0.15) {
          fault("slow:1s");
          await sleep(1000);
        } else await sleep(20 + random() * 130);
        if (res.destroyed) return;
        break;
      case "fragile":
        if (!stream) {
          if (r < 0.15) return reset(req, fault, "fragile:reset");
          if (r < 0.25) {
            fault("fragile:truncated");
            res.writeHead(200, { "content-type": "application/json" }).end(completionJson(model, text, promptTokens).slice(0, 40));
            return;
          }
          break;
        }
        if (r < 0.1) return reset(req, fault, "fragile:reset");
        if (r < 0.2) {
          fault("fragile:headers-then-reset");
          res.writeHead(200, { "content-type": "text/event-stream" });
          res.flushHeaders();
          setTimeout(() => req.socket.destroy(), 2);
          return;
        }
        if (r < 0.35) {
          fault("fragile:mid-stream");
          res.writeHead(200, { "content-type": "text/event-stream" });
          res.write(sse(chunkJson(model, { role: "assistant", content: "par" }, null)));
          setTimeout(() => req.socket.destroy(), 5);
          return;
        }
        break;
      case "down":
      case "down-too":
        return status(res, 500, fault, `${model}:500`);
      case "stuck":
      case "stuck-too":
        fault(`${model}:hang`);
        return; // never answers; the gateway's timeout closes the connection
      default:
        break;
    }
    if (stream) await writeStream(res, model, text, promptTokens, model === "fragile" ? 3 : 0);
    else res.writeHead(200, { "content-type": "application/json" }).end(completionJson(model, text, promptTokens));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => req.socket.destroy());
  });
  server.keepAliveTimeout = 30_000;
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the mock upstream has no port");
  return {
    origin: `http://127.0.0.1:${address.port}`,
    counts: () => ({ requests: counts.requests, leaks: counts.leaks, faults: { ...counts.faults } }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}

function status(res: ServerResponse, code: number, fault: (name: string) => void, name: string): void {
  fault(name);
  res.writeHead(code, { "content-type": "application/json" }).end(errorJson(`injected ${code}`));
}

function reset(req: IncomingMessage, fault: (name: string) => void, name: string): void {
  fault(name);
  req.socket.destroy();
}

/** A short stream: role, two content deltas, the finish, the usage chunk, `[DONE]`; `gapMs` between events. */
async function writeStream(res: ServerResponse, model: string, text: string, promptTokens: number, gapMs: number): Promise<void> {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  const events = [
    chunkJson(model, { role: "assistant", content: "" }, null),
    chunkJson(model, { content: "soak: " }, null),
    chunkJson(model, { content: text }, null),
    chunkJson(model, {}, "stop"),
    JSON.stringify({ id: "chatcmpl-soak", object: "chat.completion.chunk", created: 1, model, choices: [], usage: usage(promptTokens) }),
  ];
  for (const e of events) {
    if (res.destroyed) return;
    res.write(sse(e));
    if (gapMs > 0) await sleep(gapMs);
  }
  res.end(encoder.encode("data: [DONE]\n\n"));
}

function usage(promptTokens: number): { prompt_tokens: number; completion_tokens: number; total_tokens: number } {
  return { prompt_tokens: promptTokens, completion_tokens: 4, total_tokens: promptTokens + 4 };
}

function completionJson(model: string, text: string, promptTokens: number): string {
  return JSON.stringify({
    id: "chatcmpl-soak",
    object: "chat.completion",
    created: 1,
    model,
    choices: [{ index: 0, message: { role: "assistant", content: `soak: ${text}` }, finish_reason: "stop", logprobs: null }],
    usage: usage(promptTokens),
  });
}

function chunkJson(model: string, delta: Record<string, string>, finish: string | null): string {
  return JSON.stringify({ id: "chatcmpl-soak", object: "chat.completion.chunk", created: 1, model, choices: [{ index: 0, delta, finish_reason: finish }] });
}

function errorJson(message: string): string {
  return JSON.stringify({ error: { message, type: "server_error", code: null } });
}

function sse(data: string): string {
  return `data: ${data}\n\n`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
