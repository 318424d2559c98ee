/**
 * The circuit-breaker machine (runtime/health/machine.ts) on a virtual
 * clock: what ejects, for how long, the half-open probe, and that no
 * failure history can keep a target from being probed forever.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { HealthNode } from "../../compiler/graph.js";
import { ejectionMs, look, newRecord, record, type TryOutcome } from "../../runtime/health/index.js";
import { HealthTracker } from "../../runtime/health/index.js";
import type { Graph } from "../../compiler/graph.js";

const SPAN = { file: "main.route", line: 1, column: 1, endLine: 1, endColumn: 1 };
const NODE: HealthNode = { on: ["5xx", "timeout", "connection", "429"], consecutive: 3, intervalMs: 10_000, minimum: 4, ejectMs: 1000, maxEjectMs: 8000, span: SPAN };
const OK: TryOutcome = { ok: true };
const F503: TryOutcome = { ok: false, cause: 503 };

describe("the health machine", () => {
  it("ejects after `consecutive` counted failures in a row; an answer in between resets the run", () => {
    const rec = newRecord();
    expect(record(rec, NODE, F503, 0)).toBeUndefined();
    expect(record(rec, NODE, F503, 1)).toBeUndefined();
    record(rec, NODE, OK, 2);
    record(rec, NODE, F503, 3);
    record(rec, NODE, F503, 4);
    expect(look(rec, 5)).toEqual({ status: "healthy" });
    expect(record(rec, NODE, F503, 5)).toEqual({ cause: { kind: "consecutive", count: 3, last: "503" }, forMs: 1000 });
    expect(look(rec, 6)).toMatchObject({ status: "ejected", agoMs: 1, forMs: 999, probing: false });
  });

  it("does not count failures outside `on` either way", () => {
    const rec = newRecord();
    for (let i = 0; i < 10; i++) expect(record(rec, NODE, { ok: false, cause: 400 }, i)).toBeUndefined();
    expect(look(rec, 10)).toEqual({ status: "healthy" });
  });

  it("ejects on the failure rate only with `minimum` tries in the interval, and forgets tries older than it", () => {
    const node = { ...NODE, consecutive: 0, failureRate: 50, minimum: 6 };
    const rec = newRecord();
    for (const o of [F503, OK, F503, OK, F503]) expect(record(rec, node, o, 0)).toBeUndefined();
    expect(record(rec, node, OK, 0)).toBeUndefined(); // 3 of 6, but the last try answered: judged on failures only
    expect(record(rec, node, F503, 0)).toEqual({ cause: { kind: "rate", failures: 4, tries: 7 }, forMs: 1000 });
    const later = newRecord();
    for (let i = 0; i < 5; i++) record(later, node, F503, 0);
    // An interval later the old failures are gone: one more failure is 1 of 1, below the minimum.
    expect(record(later, node, F503, 10_001)).toBeUndefined();
  });

  it("ejects at once on a counted 429 with Retry-After, for that long within the cap", () => {
    const rec = newRecord();
    expect(record(rec, NODE, { ok: false, cause: 429, retryAfterMs: 5000 }, 0)).toEqual({ cause: { kind: "retry-after", ms: 5000 }, forMs: 5000 });
    const capped = newRecord();
    expect(record(capped, NODE, { ok: false, cause: 429, retryAfterMs: 60_000 }, 0)?.forMs).toBe(8000);
  });

  it("lets a probe through after the ejection: a failing probe re-ejects for twice as long, capped; an answer closes", () => {
    const rec = newRecord();
    for (let i = 0; i < 3; i++) record(rec, NODE, F503, 0);
    expect(look(rec, 999)).toMatchObject({ status: "ejected" });
    expect(look(rec, 1000)).toBe("half-open");
    expect(record(rec, NODE, F503, 1000)).toMatchObject({ forMs: 2000 });
    expect(record(rec, NODE, F503, 1500)).toBeUndefined(); // while ejected (tried last): no change
    expect(look(rec, 2999)).toMatchObject({ status: "ejected" });
    expect(look(rec, 3000)).toBe("half-open");
    expect(record(rec, NODE, F503, 3000)).toMatchObject({ forMs: 4000 });
    expect(record(rec, NODE, F503, 7000)).toMatchObject({ forMs: 8000 });
    expect(record(rec, NODE, F503, 15_000)).toMatchObject({ forMs: 8000 });
    record(rec, NODE, OK, 23_000);
    expect(look(rec, 23_001)).toEqual({ status: "healthy" });
    expect([1, 2, 3, 4, 5].map((n) => ejectionMs(NODE, n, undefined))).toEqual([1000, 2000, 4000, 8000, 8000]);
  });

  it("probes every ejected target again, whatever the failures (no permanent starvation)", () => {
    const outcome = fc.oneof(fc.constant<TryOutcome>(OK), fc.constant<TryOutcome>(F503), fc.constant<TryOutcome>({ ok: false, cause: 400 }), fc.constant<TryOutcome>({ ok: false, cause: 429, retryAfterMs: 1e9 }));
    fc.assert(
      fc.property(fc.array(fc.tuple(outcome, fc.integer({ min: 0, max: 5000 })), { maxLength: 60 }), (steps) => {
        const rec = newRecord();
        let now = 0;
        for (const [o, dt] of steps) record(rec, NODE, o, (now += dt));
        // Within the cap after the last event, the target is healthy or half-open (a probe is let through).
        const state = look(rec, now + NODE.maxEjectMs);
        expect(state === "half-open" ? "half-open" : state.status).not.toBe("ejected");
      }),
      { numRuns: 300 },
    );
  });
});

describe("the tracker", () => {
  const graph = { health: { h: NODE } } as unknown as Graph;

  it("hands the half-open probe to one request; a probe not sent goes back when the request ends", () => {
    let now = 0;
    const tracker = new HealthTracker(() => now);
    const r0 = tracker.request(graph, 60_000);
    r0.read("h", "m");
    for (let i = 0; i < 3; i++) r0.tried("m", F503);
    r0.finish();
    expect(tracker.ejections.get("m\u0000consecutive")).toBe(1);
    now = 1000;
    const a = tracker.request(graph, 60_000);
    const b = tracker.request(graph, 60_000);
    expect(a.read("h", "m")).toEqual({ status: "probe" });
    expect(a.read("h", "m")).toEqual({ status: "probe" }); // memoised: a second decide of the same request agrees
    expect(b.read("h", "m")).toMatchObject({ status: "ejected", probing: true });
    a.finish(); // never sent (say a guardrail blocked it): the probe goes back
    const c = tracker.request(graph, 60_000);
    expect(c.read("h", "m")).toEqual({ status: "probe" });
    c.tried("m", OK);
    c.finish();
    expect(tracker.readings()).toEqual([{ model: "m", healthy: true }]);
  });

  it("bounds a lost probe by the hold time", () => {
    let now = 0;
    const tracker = new HealthTracker(() => now);
    const r0 = tracker.request(graph, 500);
    r0.read("h", "m");
    for (let i = 0; i < 3; i++) r0.tried("m", F503);
    now = 1000;
    tracker.request(graph, 500).read("h", "m"); // taken, never settled, never finished
    now = 1499;
    expect(tracker.request(graph, 500).read("h", "m")).toMatchObject({ status: "ejected", probing: true });
    now = 1500;
    expect(tracker.request(graph, 500).read("h", "m")).toEqual({ status: "probe" });
  });
});
