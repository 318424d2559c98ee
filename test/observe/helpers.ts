/**
 * Helpers for the observability tests: a gateway whose log is the real
 * JSON-lines logger writing into memory (so tests read exactly the text an
 * operator would), and `/metrics` fetched and parsed.
 */
import { startGateway, type Gateway, type GatewayOptions } from "../../runtime/server/app.js";
import { jsonLogger, type AccessEntry } from "../../runtime/observe/log.js";
import type { Graph } from "../../compiler/graph.js";
import { parseExposition, type Family } from "./exposition.js";

export interface Observed {
  gw: Gateway;
  base: string;
  /** Every log line, as written. */
  text: () => string;
  /** The access-log entries, parsed back from their lines. */
  access: () => (AccessEntry & { t: string; level: string; msg: string })[];
  /** Fetches and parses `/metrics` (the raw text too). */
  metrics: () => Promise<{ text: string; families: Map<string, Family> }>;
}

const running = new Set<Gateway>();

/** Starts a gateway on 127.0.0.1 with an in-memory JSON logger. */
export async function observed(graph: Graph, options: Partial<GatewayOptions> = {}): Promise<Observed> {
  const lines: string[] = [];
  const log = jsonLogger((l) => void lines.push(l));
  const gw = await startGateway({ graph, host: "127.0.0.1", port: 0, log, ...options, world: { env: {}, sleep: async () => {}, ...options.world } });
  running.add(gw);
  const base = `http://127.0.0.1:${gw.port}`;
  return {
    gw,
    base,
    text: () => lines.join(""),
    access: () =>
      lines
        .map((l) => JSON.parse(l) as AccessEntry & { t: string; level: string; msg: string })
        .filter((l) => l.msg === "request"),
    metrics: async () => {
      const r = await fetch(`${base}/metrics`);
      if (r.status !== 200) throw new Error(`/metrics answered ${r.status}`);
      if (!r.headers.get("content-type")?.startsWith("text/plain; version=0.0.4")) throw new Error("wrong content type");
      const text = await r.text();
      return { text, families: parseExposition(text) };
    },
  };
}

export async function closeObserved(): Promise<void> {
  await Promise.all([...running].map((g) => g.close(500)));
  running.clear();
}

/** POSTs a chat body with optional extra headers (the authorization among them). */
export async function post(base: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  const r = await fetch(`${base}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  await r.clone().arrayBuffer();
  return r;
}

/** A one-message chat body. */
export const ask = (model: string, content = "hello there", extra: Record<string, unknown> = {}) => ({ model, messages: [{ role: "user", content }], ...extra });

/** Waits until `n` access entries were logged (the line is written after the response). */
export async function accessCount(o: Observed, n: number): Promise<void> {
  for (let i = 0; i < 200 && o.access().length < n; i++) await new Promise((r) => setTimeout(r, 5));
}
