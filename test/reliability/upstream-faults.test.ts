/**
 * The upstream-fault matrix (issue 9): every way an upstream can misbehave ×
 * {non-streaming, streaming} × {fall back to a healthy target, retry the same
 * target, nothing}, through the real gateway. For each cell the caller gets
 * what the policy declares — the backup's 200, or a 502/504 whose error and
 * `x-aigw-attempts` name every try — within the deadline, and afterwards the
 * budget holds no reservation and has been charged exactly the successes.
 *
 * A stream commits at its first chunk (lang/SPEC.md §7.4): a fault before
 * it may still fall back; a fault after it ends the stream with an `error`
 * event instead of `[DONE]`, whatever the policy, and the budget is settled
 * from the text streamed so far. Without a fallback, a plan used up ends
 * in 504 after a timeout, 429 when every try was a 429 (§7.4: the caller
 * should slow down too), and 502 otherwise. After each
 * fault the next request, to the same upstream now healthy, is served.
 *
 * The `none` reaction runs on a SQLite store, the others on the memory store,
 * so every fault is checked against both.
 */
import { afterEach, describe, expect, it } from "vitest";
import { behave, type Behaviour, type UpstreamKind } from "../support/upstreams.js";
import {
  call,
  closeRigs,
  errorOf,
  exhaustedStatus,
  INPUT_TOKENS,
  MAX_TOKENS,
  ledger,
  logged,
  REPLY_COST,
  startRig,
  type Mode,
  type Outcome,
  type Reaction,
  type Rig,
} from "./upstream-helpers.js";

afterEach(closeRigs);

/** How a fault shows in one mode. */
type Expect =
  /**
   * The try fails before anything reached the caller: `before` is its cause
   * as `x-aigw-attempts` names it, `why` a part of the reason the error gives.
   */
  | { before: string; why: string }
  /**
   * The stream commits, then fails: an error event with this code and `why`
   * in its message; `streamed` bytes of text reached the caller first. The
   * budget is charged `spent` (default: the streamed bytes as output tokens
   * plus the input, or nothing when no text was streamed).
   */
  | { after: "upstream_error" | "upstream_timeout"; why: string; streamed: number; spent?: number }
  /** Not a failure at all: the whole reply arrives (the format allows what the upstream did). */
  | { clean: true; text?: string; minLength?: number };

interface Fault {
  name: string;
  /** Absent: `primary` refuses connections. */
  behaviour?: Behaviour;
  json?: Expect;
  stream?: Expect;
  /** Run with these reactions only (the outcome does not depend on it, and the case is slow). */
  reactions?: readonly Reaction[];
  /** `primary`'s timeout when the default 300ms is too tight for the bytes involved (the fake upstream shares this process). */
  timeout?: string;
}

const MB50 = 50 * 1024 * 1024;
const X50 = "x".repeat(MB50);
// "hello from openai" / "hello from anthropic", sent in thirds by the fake upstreams.
const OPENAI_TEXT = "hello from openai";
const ANTHROPIC_TEXT = "hello from anthropic";
const FIRST_THIRD = "hello".length;
const SLOW = { timeout: "5s" } as const;

const status = (n: number): Expect => ({ before: String(n), why: `returned ${n}` });
const timedOut: Expect = { before: "timeout", why: "timed out after 300ms" };
const invalid = (why: string): Expect => ({ before: "502", why });

const OPENAI_FAULTS: Fault[] = [
  { name: "503 without Retry-After", behaviour: behave.fail(503), json: status(503), stream: status(503) },
  { name: "500 with Retry-After", behaviour: behave.fail(500, { retryAfter: "0" }), json: status(500), stream: status(500) },
  { name: "429 without Retry-After", behaviour: behave.fail(429), json: status(429), stream: status(429) },
  {
    name: "503 with a 50 MB error body",
    behaviour: behave.raw(503, { "content-type": "application/json" }, [`{"error":{"message":"${X50}"}}`]),
    json: status(503),
    stream: status(503),
    reactions: ["fallback", "none"],
    ...SLOW,
  },
  { name: "stall before headers", behaviour: behave.stallHeaders(), json: timedOut, stream: timedOut },
  // JSON: half the body, then silence. Stream: the first event (the role chunk, no text), then silence.
  { name: "stall mid-body", behaviour: behave.stallBody(), json: timedOut, stream: { after: "upstream_timeout", why: "timed out after 300ms", streamed: 0 } },
  {
    name: "connection reset before headers",
    behaviour: behave.reset(),
    json: { before: "connection", why: "connection closed waiting for the reply" },
    stream: { before: "connection", why: "connection closed waiting for the reply" },
  },
  {
    name: "connection reset mid-body",
    behaviour: behave.resetMidBody(),
    json: { before: "connection", why: "connection closed reading the reply" },
    stream: { after: "upstream_error", why: "connection closed reading the stream", streamed: 0 },
  },
  { name: "invalid JSON", behaviour: behave.invalidJson(), json: invalid("the body is not JSON (`application/json`"), stream: invalid("a stream event is not JSON") },
  { name: "HTML with a 200", behaviour: behave.wrongContentType(), json: invalid("the body is not JSON (`text/html`: <!DOCTYPE html>"), stream: invalid("expected an event stream, got `text/html") },
  { name: "JSON where a stream was asked for", behaviour: behave.wrongContentType("application/json", "{}"), stream: invalid("expected an event stream, got `application/json`") },
  { name: "a 50 MB reply", behaviour: behave.largeBody(MB50), json: invalid("the reply is larger than 32 MiB"), stream: { clean: true, minLength: MB50 }, reactions: ["none"], ...SLOW },
  {
    name: "a 50 MB reply without a content length",
    behaviour: behave.raw(200, { "content-type": "application/json" }, [`{"choices":[{"index":0,"message":{"role":"assistant","content":"${X50}"}}]}`]),
    json: invalid("the reply is larger than 32 MiB"),
    reactions: ["fallback"],
    ...SLOW,
  },
  { name: "a 50 MB stream line", behaviour: behave.largeBody(MB50, "line"), stream: invalid("event stream line longer than"), reactions: ["fallback", "none"], ...SLOW },
  { name: "a 50 MB stream event that never ends", behaviour: behave.largeBody(MB50, "data-lines"), stream: invalid("event stream event longer than"), reactions: ["fallback", "none"], ...SLOW },
  { name: "stream cut mid-event before the first event", behaviour: behave.cutStream(0, "end"), stream: invalid("the event stream was cut mid-event") },
  { name: "stream cut mid-event", behaviour: behave.cutStream(2, "end"), stream: { after: "upstream_error", why: "the event stream was cut mid-event", streamed: FIRST_THIRD } },
  { name: "stream reset mid-event", behaviour: behave.cutStream(2, "destroy"), stream: { after: "upstream_error", why: "connection closed reading the stream", streamed: FIRST_THIRD } },
  { name: "stream without [DONE] or a finish reason", behaviour: behave.noEnd(), stream: { after: "upstream_error", why: "ended before [DONE]", streamed: OPENAI_TEXT.length } },
  { name: "stream without [DONE] after a finish reason", behaviour: behave.noEnd({ finish: true }), stream: { clean: true, text: OPENAI_TEXT } },
  { name: "stream with ignorable garbage lines", behaviour: behave.garbage("between"), stream: { clean: true, text: OPENAI_TEXT } },
  { name: "stream with a garbage event first", behaviour: behave.garbage("first"), stream: invalid("a stream event is not JSON") },
  { name: "stream with a garbage event after the first", behaviour: behave.garbage("after-first"), stream: { after: "upstream_error", why: "a stream event is not JSON", streamed: 0 } },
  { name: "nothing listening", json: { before: "connection", why: "connection refused" }, stream: { before: "connection", why: "connection refused" } },
];

const ANTHROPIC_FAULTS: Fault[] = [
  { name: "529 overloaded", behaviour: behave.fail(529), json: status(529), stream: status(529) },
  { name: "stall mid-body", behaviour: behave.stallBody(), json: timedOut, stream: { after: "upstream_timeout", why: "timed out after 300ms", streamed: 0 } },
  { name: "invalid JSON", behaviour: behave.invalidJson(), json: invalid("the body is not JSON"), stream: invalid("event is not JSON") },
  { name: "HTML with a 200", behaviour: behave.wrongContentType(), json: invalid("the body is not JSON (`text/html`"), stream: invalid("expected an event stream, got `text/html") },
  { name: "a 50 MB reply", behaviour: behave.largeBody(MB50), json: invalid("the reply is larger than 32 MiB"), reactions: ["fallback", "none"], ...SLOW },
  // message_start, content_block_start, ping and the first text delta ("hello "), then half an event.
  { name: "stream cut mid-event", behaviour: behave.cutStream(4, "end"), stream: { after: "upstream_error", why: "cut mid-event", streamed: "hello ".length } },
  // message_delta (stop reason and usage) arrived, so the usage settles the budget.
  {
    name: "stream without message_stop",
    behaviour: behave.noEnd({ finish: true }),
    stream: { after: "upstream_error", why: "ended before message_stop", streamed: ANTHROPIC_TEXT.length, spent: REPLY_COST },
  },
  { name: "stream with ignorable garbage lines", behaviour: behave.garbage("between"), stream: { clean: true, text: ANTHROPIC_TEXT } },
  { name: "stream with a garbage event first", behaviour: behave.garbage("first"), stream: invalid("event is not JSON") },
  { name: "stream with a garbage event after the first", behaviour: behave.garbage("after-first"), stream: { after: "upstream_error", why: "event is not JSON", streamed: 0 } },
  { name: "nothing listening", json: { before: "connection", why: "connection refused" }, stream: { before: "connection", why: "connection refused" } },
];

const REACTION_LIST: readonly Reaction[] = ["fallback", "retry", "none"];

function cases(kind: UpstreamKind, faults: Fault[]) {
  const out: { name: string; fault: Fault; mode: Mode; reaction: Reaction; expect: Expect; kind: UpstreamKind }[] = [];
  for (const fault of faults) {
    for (const mode of ["json", "stream"] as const) {
      const expect = fault[mode];
      if (expect === undefined) continue;
      for (const reaction of fault.reactions ?? REACTION_LIST) out.push({ name: `${fault.name} (${mode}, ${reaction})`, fault, mode, reaction, expect, kind });
    }
  }
  return out;
}

describe.each([
  ["openai", OPENAI_FAULTS],
  ["anthropic", ANTHROPIC_FAULTS],
] as const)("a faulty %s upstream", (kind, faults) => {
  it.each(cases(kind, faults))("$name", async ({ fault, mode, reaction, expect: want }) => {
    const rig = await startRig({
      reaction,
      primaryKind: kind,
      refused: fault.behaviour === undefined,
      store: reaction === "none" ? "sqlite" : "memory",
      ...(fault.timeout ? { timeout: fault.timeout, deadline: "10s" } : {}),
    });
    if (fault.behaviour) rig.primary!.setDefault(fault.behaviour);

    const out = await call(rig.base, mode);
    await logged(rig);

    // Nothing hangs: the response is complete well within the deadline (generous slack; vitest's timeout catches a hang).
    expect(out.elapsedMs).toBeLessThan(rig.deadlineMs + 3_000);
    const spent = checkOutcome(out, want, reaction, mode, rig);
    expect(await ledger(rig.store)).toEqual({ spent, reserved: 0, anyReserved: 0 });

    // The fault poisoned nothing: once the upstream behaves, the next request is served by it.
    if (rig.primary === undefined) return;
    rig.primary.setDefault(behave.reply());
    const next = await call(rig.base, mode);
    await logged(rig, 2);
    expect(next.status).toBe(200);
    expect(next.headers.get("x-aigw-attempts")).toBe("primary:200");
    expect(await ledger(rig.store)).toEqual({ spent: spent + REPLY_COST, reserved: 0, anyReserved: 0 });
  });
});

/** Checks what the caller got for one fault; returns what the budget should have been charged (micro-dollars). */
function checkOutcome(out: Outcome, want: Expect, reaction: Reaction, mode: Mode, rig: Rig): number {
  const primaryTries = rig.primary?.requests.length;

  if ("clean" in want) {
    expect(out.status).toBe(200);
    expect(out.headers.get("x-aigw-attempts")).toBe("primary:200");
    if (mode === "stream") {
      expect(out.stream!.error).toBeUndefined();
      expect(out.stream!.done).toBe(true);
      if (want.text !== undefined) expect(out.stream!.text).toBe(want.text);
      if (want.minLength !== undefined) expect(out.stream!.text.length).toBeGreaterThanOrEqual(want.minLength);
    }
    expect(rig.backup.requests).toHaveLength(0);
    return REPLY_COST;
  }

  if ("after" in want) {
    // Committed at the first chunk: no fallback, no retry, an error event instead of [DONE].
    expect(out.status).toBe(200);
    expect(out.headers.get("x-aigw-attempts")).toBe("primary:200");
    expect(out.stream!.done).toBe(false);
    expect(out.stream!.error).toMatchObject({ code: want.after, message: expect.stringContaining("`up`") });
    expect(out.stream!.error!.message).toContain(want.why);
    expect(out.stream!.text).toHaveLength(want.streamed);
    expect(primaryTries ?? 1).toBe(1);
    expect(rig.backup.requests).toHaveLength(0);
    // Settled from the usage seen, else the input bound and the streamed deltas' JSON bytes as output tokens,
    // capped at max_tokens (the role chunk alone is more bytes than that).
    return want.spent ?? INPUT_TOKENS + MAX_TOKENS;
  }

  const cause = want.before;
  if (reaction === "fallback") {
    expect(out.status).toBe(200);
    expect(out.headers.get("x-aigw-attempts")).toBe(`primary:${cause},backup:200`);
    expect(out.headers.get("x-aigw-target")).toBe("backup");
    if (mode === "json") expect(out.json!.choices![0]!.message.content).toBe(OPENAI_TEXT);
    else expect(out.stream).toEqual({ text: OPENAI_TEXT, done: true });
    expect(rig.backup.requests).toHaveLength(1);
    return REPLY_COST;
  }

  const tries = reaction === "retry" ? 2 : 1;
  const code = exhaustedStatus(cause);
  expect(out.status).toBe(code);
  expect(out.headers.get("x-aigw-attempts")).toBe(Array.from({ length: tries }, () => `primary:${cause}`).join(","));
  expect(out.json!.error).toMatchObject({ ...errorOf(code), param: null });
  const message = out.json!.error!.message;
  expect(message).toContain(`every target failed: \`primary\`: ${Array.from({ length: tries }, () => cause).join(", ")}`);
  expect(message).toContain(`upstream \`up\``);
  expect(message).toContain(want.why);
  expect(message.length).toBeLessThan(1_000);
  if (primaryTries !== undefined) expect(primaryTries).toBe(tries);
  if (reaction === "retry") expect(rig.waits).toHaveLength(1);
  expect(rig.backup.requests).toHaveLength(0);
  return 0;
}
