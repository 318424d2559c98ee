/**
 * Helpers for the server tests: compile policy text with the real compiler,
 * start the real gateway on 127.0.0.1 (ephemeral port) and point the official
 * `openai` client at it. Every gateway started here is closed by
 * `closeGateways` (use it in `afterEach`).
 */
import OpenAI from "openai";
import type { ChatCompletionCreateParamsNonStreaming, ChatCompletionCreateParamsStreaming } from "openai/resources/chat/completions";
import { compileSources } from "../../compiler/index.js";
import type { Graph } from "../../compiler/graph.js";
import { startGateway, type Gateway, type GatewayOptions } from "../../runtime/server/app.js";
import type { AccessEntry, Logger } from "../../runtime/observe/log.js";
import { hashKey } from "../../runtime/pipeline/auth.js";

/** A caller key and its hash line for a `keys` block. */
export const KEY = "sk-test-search-0001";
export const KEY_HASH = hashKey(KEY);

/** Compiles policy text; fails the test with the diagnostics when it does not compile. */
export function policy(text: string): Graph {
  const result = compileSources([{ path: "main.route", text }]);
  if (!result.graph) {
    const lines = result.diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.column} ${d.message}`);
    throw new Error(`policy does not compile:\n${lines.join("\n")}`);
  }
  return result.graph;
}

export interface Started {
  gw: Gateway;
  base: string;
  client: OpenAI;
  access: AccessEntry[];
  logs: { level: string; msg: string; fields?: Record<string, unknown> }[];
}

const running = new Set<Gateway>();

/** Starts a gateway for `graph` with a capturing logger and an `openai` client using {@link KEY}. */
export async function serve(graph: Graph, options: Partial<GatewayOptions> = {}): Promise<Started> {
  const access: AccessEntry[] = [];
  const logs: Started["logs"] = [];
  const log: Logger = {
    info: (msg, fields) => logs.push({ level: "info", msg, fields }),
    warn: (msg, fields) => logs.push({ level: "warn", msg, fields }),
    error: (msg, fields) => logs.push({ level: "error", msg, fields }),
    access: (e) => access.push(e),
  };
  const gw = await startGateway({ graph, host: "127.0.0.1", port: 0, log, ...options, world: { env: {}, ...options.world } });
  running.add(gw);
  const base = `http://127.0.0.1:${gw.port}`;
  const client = new OpenAI({ apiKey: KEY, baseURL: `${base}/v1`, maxRetries: 0, timeout: 10_000 });
  return { gw, base, client, access, logs };
}

export async function closeGateways(): Promise<void> {
  await Promise.all([...running].map((g) => g.close(500)));
  running.clear();
}

/** POSTs a JSON (or raw string) body to the chat endpoint with the test key. */
export function postChat(base: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${base}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${KEY}`, ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

export const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A basic chat body. */
export function hello(model = "chat", extra: Partial<ChatCompletionCreateParamsNonStreaming> = {}): ChatCompletionCreateParamsNonStreaming {
  return { model, messages: [{ role: "user", content: "hello there" }], ...extra };
}

/** A basic streaming chat body. */
export function helloStream(model = "chat", extra: Partial<ChatCompletionCreateParamsStreaming> = {}): ChatCompletionCreateParamsStreaming {
  return { model, messages: [{ role: "user", content: "hello there" }], ...extra, stream: true };
}

/** A response body as loosely typed JSON, for assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function json(r: Response): Promise<any> {
  return r.json();
}
