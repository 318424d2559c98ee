/**
 * bench/soak/traffic: the soak's request mix. Each kind of request says who
 * sends it, what it asks for, how often (weights sum to 100), and which
 * outcome classes (bench/soak/classify.ts) it may end in. An outcome outside
 * its kind's set is an unexpected error and fails the soak: a 502 on the
 * healthy `plain` route, a 500 anywhere, a hang, a stream that stops without
 * `[DONE]` or an error event.
 *
 * The weights keep every fault in the mix at a few percent, so at the
 * default rate each kind is sent several times a second and every class
 * occurs within seconds (the soak test relies on that).
 */
import { BLOCKED_PHRASE, KEYS, SOAK_EMAIL } from "./policy.js";
import type { ExpectedClass } from "./classify.js";

/** One kind of request in the mix. */
export interface RequestKind {
  readonly name: string;
  /** Share of the traffic, in percent. */
  readonly weight: number;
  /** The outcome classes this kind may end in. */
  readonly allowed: readonly ExpectedClass[];
  /** Builds one request; `pick` is a uniform [0, 1) draw. */
  build(n: number, pick: () => number): SoakRequest;
}

/** A request as the client sends it. */
export interface SoakRequest {
  readonly kind: string;
  readonly key: string;
  readonly body: string;
  readonly stream: boolean;
  /** Abort the request this long after sending it (the client leaving on purpose). */
  readonly abortAfterMs?: number;
  /** The reply's text must contain this (the redaction reached the upstream). */
  readonly expectText?: string;
}

function chat(model: string, content: string, stream: boolean): string {
  const body: Record<string, unknown> = { model, messages: [{ role: "user", content }], max_tokens: 16 };
  if (stream) body["stream"] = true;
  return JSON.stringify(body);
}

function kind(name: string, weight: number, allowed: readonly ExpectedClass[], model: string, stream: boolean, extra: Partial<SoakRequest> = {}): RequestKind {
  return {
    name,
    weight,
    allowed,
    build: (n) => ({ kind: name, key: KEYS.main, body: chat(model, `soak request ${n}: say something short`, stream), stream, ...extra }),
  };
}

/** The mix, in a fixed order (the draw walks it). */
export const MIX: readonly RequestKind[] = [
  kind("chat", 20, ["ok"], "chat", false),
  kind("chat-stream", 12, ["ok"], "chat", true),
  kind("plain", 8, ["ok"], "plain", false),
  kind("plain-stream", 4, ["ok"], "plain", true),
  {
    name: "pii",
    weight: 6,
    allowed: ["ok"],
    build: (n) => ({ kind: "pii", key: KEYS.main, body: chat("chat", `soak request ${n}: mail ${SOAK_EMAIL} the summary`, false), stream: false, expectText: "redacted" }),
  },
  {
    name: "pii-stream",
    weight: 3,
    allowed: ["ok"],
    build: (n) => ({ kind: "pii-stream", key: KEYS.main, body: chat("chat", `soak request ${n}: mail ${SOAK_EMAIL} the summary`, true), stream: true, expectText: "redacted" }),
  },
  {
    name: "blocked",
    weight: 4,
    allowed: ["blocked"],
    build: (n) => ({ kind: "blocked", key: KEYS.main, body: chat("chat", `soak request ${n}: ${BLOCKED_PHRASE}`, n % 2 === 0), stream: n % 2 === 0 }),
  },
  kind("slow", 5, ["ok"], "slow", false),
  kind("fragile", 4, ["ok"], "fragile", false),
  kind("fragile-stream", 5, ["ok", "stream_error"], "fragile", true),
  kind("throttled", 3, ["ok", "upstream_429"], "throttled", false),
  kind("doomed", 3, ["upstream_error"], "doomed", false),
  kind("stuck", 2, ["upstream_timeout"], "stuck", false),
  {
    name: "metered",
    weight: 5,
    allowed: ["ok", "budget_exceeded"],
    build: (n, pick) => ({ kind: "metered", key: KEYS.metered[Math.floor(pick() * KEYS.metered.length)]!, body: chat("chat", `soak request ${n}: hi`, false), stream: false }),
  },
  {
    name: "limited",
    weight: 4,
    allowed: ["ok", "rate_limited"],
    build: (n) => ({ kind: "limited", key: KEYS.limited, body: chat("chat", `soak request ${n}: hi`, false), stream: false }),
  },
  {
    name: "frugal",
    weight: 4,
    allowed: ["ok", "downgraded"],
    build: (n) => ({ kind: "frugal", key: KEYS.frugal, body: chat("chat", `soak request ${n}: hi`, false), stream: false }),
  },
  kind("unknown-model", 2, ["model_not_found"], "no-such-model", false),
  {
    name: "bad-json",
    weight: 2,
    allowed: ["invalid_json"],
    build: (n) => ({ kind: "bad-json", key: KEYS.main, body: `{"model":"chat","messages":[{"role":"user","content":"soak request ${n}`, stream: false }),
  },
  {
    name: "unauthorized",
    weight: 1,
    allowed: ["unauthorized"],
    build: (n) => ({ kind: "unauthorized", key: KEYS.unknown, body: chat("chat", `soak request ${n}: hi`, false), stream: false }),
  },
  {
    // A streaming client that leaves: before the slow upstream answers, or while the stream runs.
    name: "abort",
    weight: 3,
    allowed: ["aborted", "ok"],
    build: (n, pick) => ({ kind: "abort", key: KEYS.main, body: chat("slow", `soak request ${n}: hi`, true), stream: true, abortAfterMs: Math.floor(pick() * 160) }),
  },
];

/** Every class the mix can produce when the gateway behaves: what the soak test requires to have occurred. */
export function expectedClasses(mix: readonly RequestKind[] = MIX): ExpectedClass[] {
  return [...new Set(mix.flatMap((k) => k.allowed))];
}

/** Draws a kind by weight with `pick` (uniform [0, 1)). */
export function drawKind(pick: number, mix: readonly RequestKind[] = MIX): RequestKind {
  let total = 0;
  for (const k of mix) total += k.weight;
  let x = pick * total;
  for (const k of mix) {
    x -= k.weight;
    if (x < 0) return k;
  }
  return mix[mix.length - 1]!;
}
