/**
 * A fake OpenAI upstream that bills like a provider: a real node:http
 * server on 127.0.0.1 whose usage is computed from the request it receives.
 * The honest bill is the most a real provider could charge: input = the
 * UTF-8 bytes of everything that reaches the model (byte-level BPE: a token
 * covers at least one byte) plus each image at its worst published price,
 * output = `max_completion_tokens`/`max_tokens` × `n`. A test may make it lie
 * (`bill`), leave usage out of streams, or reply with tool calls, so the
 * gateway's reservation can be checked against what the upstream claims.
 * `POST …/embeddings` answers vectors billed at every input byte.
 *
 * The gateway's own charge is read from the store; `billed` sums what the
 * upstream claimed, for comparison.
 */
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { replyEvents, replyJson } from "./upstreams.js";

/** Usage as the upstream will report it. */
export interface Bill {
  prompt: number;
  completion: number;
}

/** The request fields the bill reads. */
interface Billed {
  messages?: unknown;
  tools?: unknown;
  response_format?: unknown;
  max_tokens?: number;
  max_completion_tokens?: number;
  n?: number;
  stream?: boolean;
}

/** The worst published per-image input price (runtime/budget/cost.ts's IMAGE_TOKENS). */
export const WORST_IMAGE_TOKENS = 48_169;

/** The most an honest provider bills for `body`. */
export function honestBill(body: Billed): Bill {
  // Only what reaches the model: an absent field is no input (no `null` placeholders, no wrapping).
  const parts = [body.messages, body.tools, body.response_format].filter((p) => p !== undefined && p !== null).map((p) => JSON.stringify(p));
  const images = parts.reduce((n, json) => n + (json.match(/"type":"image_url"/g) ?? []).length, 0);
  const prompt = parts.reduce((n, json) => n + Buffer.byteLength(json), 0) + images * WORST_IMAGE_TOKENS;
  const completion = (body.max_completion_tokens ?? body.max_tokens ?? 16) * (body.n ?? 1);
  return { prompt, completion };
}

export interface BillingUpstream {
  readonly baseUrl: string;
  /** How usage is computed from a request (default {@link honestBill}). */
  bill: (body: Billed) => Bill;
  /** Leave the usage chunk out of streams (as an upstream that ignores `stream_options` does). */
  streamUsage: boolean;
  /** Reply with one tool call whose arguments hold this many bytes (and no text). */
  toolCallBytes: number;
  /** Usage reported so far, summed. */
  readonly billed: { prompt: number; completion: number; requests: number };
  close(): Promise<void>;
}

/** Starts a billing upstream on an ephemeral port. */
export async function startBillingUpstream(): Promise<BillingUpstream> {
  const sockets = new Set<Socket>();
  const billed = { prompt: 0, completion: 0, requests: 0 };
  const up: BillingUpstream = {
    baseUrl: "",
    bill: honestBill,
    streamUsage: true,
    toolCallBytes: 0,
    billed,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
  const server: Server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on("data", (c: Buffer) => parts.push(c));
    req.on("end", () => {
      const body = JSON.parse(Buffer.concat(parts).toString("utf8")) as Billed;
      if (req.url?.endsWith("/embeddings")) return void embeddings(body as { input: unknown }, res);
      const bill = up.bill(body);
      billed.prompt += bill.prompt;
      billed.completion += bill.completion;
      billed.requests++;
      const spec = {
        text: up.toolCallBytes > 0 ? "" : "ok",
        usage: bill,
        ...(up.toolCallBytes > 0 ? { toolCalls: [{ name: "f", arguments: { a: "x".repeat(up.toolCallBytes) } }] } : {}),
      };
      if (body.stream !== true) {
        const text = JSON.stringify(replyJson("openai", body, spec));
        res.writeHead(200, { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)) }).end(text);
        return;
      }
      // The usage chunk only when asked for and not withheld.
      const streamed = up.streamUsage ? { ...body, stream_options: { include_usage: true } } : { ...body, stream_options: { include_usage: false } };
      res.writeHead(200, { "content-type": "text/event-stream" });
      for (const e of replyEvents("openai", streamed, spec)) res.write(e);
      res.end();
    });
  });
  /** An embeddings reply, billed every input byte as a token (and no output). */
  function embeddings(body: { input: unknown }, res: ServerResponse): void {
    const inputs = Array.isArray(body.input) && typeof body.input[0] !== "number" ? (body.input as unknown[]) : [body.input];
    const prompt = inputs.reduce<number>((sum, x) => sum + (typeof x === "string" ? Buffer.byteLength(x) : JSON.stringify(x).length), 0);
    billed.prompt += prompt;
    billed.requests++;
    const data = inputs.map((_, index) => ({ object: "embedding", index, embedding: [0, 1] }));
    const text = JSON.stringify({ object: "list", data, model: "m", usage: { prompt_tokens: prompt, total_tokens: prompt } });
    res.writeHead(200, { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)) }).end(text);
  }
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  (up as { baseUrl: string }).baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return up;
}
