/**
 * The per-request client signal: behaves like an AbortSignal for the
 * pipeline and the providers (listeners once, removable, none after the
 * abort) without an AbortController per request.
 */
import { describe, expect, it } from "vitest";
import { ClientSignal } from "../../runtime/server/client-signal.js";
import { ClientAbortedError, type HttpResponse } from "../../runtime/server/http.js";

/** The part of a response the signal uses, with a switch to make the client leave. */
function fakeResponse(): { res: HttpResponse; leave: () => void; hooks: () => number } {
  let aborted = false;
  const listeners: (() => void)[] = [];
  const res = {
    get aborted() {
      return aborted;
    },
    onAbort: (l: () => void) => void listeners.push(l),
  } as unknown as HttpResponse;
  return {
    res,
    leave: () => {
      aborted = true;
      for (const l of listeners) l();
    },
    hooks: () => listeners.length,
  };
}

describe("ClientSignal", () => {
  it("is not aborted and has no reason while the client is there", () => {
    const { res, hooks } = fakeResponse();
    const s = new ClientSignal(res);
    expect(s.aborted).toBe(false);
    expect(s.reason).toBeUndefined();
    expect(hooks()).toBe(0); // nothing is hooked until someone listens
  });

  it("calls each remaining listener once when the client leaves", () => {
    const { res, leave, hooks } = fakeResponse();
    const s = new ClientSignal(res);
    const calls: string[] = [];
    const a = () => calls.push("a");
    const b = () => calls.push("b");
    const c = () => {
      throw new Error("a failing listener");
    };
    s.addEventListener("abort", a);
    s.addEventListener("abort", c);
    s.addEventListener("abort", b);
    s.removeEventListener("abort", a);
    expect(hooks()).toBe(1);
    leave();
    expect(calls).toEqual(["b"]);
    expect(s.aborted).toBe(true);
    expect(s.reason).toBeInstanceOf(ClientAbortedError);
  });

  it("never calls a listener added after the client left", () => {
    const { res, leave } = fakeResponse();
    const s = new ClientSignal(res);
    leave();
    let called = false;
    s.addEventListener("abort", () => (called = true));
    expect(called).toBe(false);
  });
});
