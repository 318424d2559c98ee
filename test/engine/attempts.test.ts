import { describe, expect, it } from "vitest";
import { backoff, callerStatus, next, retryCount, startAttempts, triedModels, type AttemptState, type Outcome } from "../../runtime/engine/attempts.js";
import type { AttemptPlan, FailureCause, PlannedTarget } from "../../runtime/engine/plan.js";
import { reasonMatches } from "../../runtime/engine/plan.js";

/** Runs a plan to its end with each try's outcome from `outcomeOf` (no clock: run-plan.ts has the timed driver). */
function runAttempts(start: AttemptState, outcomeOf: (target: PlannedTarget) => Outcome): AttemptState {
  let s = start;
  while (s.action.kind === "try") s = next(s, outcomeOf(s.action.target));
  return s;
}

function plan(models: string[], retries = 0, fallbackOn = ["429", "5xx", "timeout", "connection"], backoffMs = 100): AttemptPlan {
  const targets: PlannedTarget[] = models.map((model) => ({ model, provider: "p", upstream: model, retries, timeoutMs: 1000 }));
  return { targets, fallbackOn, backoffMs, maxAttempts: models.length * (retries + 1) };
}
const fail = (cause: FailureCause, retryAfterMs?: number): Outcome =>
  retryAfterMs === undefined ? { ok: false, cause } : { ok: false, cause, retryAfterMs };
const ok: Outcome = { ok: true };

function action(s: AttemptState) {
  return s.action;
}

describe("the attempts state machine", () => {
  it("starts by trying the first target at once", () => {
    expect(action(startAttempts(plan(["a", "b"])))).toMatchObject({ kind: "try", target: { model: "a" }, retry: 0, delayMs: 0, attempt: 1 });
  });

  it("finishes on success", () => {
    const s = next(startAttempts(plan(["a"])), ok);
    expect(action(s)).toMatchObject({ kind: "done", target: { model: "a" } });
    expect(s.history).toEqual([{ model: "a", retry: 0, cause: "ok" }]);
    expect(() => next(s, ok)).toThrow(/after `done`/);
  });

  it("retries the same target with exponential backoff, then falls back", () => {
    let s = startAttempts(plan(["a", "b"], 2));
    s = next(s, fail(503));
    expect(action(s)).toMatchObject({ kind: "try", target: { model: "a" }, retry: 1, delayMs: 100, attempt: 2 });
    s = next(s, fail(503));
    expect(action(s)).toMatchObject({ kind: "try", target: { model: "a" }, retry: 2, delayMs: 200 });
    s = next(s, fail(503));
    expect(action(s)).toMatchObject({ kind: "try", target: { model: "b" }, retry: 0, delayMs: 0, attempt: 4 });
    s = next(s, ok);
    expect(triedModels(s.history)).toEqual(["a", "b"]);
    expect(retryCount(s.history)).toBe(2);
  });

  it("jitters the backoff with the passed-in random, within [half, full]", () => {
    expect(backoff(100, 3, { random: () => 0 })).toBe(200);
    expect(backoff(100, 3, { random: () => 0.999999 })).toBe(400);
    expect(backoff(100, 3)).toBe(400);
    expect(backoff(1000, 20, { maxBackoffMs: 5000 })).toBe(5000);
    expect(backoff(0, 3, { random: () => 0.5 })).toBe(0);
    const s = next(startAttempts(plan(["a"], 1)), fail(500), { random: () => 0.5 });
    expect(action(s)).toMatchObject({ delayMs: 75 });
  });

  it("honours Retry-After: never retries sooner", () => {
    const s = next(startAttempts(plan(["a", "b"], 1)), fail(429, 2500));
    expect(action(s)).toMatchObject({ kind: "try", target: { model: "a" }, retry: 1, delayMs: 2500 });
  });

  it("moves to the next target rather than wait for a long Retry-After", () => {
    const s = next(startAttempts(plan(["a", "b"], 3)), fail(429, 120_000));
    expect(action(s)).toMatchObject({ kind: "try", target: { model: "b" }, retry: 0, delayMs: 0 });
    const s2 = next(startAttempts(plan(["a", "b"], 3)), fail(429, 120_000), { maxRetryAfterMs: 200_000 });
    expect(action(s2)).toMatchObject({ target: { model: "a" }, delayMs: 120_000 });
  });

  it("stops at once on a failure that is not a fallback reason, with the upstream status", () => {
    const s = next(startAttempts(plan(["a", "b"], 2, ["429"])), fail(400));
    expect(action(s)).toMatchObject({ kind: "fail", error: { code: "upstream_error", status: 400 } });
    const t = next(startAttempts(plan(["a", "b"], 2, ["429"])), fail("timeout"));
    expect(action(t)).toMatchObject({ kind: "fail", error: { code: "upstream_error", status: 504 } });
    const c = next(startAttempts(plan(["a", "b"], 2, ["429"])), fail("connection"));
    expect(action(c)).toMatchObject({ kind: "fail", error: { code: "upstream_error", status: 502 } });
  });

  it("ends exhausted with 502, or 504 when the last failure was a timeout, naming every try", () => {
    const s = runAttempts(startAttempts(plan(["a", "b"], 1)), (t) => (t.model === "a" ? fail(429) : fail(500)));
    const a = action(s);
    expect(a).toMatchObject({ kind: "fail", error: { code: "upstream_exhausted", status: 502 } });
    if (a.kind !== "fail") throw new Error();
    expect(a.error.attempts).toEqual([
      { model: "a", retry: 0, cause: 429 },
      { model: "a", retry: 1, cause: 429 },
      { model: "b", retry: 0, cause: 500 },
      { model: "b", retry: 1, cause: 500 },
    ]);
    expect(a.error.message).toBe("every target failed: `a`: 429, 429; `b`: 500, 500");
    const t = runAttempts(startAttempts(plan(["a", "b"])), (x) => (x.model === "a" ? fail(500) : fail("timeout")));
    expect(action(t)).toMatchObject({ kind: "fail", error: { code: "upstream_timeout", status: 504 } });
  });

  it("ends exhausted with 429 when every try was a 429, so the caller slows down too", () => {
    const all = runAttempts(startAttempts(plan(["a", "b"], 1)), () => fail(429, 1000));
    expect(action(all)).toMatchObject({ kind: "fail", error: { code: "upstream_exhausted", status: 429 } });
    const last = runAttempts(startAttempts(plan(["a", "b"])), (x) => (x.model === "a" ? fail(503) : fail(429)));
    expect(action(last)).toMatchObject({ kind: "fail", error: { status: 502 } });
  });

  it("fails at once for an empty plan", () => {
    expect(action(startAttempts(plan([])))).toMatchObject({ kind: "fail", error: { code: "no_target", status: 502 } });
  });

  it("accepts a routed decision", () => {
    const p = plan(["x"]);
    expect(startAttempts({ plan: p } as never).plan).toBe(p);
  });
});

describe("failure reasons", () => {
  it("match exact statuses, classes, timeout and connection", () => {
    expect(reasonMatches(["429"], 429)).toBe(true);
    expect(reasonMatches(["429"], 428)).toBe(false);
    expect(reasonMatches(["5xx"], 500)).toBe(true);
    expect(reasonMatches(["5xx"], 599)).toBe(true);
    expect(reasonMatches(["5xx"], 600)).toBe(false);
    expect(reasonMatches(["5xx"], 499)).toBe(false);
    expect(reasonMatches(["4xx"], 404)).toBe(true);
    expect(reasonMatches(["timeout"], "timeout")).toBe(true);
    expect(reasonMatches(["timeout"], "connection")).toBe(false);
    expect(reasonMatches(["connection"], "connection")).toBe(true);
    expect(reasonMatches([], 500)).toBe(false);
  });
});

describe("callerStatus", () => {
  it("keeps 429, 400 and 413, folds 422 into 400, and makes everything else a 502 or 504", () => {
    const causes: FailureCause[] = [429, 400, 413, 422, 500, 503, 401, 404, "timeout", "connection"];
    expect(causes.map(callerStatus)).toEqual([
      429, 400, 413, 400, 502, 502, 502, 502, 504, 502,
    ]);
  });
});
