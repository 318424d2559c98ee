/**
 * Upstream faults arriving together (issue 9): many requests at once, each
 * meeting a different fault, JSON and streams mixed. Every request ends
 * with its declared outcome, and the budget afterwards holds no reservation
 * and has been charged exactly the requests that succeeded.
 */
import { afterEach, describe, expect, it } from "vitest";
import { behave, type Behaviour } from "../support/upstreams.js";
import { call, closeRigs, ledger, logged, REPLY_COST, startRig, type Mode } from "./upstream-helpers.js";

afterEach(closeRigs);

/** Faults that end a try before its first chunk, in either mode. */
const FAULTS: readonly Behaviour[] = [
  behave.fail(503),
  behave.fail(429, { retryAfter: "1" }),
  behave.stallHeaders(),
  behave.reset(),
  behave.invalidJson(),
  behave.wrongContentType(),
  behave.stallWithPings({ afterFirst: false }),
];

const ROUNDS = 3;

/**
 * The primary's per-try timeout: long enough that 42 concurrent healthy
 * replies are never late on a loaded 2-core machine (at the rig's default
 * 300 ms some were, and counted as 504s), so only the stalls time out.
 */
const TIMING = { timeout: "2s", deadline: "8s" } as const;

describe("many faulty requests at once", () => {
  it("all fall back to the healthy target, and the budget is charged once per reply", async () => {
    const rig = await startRig({ reaction: "fallback", ...TIMING });
    const count = FAULTS.length * ROUNDS * 2;
    rig.primary!.next(...Array.from({ length: count }, (_, i) => FAULTS[i % FAULTS.length]!));
    const modes: Mode[] = Array.from({ length: count }, (_, i) => (i % 2 === 0 ? "json" : "stream"));
    const outs = await Promise.all(modes.map((m) => call(rig.base, m)));
    await logged(rig, count);
    for (const out of outs) {
      expect(out.status).toBe(200);
      expect(out.headers.get("x-aigw-attempts")).toMatch(/^primary:(503|429|timeout|connection|502),backup:200$/);
      if (out.stream) expect(out.stream).toEqual({ text: "hello from openai", done: true });
    }
    expect(rig.backup.requests).toHaveLength(count);
    expect(await ledger(rig.store)).toEqual({ spent: count * REPLY_COST, reserved: 0, anyReserved: 0 });
  });

  it("without a fallback, each ends with its own status and only the replies are charged", async () => {
    const rig = await startRig({ reaction: "none", store: "sqlite", ...TIMING });
    // Every other request meets a fault; the rest get a normal reply.
    const queue = FAULTS.flatMap((f) => [f, behave.reply()]);
    const count = queue.length * ROUNDS;
    rig.primary!.next(...Array.from({ length: ROUNDS }, () => queue).flat());
    const outs = await Promise.all(Array.from({ length: count }, (_, i) => call(rig.base, i % 3 === 0 ? "stream" : "json")));
    await logged(rig, count);
    const byStatus = new Map<number, number>();
    for (const out of outs) {
      byStatus.set(out.status, (byStatus.get(out.status) ?? 0) + 1);
      const attempts = out.headers.get("x-aigw-attempts");
      if (out.status === 200) expect(attempts).toBe("primary:200");
      else if (out.status === 504) expect(attempts).toBe("primary:timeout");
      else if (out.status === 429) expect(attempts).toBe("primary:429");
      else {
        expect(out.status).toBe(502);
        expect(attempts).toMatch(/^primary:(503|connection|502)$/);
      }
      if (out.status !== 200) expect(out.json!.error!.message).toContain("every target failed");
    }
    const ok = byStatus.get(200) ?? 0;
    expect(ok).toBe(count / 2);
    expect(byStatus.get(504)).toBe(2 * ROUNDS);
    expect(await ledger(rig.store)).toEqual({ spent: ok * REPLY_COST, reserved: 0, anyReserved: 0 });
  });
});
