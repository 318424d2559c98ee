/**
 * Fake LLM upstreams for tests: real node:http servers on 127.0.0.1
 * (ephemeral ports) speaking the OpenAI chat-completions and Anthropic
 * Messages wire formats, JSON and server-sent events; an `openai` one also
 * answers `POST /v1/responses` in the Responses wire (responses-wire.ts),
 * with the same behaviours. Each test tells a
 * server how to behave — reply, fail with a status, stall, cut a stream,
 * send garbage — and reads back what the server received.
 *
 *   const up = await startUpstream("openai");          // up.baseUrl → http://127.0.0.1:PORT/v1
 *   up.next(behave.fail(429, { retryAfter: "2" }), behave.reply({ text: "hi" }));
 *   … point a provider's base_url at up.baseUrl …
 *   expect(up.requests[0].body.model).toBe("gpt-4o");
 *   afterEach(closeAllUpstreams);                      // never leaks a server
 *
 * Queued behaviours (`next`) apply to the following requests in order;
 * once the queue is empty, the default (`setDefault`, normally a reply)
 * applies. A stream is sent when the request body has `stream: true`.
 * Large bodies are written with backpressure and stop as soon as the client
 * goes away, so a test of a 50 MB reply costs no more than the client reads.
 */

import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { RESPONSES_KEEPALIVE, responsesEvents, responsesJson } from "./responses-wire.js";

export type UpstreamKind = "openai" | "anthropic";

/** The wire one request is answered in: its upstream's kind, or Responses for `POST /v1/responses` to an `openai` upstream. */
export type Wire = UpstreamKind | "responses";

/** What a normal reply contains; every field has a default. */
export interface ReplySpec {
  /** Default: `hello from <kind>`. Empty string: no text (e.g. tool calls only). */
  text?: string;
  toolCalls?: { id?: string; name: string; arguments: Record<string, unknown> }[];
  /**
   * Default 11 prompt and 7 completion tokens. `cacheRead` / `cacheWrite`:
   * of the prompt, read from / written to the prompt cache (Anthropic's
   * `cache_read_input_tokens` / `cache_creation_input_tokens`, with
   * `input_tokens` the rest; OpenAI's `prompt_tokens_details.cached_tokens`).
   */
  usage?: Usage;
  /** Leave usage out of the reply (and out of the stream). */
  omitUsage?: boolean;
  /** In OpenAI terms; translated for Anthropic (`content_filter` is its `refusal`). Default `tool_calls` with tool calls, else `stop`. */
  finish?: "stop" | "length" | "tool_calls" | "content_filter";
  /** Default: the `model` of the request. */
  model?: string;
}

export type Behaviour =
  | { kind: "reply"; reply: ReplySpec; delayMs: number }
  | { kind: "status"; status: number; retryAfter?: string; body?: unknown; echoAuth: boolean }
  | { kind: "stall-headers" }
  | { kind: "stall-body" }
  | { kind: "cut-stream"; afterEvents: number; how: "end" | "destroy" }
  | { kind: "invalid-json" }
  | { kind: "reset" }
  | { kind: "raw"; status: number; headers: Record<string, string>; writes: string[] }
  | { kind: "wrong-type"; contentType: string; body: string }
  | { kind: "large"; bytes: number; shape: LargeShape }
  | { kind: "no-end"; finish: boolean }
  | { kind: "garbage"; at: GarbagePlace }
  | { kind: "reset-mid-body" }
  | { kind: "pings"; afterFirst: boolean; intervalMs: number }
  | { kind: "drip"; gapMs: number };

/** How {@link behave.largeBody} lays out a large stream. */
export type LargeShape = "events" | "line" | "data-lines";

/** Where {@link behave.garbage} puts its garbage. */
export type GarbagePlace = "between" | "first" | "after-first";

/** Constructors for behaviours. */
export const behave = {
  /** A normal reply (JSON, or SSE when the request streams), after `delayMs`. */
  reply: (reply: ReplySpec = {}, delayMs = 0): Behaviour => ({ kind: "reply", reply, delayMs }),
  /**
   * An error status with an OpenAI/Anthropic-style error body; `echoAuth`
   * puts the request's `authorization` and `x-api-key` values into the
   * message, as a careless upstream might.
   */
  fail: (status: number, opts: { retryAfter?: string; body?: unknown; echoAuth?: boolean } = {}): Behaviour => {
    const b: Behaviour = { kind: "status", status, echoAuth: opts.echoAuth ?? false };
    if (opts.retryAfter !== undefined) b.retryAfter = opts.retryAfter;
    if (opts.body !== undefined) b.body = opts.body;
    return b;
  },
  /** Never sends headers; the request hangs until the client gives up. */
  stallHeaders: (): Behaviour => ({ kind: "stall-headers" }),
  /** Sends 200 headers and the first part of the body (first event of a stream), then hangs. */
  stallBody: (): Behaviour => ({ kind: "stall-body" }),
  /**
   * Streams `afterEvents` whole events, then half an event, then either
   * ends the response cleanly (`end`) or destroys the socket (`destroy`).
   */
  cutStream: (afterEvents = 1, how: "end" | "destroy" = "destroy"): Behaviour => ({ kind: "cut-stream", afterEvents, how }),
  /** 200 with a JSON content type and a body that is not JSON (or not-JSON SSE data). */
  invalidJson: (): Behaviour => ({ kind: "invalid-json" }),
  /** Destroys the connection without answering. */
  reset: (): Behaviour => ({ kind: "reset" }),
  /** Exactly these bytes, each string one write. */
  raw: (status: number, headers: Record<string, string>, writes: string[]): Behaviour => ({ kind: "raw", status, headers, writes }),
  /**
   * 200 with the wrong content type, whatever was asked for (JSON or a
   * stream): by default an HTML error page, as a proxy or load balancer in
   * front of a model server sends.
   */
  wrongContentType: (contentType = "text/html; charset=utf-8", body = "<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>"): Behaviour => ({
    kind: "wrong-type",
    contentType,
    body,
  }),
  /**
   * A well-formed 200 of about `bytes` bytes. JSON: one completion whose text
   * fills the body. Stream, `events`: the text spread over many ordinary
   * content events (each under 256 KiB), ending properly; `line`: the text in
   * one single event sent first, so the body is one huge line; `data-lines`:
   * one event sent first made of 64 KiB `data:` lines, never closed.
   */
  largeBody: (bytes: number, shape: LargeShape = "events"): Behaviour => ({ kind: "large", bytes, shape }),
  /**
   * A stream that ends cleanly but without its end marker (`[DONE]` for
   * OpenAI, `message_stop` for Anthropic); with `finish: false` (the
   * default) the finish reason and the usage (OpenAI's finish and usage
   * chunks, Anthropic's `message_delta`) are left out too. A non-streaming
   * request gets the same event stream.
   */
  noEnd: (opts: { finish?: boolean } = {}): Behaviour => ({ kind: "no-end", finish: opts.finish ?? false }),
  /**
   * An event stream with garbage in it. `between`: lines the event-stream
   * format ignores (comments, lines without a colon, unknown fields, extra
   * blank lines) between the events of a normal reply; `first`: a `data:`
   * event that is not JSON before the reply; `after-first`: the same after
   * the first event. A non-streaming request gets the same event stream.
   */
  garbage: (at: GarbagePlace = "between"): Behaviour => ({ kind: "garbage", at }),
  /**
   * 200 headers, the first event (with `afterFirst`; by default), then only
   * keep-alives every `intervalMs` until the client goes away: an SSE comment
   * for OpenAI, a `ping` event for Anthropic. A non-streaming request gets
   * half its body, then a space every `intervalMs` (the body never ends).
   */
  stallWithPings: (opts: { afterFirst?: boolean; intervalMs?: number } = {}): Behaviour => ({
    kind: "pings",
    afterFirst: opts.afterFirst ?? true,
    intervalMs: opts.intervalMs ?? 50,
  }),
  /**
   * A normal streamed reply whose events are sent `gapMs` apart (the first
   * at once): a stream that is still in flight for a while, e.g. when the
   * gateway is told to stop.
   */
  drip: (gapMs: number): Behaviour => ({ kind: "drip", gapMs }),
  /** 200 headers and half the body (half the first event after one whole event, for a stream), then the socket is destroyed. */
  resetMidBody: (): Behaviour => ({ kind: "reset-mid-body" }),
};

/** One request as the fake upstream saw it. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /**
   * The body parsed as JSON, or the raw text if it was not JSON. Typed
   * loosely on purpose: tests read whatever fields they assert on.
   */
  body: any;
  /** The body exactly as it arrived (UTF-8). */
  text: string;
  /** Which TCP connection carried it (1, 2, … in accept order). */
  connection: number;
  /** True once the client closed the connection before the response was complete. */
  clientAborted: boolean;
  /** Resolves when the client closes the connection before the response is complete. */
  aborted: Promise<void>;
}

export interface FakeUpstream {
  readonly kind: UpstreamKind;
  readonly port: number;
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  /** The base URL a provider's `base_url` takes: `…/v1` for OpenAI, the origin for Anthropic. */
  readonly baseUrl: string;
  /** Every request received, in order. */
  readonly requests: RecordedRequest[];
  /** TCP connections accepted so far. */
  readonly connections: number;
  /** Queues behaviours for the next requests, in order. */
  next(...behaviours: Behaviour[]): void;
  /** The behaviour once the queue is empty (initially `behave.reply()`). */
  setDefault(behaviour: Behaviour): void;
  /** Resolves once `count` requests have been received. */
  waitForRequests(count: number): Promise<void>;
  /** Stops the server and destroys every open connection. */
  close(): Promise<void>;
}

const running = new Set<FakeUpstream>();

/** Closes every upstream still running (use in `afterEach`/`afterAll`). */
export async function closeAllUpstreams(): Promise<void> {
  await Promise.all([...running].map((u) => u.close()));
}

/** A base URL of the given kind on a port where nothing listens (connections are refused). */
export async function refusedBaseUrl(kind: UpstreamKind = "openai"): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const origin = `http://127.0.0.1:${port}`;
  return kind === "openai" ? `${origin}/v1` : origin;
}

/** Starts a fake upstream of `kind` on an ephemeral port of 127.0.0.1. */
export async function startUpstream(kind: UpstreamKind): Promise<FakeUpstream> {
  const sockets = new Map<Socket, number>();
  const queue: Behaviour[] = [];
  const requests: RecordedRequest[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  let fallback: Behaviour = behave.reply();
  let connections = 0;
  let closing: Promise<void> | undefined;

  const server: Server = createServer((req, res) => {
    void handle(req, res);
  });
  server.keepAliveTimeout = 30_000;
  server.on("connection", (socket) => {
    sockets.set(socket, ++connections);
    socket.on("close", () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    let body: unknown = raw;
    try {
      body = JSON.parse(raw);
    } catch {
      // keep the text
    }
    let markAborted!: () => void;
    const aborted = new Promise<void>((resolve) => (markAborted = resolve));
    const record: RecordedRequest = {
      method: req.method ?? "",
      path: req.url ?? "",
      headers: req.headers,
      body,
      text: raw,
      connection: sockets.get(req.socket) ?? 0,
      clientAborted: false,
      aborted,
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
    const wire = req.method === "POST" ? wireOf(kind, req.url ?? "") : undefined;
    if (wire === undefined) {
      res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: `no route ${req.url}` } }));
      return;
    }
    await respond(wire, queue.shift() ?? fallback, record, res);
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;

  const upstream: FakeUpstream = {
    kind,
    port,
    origin,
    baseUrl: kind === "openai" ? `${origin}/v1` : origin,
    requests,
    get connections() {
      return connections;
    },
    next: (...behaviours) => void queue.push(...behaviours),
    setDefault: (behaviour) => void (fallback = behaviour),
    waitForRequests: (count) =>
      requests.length >= count ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ count, resolve })),
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        running.delete(upstream);
        server.close(() => resolve());
        for (const socket of sockets.keys()) socket.destroy();
      });
      return closing;
    },
  };
  running.add(upstream);
  return upstream;
}

function wireOf(kind: UpstreamKind, path: string): Wire | undefined {
  if (kind === "anthropic") return path === "/v1/messages" ? "anthropic" : undefined;
  return path === "/v1/chat/completions" ? "openai" : path === "/v1/responses" ? "responses" : undefined;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of req) parts.push(chunk as Buffer);
  return Buffer.concat(parts).toString("utf8");
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function respond(kind: Wire, b: Behaviour, req: RecordedRequest, res: ServerResponse): Promise<void> {
  const streaming = field(req.body, "stream") === true;
  switch (b.kind) {
    case "reply": {
      if (b.delayMs > 0) await sleep(b.delayMs);
      if (res.destroyed) return;
      if (!streaming) return void json(res, 200, replyJson(kind, req.body, b.reply));
      res.writeHead(200, SSE_HEADERS);
      for (const event of replyEvents(kind, req.body, b.reply)) res.write(event);
      return void res.end();
    }
    case "status": {
      const headers: Record<string, string> = b.retryAfter === undefined ? {} : { "retry-after": b.retryAfter };
      const auth = `${req.headers.authorization ?? ""} ${req.headers["x-api-key"] ?? ""}`.trim();
      const message = b.echoAuth ? `invalid credentials: ${auth}` : `fake failure ${b.status}`;
      return void json(res, b.status, b.body ?? errorBody(kind, message), headers);
    }
    case "stall-headers":
      return; // the response stays open until the client or close() ends it
    case "stall-body": {
      if (!streaming) {
        const text = JSON.stringify(replyJson(kind, req.body, {}));
        res.writeHead(200, { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)) });
        return void res.write(text.slice(0, text.length >> 1));
      }
      res.writeHead(200, SSE_HEADERS);
      return void res.write(replyEvents(kind, req.body, {})[0]!);
    }
    case "cut-stream": {
      const events = replyEvents(kind, req.body, {});
      res.writeHead(200, SSE_HEADERS);
      for (const event of events.slice(0, b.afterEvents)) res.write(event);
      const partial = events[b.afterEvents] ?? "data: {\"partial\": tr";
      res.write(partial.slice(0, Math.max(1, partial.length >> 1)));
      if (b.how === "end") return void res.end();
      await sleep(10); // let the partial event reach the client before the reset
      return void res.socket?.destroy();
    }
    case "invalid-json": {
      if (!streaming) return void rawReply(res, 200, { "content-type": "application/json" }, ["{\"id\": \"x\", \"choices\": [tru"]);
      return void rawReply(res, 200, SSE_HEADERS, ["data: {not json}\n\n"]);
    }
    case "reset":
      return void res.socket?.destroy();
    case "raw":
      return void rawReply(res, b.status, b.headers, b.writes);
    case "wrong-type":
      return void rawReply(res, 200, { "content-type": b.contentType }, [b.body]);
    case "large":
      return large(kind, b.bytes, b.shape, streaming, req.body, res);
    case "no-end": {
      const events = replyEvents(kind, req.body, {}).filter((e) => !isEndEvent(kind, e) && (b.finish || !isFinishEvent(kind, e)));
      return void rawReply(res, 200, SSE_HEADERS, events);
    }
    case "garbage":
      return void rawReply(res, 200, SSE_HEADERS, garbageEvents(kind, req.body, b.at));
    case "drip": {
      res.writeHead(200, SSE_HEADERS);
      const events = replyEvents(kind, req.body, {});
      for (let i = 0; i < events.length; i++) {
        if (i > 0) await sleep(b.gapMs);
        if (res.destroyed) return;
        res.write(events[i]!);
      }
      return void res.end();
    }
    case "pings": {
      let ping = kind === "anthropic" ? `event: ping\ndata: {"type": "ping"}\n\n` : kind === "responses" ? RESPONSES_KEEPALIVE : ": keep-alive\n\n";
      if (streaming) {
        res.writeHead(200, SSE_HEADERS);
        if (b.afterFirst) res.write(replyEvents(kind, req.body, {})[0]!);
      } else {
        const text = JSON.stringify(replyJson(kind, req.body, {}));
        res.writeHead(200, { "content-type": "application/json" });
        res.write(text.slice(0, text.length >> 1));
        ping = " ";
      }
      let open = true;
      res.once("close", () => (open = false)); // the client left, or close() destroyed the socket
      while (open) {
        await sleep(b.intervalMs);
        if (open) res.write(ping);
      }
      return;
    }
    case "reset-mid-body": {
      if (streaming) return respond(kind, behave.cutStream(1, "destroy"), req, res);
      const text = JSON.stringify(replyJson(kind, req.body, {}));
      res.writeHead(200, { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)) });
      res.write(text.slice(0, text.length >> 1));
      await sleep(10); // let the half body reach the client before the reset
      return void res.socket?.destroy();
    }
  }
}

/** Responses' last event, which says how it finished and carries the usage. */
const isResponsesEnd = (event: string) => event.startsWith("event: response.completed") || event.startsWith("event: response.incomplete");

/** OpenAI's `[DONE]`, Anthropic's `message_stop` or Responses' last event. */
function isEndEvent(kind: Wire, event: string): boolean {
  if (kind === "responses") return isResponsesEnd(event);
  return kind === "openai" ? event.startsWith("data: [DONE]") : event.startsWith("event: message_stop");
}

/** OpenAI's chunk with a finish reason and its usage chunk, Anthropic's `message_delta` (the stop reason and usage), Responses' last event. */
function isFinishEvent(kind: Wire, event: string): boolean {
  if (kind === "responses") return isResponsesEnd(event);
  return kind === "openai" ? /"finish_reason":"[a-z_]+"|"choices":\[\]/.test(event) : event.startsWith("event: message_delta");
}

/** Lines the event-stream format ignores: a comment, a line without a colon, `retry`, an unknown field, blank lines. */
const IGNORED_LINES = [": keep-alive\n", "garbage without a colon\n", "retry: 1000\n", "x-unknown-field: {not json}\n", "\n\n"];
const GARBAGE_EVENT = "data: <html>not json at all{{\n\n";

function garbageEvents(kind: Wire, body: unknown, at: GarbagePlace): string[] {
  const events = replyEvents(kind, body, {});
  if (at === "first") return [GARBAGE_EVENT, ...events];
  if (at === "after-first") return [events[0]!, GARBAGE_EVENT, ...events.slice(1)];
  return events.flatMap((e, i) => [IGNORED_LINES[i % IGNORED_LINES.length]!, e]);
}

/** Filler text, built once per size (a 50 MB string takes a moment). */
const fillers = new Map<number, string>();
function filler(length: number): string {
  let text = fillers.get(length);
  if (text === undefined) fillers.set(length, (text = "x".repeat(length)));
  return text;
}

const LARGE_WRITE = 1 << 20;
const LARGE_EVENT_TEXT = 192 * 1024;

/** Writes a large, well-formed reply (see {@link behave.largeBody}) with backpressure. */
async function large(kind: Wire, bytes: number, shape: LargeShape, streaming: boolean, body: unknown, res: ServerResponse): Promise<void> {
  if (!streaming) {
    // A marker in a normal reply, replaced by the filler: the JSON stays valid whatever the size.
    const [head, tail] = JSON.stringify(replyJson(kind, body, { text: "\u0000FILL\u0000" })).split("\\u0000FILL\\u0000") as [string, string];
    const text = filler(Math.max(0, bytes - head.length - tail.length));
    res.writeHead(200, { "content-type": "application/json", "content-length": String(head.length + text.length + tail.length) });
    return writeAll(res, [head, ...slices(text, LARGE_WRITE), tail]);
  }
  if (kind === "responses") throw new Error("largeBody streams are not written for the Responses wire");
  const frame = replyEvents(kind, body, { text: "" });
  // Where content events go: after OpenAI's role chunk; after Anthropic's message_start (with a text block opened).
  const open = kind === "openai" ? [frame[0]!] : [frame[0]!, contentBlockStart()];
  const close = kind === "openai" ? frame.slice(1) : [contentBlockStop(), ...frame.slice(1)];
  res.writeHead(200, SSE_HEADERS);
  if (shape === "line") return writeAll(res, [contentEvent(kind, filler(bytes)), ...open, ...close]);
  if (shape === "data-lines") {
    const line = `data: ${filler(64 * 1024)}\n`;
    return writeAll(res, Array.from({ length: Math.ceil(bytes / line.length) }, () => line));
  }
  const count = Math.max(1, Math.ceil(bytes / LARGE_EVENT_TEXT));
  const piece = contentEvent(kind, filler(Math.ceil(bytes / count)));
  return writeAll(res, [...open, ...Array.from({ length: count }, () => piece), ...close]);
}

function contentEvent(kind: UpstreamKind, text: string): string {
  if (kind === "anthropic") {
    return `event: content_block_delta\ndata: ${JSON.stringify({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text } })}\n\n`;
  }
  const chunk = { id: "chatcmpl-fake-large", object: "chat.completion.chunk", created: 1_700_000_000, model: "fake-model", choices: [{ index: 0, delta: { content: text }, finish_reason: null }] };
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

function contentBlockStart(): string {
  return `event: content_block_start\ndata: ${JSON.stringify({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } })}\n\n`;
}

function contentBlockStop(): string {
  return `event: content_block_stop\ndata: ${JSON.stringify({ type: "content_block_stop", index: 0 })}\n\n`;
}

function* slices(text: string, size: number): Generator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

/** Writes each part, waiting for `drain` when the socket is full; stops once the client is gone. */
async function writeAll(res: ServerResponse, parts: Iterable<string>): Promise<void> {
  let open = !res.destroyed;
  const closed = () => (open = false);
  res.once("close", closed);
  try {
    for (const part of parts) {
      if (!open) return;
      if (res.write(part)) continue;
      await new Promise<void>((resolve) => {
        const done = () => {
          res.off("drain", done);
          res.off("close", done);
          resolve();
        };
        res.on("drain", done);
        res.on("close", done);
      });
    }
    if (open) res.end();
  } finally {
    res.off("close", closed);
  }
}

const SSE_HEADERS = { "content-type": "text/event-stream", "cache-control": "no-cache" };

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

function rawReply(res: ServerResponse, status: number, headers: Record<string, string>, writes: string[]): void {
  res.writeHead(status, headers);
  for (const w of writes) res.write(w);
  res.end();
}

function errorBody(kind: Wire, message: string): unknown {
  return kind !== "anthropic"
    ? { error: { message, type: "fake_error", code: null } }
    : { type: "error", error: { type: "fake_error", message } };
}

// ---------------------------------------------------------------- reply bodies

interface Usage {
  prompt: number;
  completion: number;
  cacheRead?: number;
  cacheWrite?: number;
}

/** OpenAI's usage object. */
function openaiUsage(u: Usage): Record<string, unknown> {
  const out: Record<string, unknown> = { prompt_tokens: u.prompt, completion_tokens: u.completion, total_tokens: u.prompt + u.completion };
  if (u.cacheRead !== undefined) out["prompt_tokens_details"] = { cached_tokens: u.cacheRead };
  return out;
}

/** Anthropic's input counts: cache reads and writes apart from `input_tokens`. */
function anthropicInput(u: Usage | undefined): Record<string, number> {
  if (u === undefined) return { input_tokens: 0 };
  const read = u.cacheRead ?? 0;
  const write = u.cacheWrite ?? 0;
  if (u.cacheRead === undefined && u.cacheWrite === undefined) return { input_tokens: u.prompt };
  return { input_tokens: u.prompt - read - write, cache_creation_input_tokens: write, cache_read_input_tokens: read };
}

interface Resolved {
  text: string;
  toolCalls: { id: string; name: string; arguments: Record<string, unknown> }[];
  usage: Usage | undefined;
  finish: "stop" | "length" | "tool_calls" | "content_filter";
  model: string;
}

let counter = 0;

function field(body: unknown, name: string): unknown {
  return typeof body === "object" && body !== null ? (body as Record<string, unknown>)[name] : undefined;
}

function resolve(kind: Wire, body: unknown, spec: ReplySpec): Resolved {
  const toolCalls = (spec.toolCalls ?? []).map((t, i) => ({ id: t.id ?? `call_fake_${i}`, name: t.name, arguments: t.arguments }));
  return {
    text: spec.text ?? `hello from ${kind}`,
    toolCalls,
    usage: spec.omitUsage ? undefined : (spec.usage ?? { prompt: 11, completion: 7 }),
    finish: spec.finish ?? (toolCalls.length > 0 ? "tool_calls" : "stop"),
    model: spec.model ?? (typeof field(body, "model") === "string" ? (field(body, "model") as string) : "fake-model"),
  };
}

const ANTHROPIC_STOP = { stop: "end_turn", length: "max_tokens", tool_calls: "tool_use", content_filter: "refusal" } as const;

/** The non-streaming reply body. */
export function replyJson(kind: Wire, body: unknown, spec: ReplySpec): unknown {
  const r = resolve(kind, body, spec);
  const id = ++counter;
  if (kind === "responses") return responsesJson({ ...r, id });
  if (kind === "openai") {
    const message: Record<string, unknown> = { role: "assistant", content: r.text === "" && r.toolCalls.length ? null : r.text };
    if (r.toolCalls.length) {
      message.tool_calls = r.toolCalls.map((t) => ({ id: t.id, type: "function", function: { name: t.name, arguments: JSON.stringify(t.arguments) } }));
    }
    const reply: Record<string, unknown> = {
      id: `chatcmpl-fake-${id}`,
      object: "chat.completion",
      created: 1_700_000_000,
      model: r.model,
      choices: [{ index: 0, message, finish_reason: r.finish, logprobs: null }],
    };
    if (r.usage) reply.usage = openaiUsage(r.usage);
    return reply;
  }
  const content: unknown[] = r.text === "" ? [] : [{ type: "text", text: r.text }];
  for (const t of r.toolCalls) content.push({ type: "tool_use", id: t.id, name: t.name, input: t.arguments });
  return {
    id: `msg_fake_${id}`,
    type: "message",
    role: "assistant",
    model: r.model,
    content,
    stop_reason: ANTHROPIC_STOP[r.finish],
    stop_sequence: null,
    usage: { ...anthropicInput(r.usage), output_tokens: r.usage?.completion ?? 0 },
  };
}

/** The streaming reply, one string per SSE event (each ends with a blank line). */
export function replyEvents(kind: Wire, body: unknown, spec: ReplySpec): string[] {
  const r = resolve(kind, body, spec);
  const id = ++counter;
  if (kind === "responses") return responsesEvents({ ...r, id }, pieces);
  const includeUsage = field(field(body, "stream_options"), "include_usage") === true;
  return kind === "openai" ? openaiEvents(r, id, includeUsage) : anthropicEvents(r, id);
}

/** Splits text into two or three pieces so streams have several deltas. */
function pieces(text: string): string[] {
  if (text.length < 3) return text ? [text] : [];
  const a = Math.floor(text.length / 3);
  const b = Math.floor((2 * text.length) / 3);
  return [text.slice(0, a), text.slice(a, b), text.slice(b)];
}

function openaiEvents(r: Resolved, id: number, includeUsage: boolean): string[] {
  const base = { id: `chatcmpl-fake-${id}`, object: "chat.completion.chunk", created: 1_700_000_000, model: r.model };
  const chunk = (delta: unknown, finish: string | null = null) =>
    `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] })}\n\n`;
  const out = [chunk({ role: "assistant", content: "" })];
  for (const p of pieces(r.text)) out.push(chunk({ content: p }));
  r.toolCalls.forEach((t, index) => {
    out.push(chunk({ tool_calls: [{ index, id: t.id, type: "function", function: { name: t.name, arguments: "" } }] }));
    for (const p of pieces(JSON.stringify(t.arguments))) out.push(chunk({ tool_calls: [{ index, function: { arguments: p } }] }));
  });
  out.push(chunk({}, r.finish));
  if (includeUsage && r.usage) {
    out.push(`data: ${JSON.stringify({ ...base, choices: [], usage: openaiUsage(r.usage) })}\n\n`);
  }
  out.push("data: [DONE]\n\n");
  return out;
}

function anthropicEvents(r: Resolved, id: number): string[] {
  const ev = (type: string, data: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  const out = [
    ev("message_start", {
      message: {
        id: `msg_fake_${id}`,
        type: "message",
        role: "assistant",
        model: r.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...anthropicInput(r.usage), output_tokens: 1 },
      },
    }),
  ];
  let index = 0;
  if (r.text !== "") {
    out.push(ev("content_block_start", { index, content_block: { type: "text", text: "" } }));
    out.push(ev("ping", {}));
    for (const p of pieces(r.text)) out.push(ev("content_block_delta", { index, delta: { type: "text_delta", text: p } }));
    out.push(ev("content_block_stop", { index }));
    index++;
  }
  for (const t of r.toolCalls) {
    out.push(ev("content_block_start", { index, content_block: { type: "tool_use", id: t.id, name: t.name, input: {} } }));
    for (const p of pieces(JSON.stringify(t.arguments))) {
      out.push(ev("content_block_delta", { index, delta: { type: "input_json_delta", partial_json: p } }));
    }
    out.push(ev("content_block_stop", { index }));
    index++;
  }
  out.push(ev("message_delta", { delta: { stop_reason: ANTHROPIC_STOP[r.finish], stop_sequence: null }, usage: { output_tokens: r.usage?.completion ?? 0 } }));
  out.push(ev("message_stop", {}));
  return out;
}
