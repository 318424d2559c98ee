/**
 * The rig of the reliability suites: a real gateway (uWS edge, undici
 * upstream pools, a budget on a real store) between a plain `fetch` client
 * and two fake upstreams on 127.0.0.1 — `primary`, which misbehaves, and
 * `backup`, which is healthy. One policy shape, three ways to react to a
 * failure (`fallback` to the backup, `retry` the primary once, or `none`),
 * and a reader for the caller's side of each outcome: status, attempts
 * header, OpenAI-style error, or the event stream and how it ended.
 *
 * Every model costs $1 per million tokens in and out, so one token is one
 * micro-dollar and a budget's spend in micro-dollars is a token count.
 * `closeRigs` (use it in `afterEach`) stops every gateway, upstream and store.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { realSleep, type Sleep } from "../../runtime/providers/index.js";
import { budgetKey, memoryStore, sqliteStore, type Store } from "../../runtime/state/index.js";
import type { AccessEntry } from "../../runtime/observe/log.js";
import { closeGateways, KEY, KEY_HASH, policy, serve } from "../server/helpers.js";
import { closeAllUpstreams, refusedBaseUrl, startUpstream, type FakeUpstream, type UpstreamKind } from "../support/upstreams.js";

/** What the route does after a failed try of `primary`. */
export type Reaction = "fallback" | "retry" | "none";
export type Mode = "json" | "stream";
export type StoreKind = "memory" | "sqlite";

/** The route statement of each reaction (the fallback reasons are the default `429, 5xx, timeout, connection`). */
export const REACTIONS: Record<Reaction, string> = {
  fallback: "fallback backup",
  retry: "retry 1 backoff 10ms",
  none: "",
};

/** The budget's scope key: the team of {@link KEY}. */
export const TEAM = "search";
/**
 * The input bound admission reserves for the request {@link call} sends (runtime/budget/cost.ts): the 41
 * bytes of the JSON of its messages (`[{"role":"user","content":"hello there"}]`), plus 4 for the message
 * and 3 for the reply.
 */
export const INPUT_TOKENS = 48;
/** The `max_tokens` {@link call} sends: the output bound, and what a stream without usage is charged for its deltas (their JSON bytes, capped at it). */
export const MAX_TOKENS = 10;
/** What a reply with the fake upstreams' default usage (11 prompt + 7 completion tokens) costs, in micro-dollars. */
export const REPLY_COST = 18;

export interface RigOptions {
  reaction: Reaction;
  /** The wire format of `primary`; the backup always speaks OpenAI. Default `openai`. */
  primaryKind?: UpstreamKind;
  /** `primary` listens on nothing: every connection is refused. */
  refused?: boolean;
  store?: StoreKind;
  /** `primary`'s provider timeout. Default 300ms. */
  timeout?: string;
  /** The gateway deadline. Default 2s. */
  deadline?: string;
  /** Replaces the reaction's route statement. */
  route?: string;
}

export interface Rig {
  base: string;
  /** Undefined when `refused`. */
  primary: FakeUpstream | undefined;
  backup: FakeUpstream;
  store: Store;
  access: AccessEntry[];
  /** Every backoff the gateway slept (it really sleeps), in ms. */
  waits: number[];
  /** The gateway's deadline in ms. */
  deadlineMs: number;
}

const stores: { store: Store; dir?: string }[] = [];

/** Starts the upstreams, the store and the gateway of one scenario. */
export async function startRig(o: RigOptions): Promise<Rig> {
  const primary = o.refused ? undefined : await startUpstream(o.primaryKind ?? "openai");
  const primaryUrl = primary?.baseUrl ?? (await refusedBaseUrl(o.primaryKind ?? "openai"));
  const backup = await startUpstream("openai");
  const store = openTestStore(o.store ?? "memory");
  const deadline = o.deadline ?? "2s";
  const graph = policy(`
gateway { deadline ${deadline} }
keys { "${KEY_HASH}" team "${TEAM}" }
provider up   { api ${o.primaryKind ?? "openai"} base_url "${primaryUrl}" timeout ${o.timeout ?? "300ms"} }
provider good { api openai base_url "${backup.baseUrl}" }
model primary = up/"primary-model" { input $1/Mtok output $1/Mtok context 8k }
model backup  = good/"backup-model" { input $1/Mtok output $1/Mtok context 8k }
budget spend { per team limit $100 per day }
route chat {
  when model == "chat"
  budget spend
  to primary
  ${o.route ?? REACTIONS[o.reaction]}
}
`);
  const waits: number[] = [];
  const sleep: Sleep = (ms, signal) => {
    waits.push(ms);
    return realSleep(ms, signal);
  };
  const { base, access } = await serve(graph, { store, world: { sleep } });
  return { base, primary, backup, store, access, waits, deadlineMs: graph.gateway.deadlineMs };
}

function openTestStore(kind: StoreKind): Store {
  if (kind === "memory") {
    const store = memoryStore({ clock: Date.now });
    stores.push({ store });
    return store;
  }
  const dir = mkdtempSync(join(tmpdir(), "aigw-reliability-"));
  const store = sqliteStore({ clock: Date.now, path: join(dir, "state.db") });
  stores.push({ store, dir });
  return store;
}

/** Stops every gateway, then every upstream, then closes every store (and removes SQLite files). */
export async function closeRigs(): Promise<void> {
  await closeGateways();
  await closeAllUpstreams();
  for (const { store, dir } of stores.splice(0)) {
    await store.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }
}

/** The caller's view of one request. */
export interface Outcome {
  status: number;
  headers: Headers;
  /** Milliseconds until the response was complete. */
  elapsedMs: number;
  /** The JSON body (a completion or `{ error }`), for a JSON response. */
  json?: { error?: ApiError; choices?: { message: { content: string | null } }[] };
  /** For an event stream. */
  stream?: StreamOutcome;
  /** Length of the raw body text. */
  length: number;
}

export interface ApiError {
  message: string;
  type: string;
  param: string | null;
  code: string;
}

export interface StreamOutcome {
  /** The concatenated `content` deltas. */
  text: string;
  /** The stream ended with `data: [DONE]`. */
  done: boolean;
  /** The `error` event the gateway sent instead of `[DONE]`. */
  error?: ApiError;
}

/** Sends the chat request (streaming or not) and reads the whole response. */
export async function call(base: string, mode: Mode): Promise<Outcome> {
  const started = performance.now();
  const res = await fetch(`${base}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` },
    body: JSON.stringify({ model: "chat", messages: [{ role: "user", content: "hello there" }], max_tokens: MAX_TOKENS, ...(mode === "stream" ? { stream: true } : {}) }),
  });
  const text = await res.text();
  const out: Outcome = { status: res.status, headers: res.headers, elapsedMs: performance.now() - started, length: text.length };
  if ((res.headers.get("content-type") ?? "").includes("text/event-stream")) out.stream = readEvents(text);
  else out.json = JSON.parse(text) as Outcome["json"];
  return out;
}

function readEvents(text: string): StreamOutcome {
  const out: StreamOutcome = { text: "", done: false };
  for (const block of text.split("\n\n")) {
    if (!block.startsWith("data: ")) continue;
    const data = block.slice(6);
    if (data === "[DONE]") {
      out.done = true;
      continue;
    }
    const event = JSON.parse(data) as { error?: ApiError; choices?: { delta: { content?: string | null } }[] };
    if (event.error) out.error = event.error;
    for (const c of event.choices ?? []) out.text += c.delta.content ?? "";
  }
  return out;
}

/** Resolves once the gateway has logged `count` requests (it logs after the response and its settlement). */
export async function logged(rig: Rig, count = 1): Promise<void> {
  while (rig.access.length < count) await new Promise((r) => setTimeout(r, 5));
}

/** The budget as the store sees it: micro-dollars spent and still reserved, and every counter's reservations. */
export async function ledger(store: Store): Promise<{ spent: number; reserved: number; anyReserved: number }> {
  const entries = await store.list();
  const mine = entries.find((e) => e.key === budgetKey("spend", TEAM));
  return { spent: mine?.spent ?? 0, reserved: mine?.reserved ?? 0, anyReserved: entries.reduce((n, e) => n + e.reserved, 0) };
}

/** The status a caller gets when every try failed with `cause` (lang/SPEC.md §7.4: 504 after a timeout, 429 when all were 429s, else 502). */
export function exhaustedStatus(cause: string): number {
  return cause === "timeout" ? 504 : cause === "429" ? 429 : 502;
}

/** The OpenAI-style error of a gateway status. */
export function errorOf(status: number): { code: string; type: string } {
  if (status === 504) return { code: "upstream_timeout", type: "timeout_error" };
  if (status === 429) return { code: "rate_limited", type: "rate_limit_error" };
  return { code: "upstream_error", type: "api_error" };
}
