/**
 * bench/cloud-adapters: what the Bedrock and Azure adapters cost per
 * request on the gateway's side, next to the OpenAI adapter, measured in
 * one run with the three interleaved in rounds (the machine's load moves
 * all of them alike), without a network: encoding the request from the
 * canonical request (for Bedrock, plus SigV4 signing), and decoding a
 * reply; and decoding a 120-event stream as AWS's binary event stream
 * (CRCs checked, headers read) next to the same events as server-sent
 * events, payloads JSON-parsed in both.
 *
 * Run: `npm run build && node dist/bench/cloud-adapters.js [--rounds N]`.
 */
import { performance } from "node:perf_hooks";
import { toConverseRequest } from "../runtime/providers/bedrock-request.js";
import { signRequest } from "../runtime/providers/bedrock-sign.js";
import { fromConverseResponse } from "../runtime/providers/bedrock-translate.js";
import { parseEventStream } from "../runtime/providers/bedrock-eventstream.js";
import { parseSse } from "../runtime/providers/sse.js";
import { openaiBody, chatRequest, toCompletion } from "../runtime/providers/openai.js";
import { decodeChat } from "../runtime/request/chat.js";
import type { ModelNode, ProviderNode } from "../compiler/graph.js";
import type { ProviderCall } from "../runtime/providers/types.js";
import { converseJson, eventFrame } from "../test/support/bedrock-upstream.js";
import { replyJson } from "../test/support/upstreams.js";

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const ROUNDS = arg("rounds", 20);
const PER_ROUND = 2_000;

const span = { file: "b", line: 1, column: 1, endLine: 1, endColumn: 1 };
const request = decodeChat({
  model: "chat",
  messages: [
    { role: "system", content: "You are a helpful assistant. Answer briefly." },
    { role: "user", content: "What is the weather in Paris today, and what should I wear? ".repeat(8) },
  ],
  tools: [{ type: "function", function: { name: "weather", description: "current weather", parameters: { type: "object", properties: { city: { type: "string" } } } } }],
  max_tokens: 400,
  temperature: 0.5,
});
const model: ModelNode = { provider: "p", upstream: "us.anthropic.claude-3-7-sonnet-20250219-v1:0", span };
const provider: ProviderNode = { api: "openai", timeoutMs: 1, span };
const call = { request, model, provider, providerName: "p", key: "k", signal: undefined, timeoutMs: 1, requestId: "r" } satisfies ProviderCall;
const creds = { region: "us-east-1", accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", sessionToken: "token" };
const url = new URL(`https://bedrock-runtime.us-east-1.amazonaws.com/model/${encodeURIComponent(model.upstream)}/converse`);
const text = "It is sunny and 21°C in Paris; a light jacket is enough. ".repeat(6);
const openaiReply = Buffer.from(JSON.stringify(replyJson("openai", { model: "gpt-4o" }, { text })));
const bedrockReply = Buffer.from(JSON.stringify(converseJson({ text })));
const meta = { id: "chatcmpl-r", model: model.upstream, createdSec: 1 };

const cases: Record<string, () => Promise<void> | void> = {
  openai: () => {
    JSON.stringify(openaiBody(chatRequest(call), model.upstream, false));
    toCompletion({ json: JSON.parse(openaiReply.toString()), bytes: openaiReply }, { provider: "p" });
  },
  azure: () => {
    const { model: _m, ...rest } = openaiBody(chatRequest(call), model.upstream, false);
    JSON.stringify(rest);
    toCompletion({ json: JSON.parse(openaiReply.toString()), bytes: openaiReply }, { provider: "p" });
  },
  "bedrock (encode+decode)": () => {
    JSON.stringify(toConverseRequest(request));
    fromConverseResponse(JSON.parse(bedrockReply.toString()), meta);
  },
  "bedrock (+SigV4)": async () => {
    const body = JSON.stringify(toConverseRequest(request));
    await signRequest(creds, url, { "content-type": "application/json", accept: "application/json" }, body, Date.now());
    fromConverseResponse(JSON.parse(bedrockReply.toString()), meta);
  },
};

// The same 120 text deltas (with Bedrock's padding) framed both ways.
const deltas = Array.from({ length: 120 }, (_, i) => ({ contentBlockIndex: 0, delta: { text: `word${i} ` } }));
const frames = Buffer.concat(deltas.map((d) => eventFrame("contentBlockDelta", d)));
const sse = Buffer.from(deltas.map((d) => `event: contentBlockDelta\ndata: ${JSON.stringify({ ...d, p: "abcdefghijklmnopqrstuvwx" })}\n\n`).join(""));
async function* chunked(buf: Buffer): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < buf.length; i += 1400) yield buf.subarray(i, i + 1400);
}
const streams: Record<string, () => Promise<void>> = {
  "event stream": async () => {
    for await (const _ of parseEventStream(chunked(frames)));
  },
  // JSON-parsed too, as parseEventStream parses each payload.
  sse: async () => {
    for await (const e of parseSse(chunked(sse))) JSON.parse(e.data);
  },
};

async function measure(fns: Record<string, () => Promise<void> | void>, perRound: number): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>(Object.keys(fns).map((k) => [k, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, fn] of Object.entries(fns)) {
      const start = performance.now();
      for (let i = 0; i < perRound; i++) await fn();
      out.get(name)!.push(((performance.now() - start) * 1000) / perRound);
    }
  }
  return out;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const perRequest = await measure(cases, PER_ROUND);
const base = median(perRequest.get("openai")!);
console.log(`per request, µs (median of ${ROUNDS} rounds of ${PER_ROUND}; ratio to openai):`);
for (const [name, xs] of perRequest) console.log(`  ${name.padEnd(26)} ${median(xs).toFixed(1).padStart(7)}  ×${(median(xs) / base).toFixed(2)}`);
const perStream = await measure(streams, 50);
console.log(`120 deltas as an event stream (${frames.length} bytes) and as SSE (${sse.length} bytes), decoded and each payload JSON-parsed, µs per stream:`);
for (const [name, xs] of perStream) console.log(`  ${name.padEnd(26)} ${median(xs).toFixed(1).padStart(7)}`);
