/**
 * The attempt deadline: one shared sweep instead of a timer per attempt,
 * the caller's signal followed without an AbortController, and an abort
 * signal only for the transports that ask for one.
 */

import { describe, expect, it } from "vitest";
import { AttemptAbort, AttemptDeadline } from "../../runtime/providers/deadline.js";

/** Resolves with the reason the transport was told to abort with. */
function transportAborted(d: AttemptDeadline): Promise<AttemptAbort> {
  return new Promise((resolve) => d.onAbort(resolve));
}

describe("AttemptDeadline", () => {
  it("times out, never before its timeout, and tells the transport why", async () => {
    const started = performance.now();
    const d = new AttemptDeadline(undefined, 40);
    const reason = await transportAborted(d);
    expect(performance.now() - started).toBeGreaterThanOrEqual(40);
    expect(reason).toBeInstanceOf(AttemptAbort);
    expect(reason.abortCause).toBe("timeout");
    expect(d.cause).toBe("timeout");
  });

  it("expires attempts with different timeouts, each in its own time, and leaves the rest alone", async () => {
    const short = new AttemptDeadline(undefined, 20);
    const long = new AttemptDeadline(undefined, 60_000);
    const disposed = new AttemptDeadline(undefined, 20);
    disposed.dispose();
    await transportAborted(short);
    await new Promise((r) => setTimeout(r, 40));
    expect(short.cause).toBe("timeout");
    expect(long.cause).toBeUndefined();
    expect(disposed.cause).toBeUndefined();
    long.dispose();
  });

  it("follows the caller's signal until disposed", async () => {
    const caller = new AbortController();
    const d = new AttemptDeadline(caller.signal, 60_000);
    const aborted = transportAborted(d);
    caller.abort();
    expect((await aborted).abortCause).toBe("caller");
    expect(d.cause).toBe("caller");

    const later = new AbortController();
    const done = new AttemptDeadline(later.signal, 60_000);
    done.dispose();
    later.abort();
    expect(done.cause).toBeUndefined();
  });

  it("fires at once for a caller that already gave up, and for a transport that comes late", () => {
    const caller = new AbortController();
    caller.abort();
    const d = new AttemptDeadline(caller.signal, 60_000);
    expect(d.cause).toBe("caller");
    const seen: AttemptAbort[] = [];
    d.onAbort((r) => seen.push(r));
    expect(seen.map((r) => r.abortCause)).toEqual(["caller"]);
    expect(d.signal.aborted).toBe(true);
  });

  it("keeps following the caller after the timer stopped (a stream's first chunk)", async () => {
    const caller = new AbortController();
    const d = new AttemptDeadline(caller.signal, 20);
    d.stopTimer();
    await new Promise((r) => setTimeout(r, 50));
    expect(d.cause).toBeUndefined();
    caller.abort();
    expect(d.cause).toBe("caller");
  });

  it("aborts the signal it handed out, with the cause, and only the first cause counts", () => {
    const d = new AttemptDeadline(undefined, 60_000);
    const signal = d.signal;
    expect(signal.aborted).toBe(false);
    d.cancel();
    d.expire();
    expect(signal.aborted).toBe(true);
    expect((signal.reason as AttemptAbort).abortCause).toBe("cancel");
    expect(d.cause).toBe("cancel");
  });

  it("accepts any AbortSignal-shaped caller, and stops listening to it when disposed", () => {
    const listeners = new Set<() => void>();
    const caller = {
      aborted: false,
      addEventListener: (_t: "abort", l: () => void) => void listeners.add(l),
      removeEventListener: (_t: "abort", l: () => void) => void listeners.delete(l),
    };
    const d = new AttemptDeadline(caller, 60_000);
    expect(listeners.size).toBe(1);
    d.dispose();
    expect(listeners.size).toBe(0);
  });
});
