/**
 * bench/mock-upstream: the one OpenAI-compatible upstream every contender
 * of a bench talks to, on aigw's own uWS edge (runtime/server/uws.ts) so it
 * costs a few µs per request and is never the bottleneck.
 *
 * `POST /v1/chat/completions` answers a fixed, realistic completion with
 * `usage`; a body asking for `"stream":true` gets a server-sent-event
 * stream instead: 50 content chunks, each written in its own event-loop
 * turn (so they leave as separate packets, as a model's tokens do), then a
 * usage chunk and `data: [DONE]`. `POST /v1/messages` and
 * `POST /v1/responses` answer the same text in Anthropic's and the
 * Responses wire (bench/mock-wires.ts), each event in its own turn too.
 * The replies are built once; a request costs a byte search of its body,
 * not a JSON parse.
 *
 * A streamed request whose body carries {@link PACE_MARKER} and a whole
 * number of milliseconds (`"user":"bench-pace-20"`, see {@link pacedBody})
 * is paced: the role chunk and the first token chunk in consecutive turns,
 * then one event every that many milliseconds, as a model streams tokens
 * (the frame cells of issue 20: per-frame gap, concurrent streams).
 *
 * A second port, the "hold" port, serves the same replies but holds every
 * stream open after its first chunk, trickling one chunk per stream every
 * 500 ms, until {@link MockUpstream.release}: the memory bench opens
 * 1,000 streams through a gateway against it and samples the gateway's RSS
 * while they are all open.
 */
import { createHttpServer, type HeaderList, type HttpRequest, type HttpResponse } from "../runtime/server/uws.js";
import { ANTHROPIC_MESSAGE, anthropicEvents, REPLY_TEXT, RESPONSE, responsesEvents, STREAM_CHUNKS, USAGE } from "./mock-wires.js";

export { STREAM_CHUNKS } from "./mock-wires.js";
const HOLD_TICK_MS = 500;
const CREATED = 1_700_000_000;
const JSON_HEADERS: HeaderList = [["content-type", "application/json"]];
const SSE_HEADERS: HeaderList = [
  ["content-type", "text/event-stream"],
  ["cache-control", "no-cache"],
];
const STREAM_NEEDLE = Buffer.from('"stream":true');

/** The marker a streamed request body carries, followed by whole milliseconds, to be paced. */
export const PACE_MARKER = "bench-pace-";
const PACE_NEEDLE = Buffer.from(PACE_MARKER);
/** Paces above this are not honoured (a typo must not hold a stream for minutes). */
const MAX_PACE_MS = 5_000;

/** `body` (a JSON request) with the pace marker in its `user` field: the mock then streams one event every `ms`. */
export function pacedBody(body: string, ms: number): string {
  const request = JSON.parse(body) as Record<string, unknown>;
  return JSON.stringify({ ...request, user: `${PACE_MARKER}${Math.round(ms)}` });
}

/** The pace `body` asks for, ms, or undefined. */
export function paceOf(body: Buffer): number | undefined {
  const at = body.indexOf(PACE_NEEDLE);
  if (at < 0) return undefined;
  let ms = 0;
  let digits = 0;
  for (let i = at + PACE_NEEDLE.length; i < body.length && digits < 5; i++, digits++) {
    const c = body[i]!;
    if (c < 0x30 || c > 0x39) break;
    ms = ms * 10 + (c - 0x30);
  }
  return digits === 0 || ms > MAX_PACE_MS ? undefined : ms;
}

/** The non-streaming reply: a completion of about 1 KB with `usage`, as OpenAI sends it. */
export const COMPLETION = JSON.stringify({
  id: "chatcmpl-bench0000000000000000000001",
  object: "chat.completion",
  created: CREATED,
  model: "gpt-4o-mini-2024-07-18",
  choices: [
    {
      index: 0,
      message: {
        role: "assistant",
        content: REPLY_TEXT,
        refusal: null,
        annotations: [],
      },
      logprobs: null,
      finish_reason: "stop",
    },
  ],
  usage: { ...USAGE, prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0 } },
  service_tier: "default",
  system_fingerprint: "fp_bench",
});

const chunk = (choices: unknown[], usage?: unknown): string =>
  `data: ${JSON.stringify({ id: "chatcmpl-bench0000000000000000000002", object: "chat.completion.chunk", created: CREATED, model: "gpt-4o-mini-2024-07-18", system_fingerprint: "fp_bench", choices, ...(usage ? { usage } : {}) })}\n\n`;

/**
 * The streamed reply as the events it is written in: {@link STREAM_CHUNKS}
 * content chunks (the first carries the role, the last the finish reason),
 * then the usage chunk (empty `choices`, as with `stream_options.include_usage`)
 * and `data: [DONE]`.
 */
export function sseEvents(): string[] {
  const out: string[] = [];
  for (let i = 0; i < STREAM_CHUNKS; i++) {
    const delta = i === 0 ? { role: "assistant", content: "" } : { content: ` token${i}` };
    out.push(chunk([{ index: 0, delta, logprobs: null, finish_reason: i === STREAM_CHUNKS - 1 ? "stop" : null }]));
  }
  out.push(chunk([], USAGE));
  out.push("data: [DONE]\n\n");
  return out;
}

/** Requests one mock server has answered. */
export interface UpstreamStats {
  requests: number;
  streams: number;
  /** Requests whose body contained the counted needle (the features bench: an email that should have been redacted). */
  withNeedle: number;
  /** Requests by path: which wire the gateway sent (the APIs bench: pass-through or translated). */
  byPath: Record<string, number>;
}

/** One wire the mock answers: its path, its JSON reply and its events. */
interface WireReplies {
  json: string;
  events: string[];
}

export interface MockUpstream {
  readonly port: number;
  /** The port whose streams stay open until {@link release}. */
  readonly holdPort: number;
  /** Counters of both ports together, since the start. */
  stats(): UpstreamStats;
  /** Streams currently held open on the hold port. */
  held(): number;
  /** Finishes every held stream (the rest of its chunks, usage, `[DONE]`); returns how many. */
  release(): number;
  close(): Promise<void>;
}

export interface MockUpstreamOptions {
  host?: string;
  /** A string whose presence in request bodies is counted ({@link UpstreamStats.withNeedle}). */
  needle?: string;
}

/** Starts the mock upstream (both ports) on `host` (default 127.0.0.1). */
export async function startMockUpstream(options: MockUpstreamOptions = {}): Promise<MockUpstream> {
  const host = options.host ?? "127.0.0.1";
  const needle = options.needle === undefined ? undefined : Buffer.from(options.needle);
  const events = sseEvents();
  const wires = new Map<string, WireReplies>([
    ["/v1/chat/completions", { json: COMPLETION, events }],
    ["/v1/messages", { json: ANTHROPIC_MESSAGE, events: anthropicEvents() }],
    ["/v1/responses", { json: RESPONSE, events: responsesEvents() }],
  ]);
  const stats: UpstreamStats = { requests: 0, streams: 0, withNeedle: 0, byPath: {} };
  const held = new Set<{ res: HttpResponse; next: number }>();

  /** Writes `events` from `from` on, one per event-loop turn, then ends. */
  const streamFrom = (res: HttpResponse, from: number, events: readonly string[]): void => {
    let i = from;
    const step = (): void => {
      if (res.aborted) return;
      if (i === events.length - 1) {
        res.end(events[i]!);
        return;
      }
      res.write(events[i++]!);
      setImmediate(step);
    };
    step();
  };

  /** Writes the first two events in consecutive turns, then one every `ms`, then ends. */
  const paced = (res: HttpResponse, events: readonly string[], ms: number): void => {
    let i = 0;
    const step = (): void => {
      if (res.aborted) return;
      if (i === events.length - 1) {
        res.end(events[i]!);
        return;
      }
      res.write(events[i++]!);
      if (i < 2) setImmediate(step);
      else setTimeout(step, ms);
    };
    step();
  };

  const handler = (hold: boolean) => async (req: HttpRequest, res: HttpResponse): Promise<void> => {
    const wire = req.method === "POST" ? wires.get(req.path) : undefined;
    if (wire === undefined) {
      res.send(404, JSON_HEADERS, '{"error":{"message":"not found","type":"invalid_request_error"}}');
      return;
    }
    const body = await req.body();
    stats.requests++;
    stats.byPath[req.path] = (stats.byPath[req.path] ?? 0) + 1;
    if (needle && body.includes(needle)) stats.withNeedle++;
    if (!body.includes(STREAM_NEEDLE)) {
      res.send(200, JSON_HEADERS, wire.json);
      return;
    }
    stats.streams++;
    res.start(200, SSE_HEADERS);
    const pace = paceOf(body);
    if (pace !== undefined && !hold) {
      paced(res, wire.events, pace);
      return;
    }
    if (!hold || wire.events !== events) {
      // The hold port holds chat streams only (the memory bench); other wires stream at once.
      streamFrom(res, 0, wire.events);
      return;
    }
    res.write(events[0]!);
    const entry = { res, next: 1 };
    held.add(entry);
    res.onAbort(() => held.delete(entry));
  };

  // One tick for all held streams: a chunk each, never the last content chunk (release sends the rest).
  const ticker = setInterval(() => {
    for (const h of held) if (h.next < STREAM_CHUNKS - 1) h.res.write(events[h.next++]!);
  }, HOLD_TICK_MS);
  ticker.unref();

  const main = createHttpServer({ bodyLimit: () => 1 << 20, handler: handler(false) });
  const holding = createHttpServer({ bodyLimit: () => 1 << 20, handler: handler(true) });
  const port = await main.listen(host, 0);
  const holdPort = await holding.listen(host, 0);
  return {
    port,
    holdPort,
    stats: () => ({ ...stats, byPath: { ...stats.byPath } }),
    held: () => held.size,
    release() {
      const all = [...held];
      held.clear();
      for (const h of all) streamFrom(h.res, h.next, events);
      return all.length;
    },
    async close() {
      clearInterval(ticker);
      await Promise.all([main.close(500), holding.close(500)]);
    },
  };
}
