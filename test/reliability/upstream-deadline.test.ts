/**
 * Time under upstream faults (issue 9): `Retry-After` honoured on retries
 * (and skipped when it is too long or would pass the deadline), backoff
 * without it, and the gateway `deadline` bounding stalls and retry loops
 * even when the provider's own timeout is far longer. Each case ends with a
 * 200 from the declared reaction or a 504/502 naming the tries, and with no
 * reservation left in the budget.
 *
 * Sleeps are real (the recorded `waits` say what the gateway asked for), so
 * the lower bounds here are the gateway's own numbers, not wall-clock ones;
 * wall-clock time is only checked against generous upper bounds.
 */
import { afterEach, describe, expect, it } from "vitest";
import { behave } from "../support/upstreams.js";
import { call, closeRigs, INPUT_TOKENS, ledger, logged, MAX_TOKENS, REPLY_COST, startRig, type Mode } from "./upstream-helpers.js";

/** A stream that started has had its prompt read: without usage it is charged the input bound and its deltas' bytes (capped at max_tokens). */
const STARTED_STREAM_COST = INPUT_TOKENS + MAX_TOKENS;

afterEach(closeRigs);

const SLACK_MS = 3_000;

describe.each(["json", "stream"] as const)("Retry-After (%s)", (mode: Mode) => {
  it("is waited for before the retry (1 s)", async () => {
    const rig = await startRig({ reaction: "retry", deadline: "5s" });
    rig.primary!.next(behave.fail(429, { retryAfter: "1" }));
    const out = await call(rig.base, mode);
    expect(out.status).toBe(200);
    expect(out.headers.get("x-aigw-attempts")).toBe("primary:429,primary:200");
    expect(rig.waits).toHaveLength(1);
    expect(rig.waits[0]).toBeGreaterThanOrEqual(1_000);
    expect(out.elapsedMs).toBeLessThan(rig.deadlineMs + SLACK_MS);
    await logged(rig);
    expect(await ledger(rig.store)).toEqual({ spent: REPLY_COST, reserved: 0, anyReserved: 0 });
  });

  it("without it, the retry waits the backoff (10 ms, half of it jittered)", async () => {
    const rig = await startRig({ reaction: "retry" });
    rig.primary!.next(behave.fail(429));
    const out = await call(rig.base, mode);
    expect(out.status).toBe(200);
    expect(out.headers.get("x-aigw-attempts")).toBe("primary:429,primary:200");
    expect(rig.waits).toHaveLength(1);
    expect(rig.waits[0]).toBeGreaterThanOrEqual(5);
    expect(rig.waits[0]).toBeLessThanOrEqual(10);
  });

  it("does not delay a fallback to another target", async () => {
    const rig = await startRig({ reaction: "fallback" });
    rig.primary!.next(behave.fail(429, { retryAfter: "1" }));
    const out = await call(rig.base, mode);
    expect(out.status).toBe(200);
    expect(out.headers.get("x-aigw-attempts")).toBe("primary:429,backup:200");
    expect(rig.waits).toEqual([]);
  });

  it("that would pass the deadline ends the request with a 504 at once", async () => {
    const rig = await startRig({ reaction: "retry", deadline: "500ms" });
    rig.primary!.next(behave.fail(429, { retryAfter: "1" }));
    const out = await call(rig.base, mode);
    expect(out.status).toBe(504);
    expect(out.headers.get("x-aigw-attempts")).toBe("primary:429");
    expect(out.json!.error).toMatchObject({ code: "upstream_timeout", type: "timeout_error" });
    expect(out.json!.error!.message).toContain("deadline passed");
    expect(out.json!.error!.message).toContain("1 try, the last failing with 429");
    expect(rig.waits).toEqual([]);
    expect(rig.primary!.requests).toHaveLength(1);
    await logged(rig);
    expect(await ledger(rig.store)).toEqual({ spent: 0, reserved: 0, anyReserved: 0 });
  });

  it("longer than 30 s is not waited for: the plan moves on", async () => {
    const rig = await startRig({ reaction: "retry", route: "fallback backup\n retry 1 backoff 10ms" });
    rig.primary!.next(behave.fail(429, { retryAfter: "60" }));
    const out = await call(rig.base, mode);
    expect(out.status).toBe(200);
    expect(out.headers.get("x-aigw-attempts")).toBe("primary:429,backup:200");
    expect(rig.waits).toEqual([]);
  });

  it("reaches the caller with the 429 when 429 is not a fallback reason", async () => {
    const rig = await startRig({ reaction: "fallback", route: "fallback backup on 5xx, timeout\n retry 1" });
    rig.primary!.setDefault(behave.fail(429, { retryAfter: "7" }));
    const out = await call(rig.base, mode);
    expect(out.status).toBe(429);
    expect(out.headers.get("retry-after")).toBe("7");
    expect(out.headers.get("x-aigw-attempts")).toBe("primary:429");
    expect(out.json!.error).toMatchObject({ code: "rate_limited", type: "rate_limit_error" });
    expect(out.json!.error!.message).toContain("not a fallback reason");
    expect(rig.waits).toEqual([]);
    expect(rig.backup.requests).toHaveLength(0);
    await logged(rig);
    expect(await ledger(rig.store)).toEqual({ spent: 0, reserved: 0, anyReserved: 0 });
  });

  it("longer than 30 s with nothing to move on to fails at once, naming the try", async () => {
    const rig = await startRig({ reaction: "retry" });
    rig.primary!.setDefault(behave.fail(429, { retryAfter: "60" }));
    const out = await call(rig.base, mode);
    // Every try was a 429: the caller is told to slow down, with the upstream's Retry-After.
    expect(out.status).toBe(429);
    expect(out.headers.get("retry-after")).toBe("60");
    expect(out.headers.get("x-aigw-attempts")).toBe("primary:429");
    expect(out.json!.error!.message).toContain("every target failed: `primary`: 429");
    expect(rig.waits).toEqual([]);
  });
});

describe.each(["json", "stream"] as const)("the gateway deadline (%s)", (mode: Mode) => {
  // The provider allows 10 s a try; the gateway 600 ms for everything.
  const tight = { timeout: "10s", deadline: "600ms" } as const;

  it("cuts a stall before headers short and leaves no time for a fallback: 504", async () => {
    const rig = await startRig({ reaction: "fallback", ...tight });
    rig.primary!.setDefault(behave.stallHeaders());
    const out = await call(rig.base, mode);
    expect(out.status).toBe(504);
    // The backup may get a last sliver of time (timeouts fire on a 10 ms sweep), never an answer.
    expect(out.headers.get("x-aigw-attempts")).toMatch(/^primary:timeout(,backup:timeout)?$/);
    expect(out.json!.error).toMatchObject({ code: "upstream_timeout", type: "timeout_error" });
    expect(out.elapsedMs).toBeLessThan(rig.deadlineMs + SLACK_MS);
    await logged(rig);
    expect(await ledger(rig.store)).toEqual({ spent: 0, reserved: 0, anyReserved: 0 });
  });

  it("bounds retries of a stalled target: one try, then 504", async () => {
    const rig = await startRig({ reaction: "retry", route: "retry 5 backoff 10ms", ...tight });
    rig.primary!.setDefault(behave.stallHeaders());
    const out = await call(rig.base, mode);
    expect(out.status).toBe(504);
    expect(out.headers.get("x-aigw-attempts")).toBe("primary:timeout");
    expect(rig.primary!.requests).toHaveLength(1);
    expect(out.elapsedMs).toBeLessThan(rig.deadlineMs + SLACK_MS);
    await logged(rig);
    expect(await ledger(rig.store)).toEqual({ spent: 0, reserved: 0, anyReserved: 0 });
  });

  it("bounds a retry loop of fast failures: the backoff that would pass it ends the request with 504", async () => {
    const rig = await startRig({ reaction: "retry", route: "retry 10 backoff 200ms", ...tight });
    rig.primary!.setDefault(behave.fail(503));
    const out = await call(rig.base, mode);
    expect(out.status).toBe(504);
    const tries = rig.primary!.requests.length;
    expect(tries).toBeGreaterThanOrEqual(1);
    expect(tries).toBeLessThan(11);
    expect(out.headers.get("x-aigw-attempts")).toBe(Array.from({ length: tries }, () => "primary:503").join(","));
    expect(out.json!.error!.message).toContain(`${tries} ${tries === 1 ? "try" : "tries"}, the last failing with 503`);
    expect(out.elapsedMs).toBeLessThan(rig.deadlineMs + SLACK_MS);
    await logged(rig);
    expect(await ledger(rig.store)).toEqual({ spent: 0, reserved: 0, anyReserved: 0 });
  });

  it("cuts a reply that stalls mid-body", async () => {
    const rig = await startRig({ reaction: "none", ...tight });
    rig.primary!.setDefault(behave.stallBody());
    const out = await call(rig.base, mode);
    expect(out.elapsedMs).toBeLessThan(rig.deadlineMs + SLACK_MS);
    if (mode === "json") {
      expect(out.status).toBe(504);
      expect(out.headers.get("x-aigw-attempts")).toBe("primary:timeout");
    } else {
      // Committed at the first chunk: the stall ends the stream with an error event.
      expect(out.status).toBe(200);
      expect(out.stream).toMatchObject({ done: false, error: { code: "upstream_timeout" } });
    }
    await logged(rig);
    expect(await ledger(rig.store)).toEqual({ spent: mode === "stream" ? STARTED_STREAM_COST : 0, reserved: 0, anyReserved: 0 });
  });
});

describe.each(["openai", "anthropic"] as const)("keep-alives from a stalled %s upstream", (kind) => {
  it("do not keep a stream alive after its first chunk: it ends with a timeout error event", async () => {
    const rig = await startRig({ reaction: "fallback", primaryKind: kind, timeout: "300ms" });
    rig.primary!.setDefault(behave.stallWithPings({ intervalMs: 50 }));
    const out = await call(rig.base, "stream");
    expect(out.status).toBe(200);
    expect(out.headers.get("x-aigw-attempts")).toBe("primary:200");
    expect(out.stream).toMatchObject({ done: false, error: { code: "upstream_timeout" } });
    expect(out.elapsedMs).toBeLessThan(rig.deadlineMs + SLACK_MS);
    await logged(rig);
    expect(await ledger(rig.store)).toEqual({ spent: STARTED_STREAM_COST, reserved: 0, anyReserved: 0 });
  });

  it.each(["json", "stream"] as const)("do not keep a try alive before its first chunk: it falls back (%s)", async (mode) => {
    const rig = await startRig({ reaction: "fallback", primaryKind: kind, timeout: "300ms" });
    rig.primary!.setDefault(behave.stallWithPings({ afterFirst: false, intervalMs: 50 }));
    const out = await call(rig.base, mode);
    expect(out.status).toBe(200);
    expect(out.headers.get("x-aigw-attempts")).toBe("primary:timeout,backup:200");
    expect(out.elapsedMs).toBeLessThan(rig.deadlineMs + SLACK_MS);
    await logged(rig);
    expect(await ledger(rig.store)).toEqual({ spent: REPLY_COST, reserved: 0, anyReserved: 0 });
  });
});
