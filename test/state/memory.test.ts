import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { WindowNode } from "../../compiler/graph.js";
import { memoryStore, type Reservation } from "../../runtime/state/index.js";
import { dropAt, spanAt, windowInfo } from "../../runtime/state/window.js";
import { conformance, fakeClock } from "./conformance.js";

conformance("memory", () => ({ open: async (clock) => memoryStore({ clock }), runs: 100 }));

/**
 * The memory store answers a rolling window's totals from running sums (not
 * a walk over its buckets): they must be what the window's definition says
 * (window.ts), after any mix of takes, reservations, settlements (also of
 * holds that expired or whose bucket left the window), expiries and sweeps.
 * The model below walks every write made and counts those in the span.
 */
describe("memory store: a rolling window's totals", () => {
  const op = fc.oneof(
    fc.record({ kind: fc.constant("take" as const), amount: fc.integer({ min: 0, max: 50 }) }),
    fc.record({ kind: fc.constant("reserve" as const), amount: fc.integer({ min: 0, max: 50 }), ttlMs: fc.integer({ min: 1, max: 90_000 }) }),
    fc.record({ kind: fc.constant("settle" as const), pick: fc.nat(), actual: fc.integer({ min: 0, max: 80 }) }),
    fc.record({ kind: fc.constant("add" as const), amount: fc.integer({ min: 0, max: 50 }) }),
    fc.record({ kind: fc.constant("wait" as const), ms: fc.integer({ min: 0, max: 25_000 }) }),
    fc.record({ kind: fc.constant("sweep" as const) }),
  );
  const windows: WindowNode[] = [
    { kind: "rolling", ms: 60_000 },
    { kind: "rolling", ms: 3_600_000 },
    { kind: "rolling", ms: 7_000 },
  ];

  it("equal the sum of every write in the span, with the oldest counted bucket's reset", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...windows), fc.integer({ min: 0, max: 10_000_000 }), fc.array(op, { maxLength: 60 }), async (window, start, ops) => {
        const clock = fakeClock(Date.UTC(2026, 0, 1) + start);
        const store = memoryStore({ clock });
        const info = windowInfo(window);
        const spent: { j: number; amount: number }[] = [];
        const holds: { r: Reservation; settled: boolean }[] = [];
        for (const o of ops) {
          const cur = spanAt(info, clock()).cur;
          if (o.kind === "take") {
            await store.take("k", o.amount, 1e12, window);
            spent.push({ j: cur, amount: o.amount });
          } else if (o.kind === "reserve") {
            const r = await store.reserve("k", o.amount, 1e12, window, o.ttlMs);
            holds.push({ r: r.reservation!, settled: false });
          } else if (o.kind === "settle" && holds.length > 0) {
            const h = holds[o.pick % holds.length]!;
            if (h.settled) continue;
            h.settled = true;
            await store.finish([{ reservation: h.r, actual: o.actual }]);
            spent.push({ j: h.r.bucket, amount: o.actual });
          } else if (o.kind === "add") {
            await store.finish([], [{ key: "k", amount: o.amount, window }]);
            spent.push({ j: cur, amount: o.amount });
          } else if (o.kind === "wait") clock.advance(o.ms);
          else if (o.kind === "sweep") await store.sweep();
          const now = clock();
          const span = spanAt(info, now);
          const inSpan = (j: number) => j >= span.lo && j <= span.cur;
          const byBucket = new Map<number, number>();
          for (const s of spent) if (inSpan(s.j)) byBucket.set(s.j, (byBucket.get(s.j) ?? 0) + s.amount);
          let reserved = 0;
          for (const h of holds) {
            if (h.settled || h.r.expiresAt <= now || !inSpan(h.r.bucket)) continue;
            reserved += h.r.amount;
            byBucket.set(h.r.bucket, (byBucket.get(h.r.bucket) ?? 0) + h.r.amount);
          }
          const total = [...byBucket.values()].reduce((a, b) => a + b, 0) - reserved;
          const oldest = [...byBucket].filter(([, v]) => v > 0).reduce<number | undefined>((m, [j]) => (m === undefined || j < m ? j : m), undefined);
          const [read] = await store.read([{ key: "k", window }]);
          expect(read).toEqual({ spent: total, reserved, resetAt: oldest === undefined ? span.curDropAt : dropAt(info, oldest) });
        }
        await store.close();
      }),
      { numRuns: 300 },
    );
  });

  it("stay right when the clock goes back past a written bucket", async () => {
    const window: WindowNode = { kind: "rolling", ms: 60_000 };
    const clock = fakeClock(Date.UTC(2026, 0, 1, 12));
    const store = memoryStore({ clock });
    await store.take("k", 5, 100, window);
    clock.advance(10_000);
    await store.take("k", 7, 100, window);
    clock.advance(-10_000);
    // Back at the first second: the bucket written 10 s "later" is not in the span that ends now.
    expect(await store.read([{ key: "k", window }])).toEqual([{ spent: 5, reserved: 0, resetAt: Date.UTC(2026, 0, 1, 12) + 61_000 }]);
    clock.advance(10_000);
    expect(await store.read([{ key: "k", window }])).toEqual([{ spent: 12, reserved: 0, resetAt: Date.UTC(2026, 0, 1, 12) + 61_000 }]);
  });
});
