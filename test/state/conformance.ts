/**
 * The one conformance suite every store passes (memory, SQLite, Redis), in
 * the manner of Hono's `router/common.case.test.ts`: each implementation's
 * test file calls {@link conformance} with a way to open a fresh, empty
 * store over a fake clock.
 */
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import type { WindowNode } from "../../compiler/graph.js";
import { StateError, type CheckResult, type Clock, type HealthNews, type Reservation, type SharedHealth, type Store } from "../../runtime/state/index.js";

/** How a test file provides its store. */
export interface StoreFactory {
  /** A fresh, empty store over `clock`. */
  open(clock: Clock): Promise<Store>;
  /** Runs of the fast-check concurrency property (Redis does fewer: each run is real I/O). */
  runs: number;
}

export const MINUTE: WindowNode = { kind: "calendar", unit: "minute" };
export const HOUR: WindowNode = { kind: "calendar", unit: "hour" };
export const DAY: WindowNode = { kind: "calendar", unit: "day" };
export const MONTH: WindowNode = { kind: "calendar", unit: "month" };
/** A rolling minute: sub-buckets of one second. */
export const ROLLING_MINUTE: WindowNode = { kind: "rolling", ms: 60_000 };

/** A clock tests set and advance. */
export interface FakeClock {
  (): number;
  set(t: number): void;
  advance(ms: number): void;
}

export function fakeClock(start: number): FakeClock {
  let now = start;
  const clock = (() => now) as FakeClock;
  clock.set = (t) => void (now = t);
  clock.advance = (ms) => void (now += ms);
  return clock;
}

const NOON = Date.UTC(2025, 0, 15, 12, 0, 0);
const NEXT_DAY = Date.UTC(2025, 0, 16);

function held(r: CheckResult): Reservation {
  if (r.reservation === undefined) throw new Error("expected an admitted reservation");
  return r.reservation;
}

/** Registers the suite for one implementation; `factory` is called inside the tests (after any `beforeAll`). */
export function conformance(name: string, factory: () => StoreFactory): void {
  describe(`store conformance: ${name}`, () => {
    const open: Store[] = [];
    let clock: FakeClock;

    async function store(start = NOON): Promise<Store> {
      clock = fakeClock(start);
      const s = await factory().open(clock);
      open.push(s);
      return s;
    }

    afterEach(async () => {
      for (const s of open.splice(0)) await s.close();
    });

    describe("reservations", () => {
      it("holds the amount, then settles to the actual cost", async () => {
        const s = await store();
        const r = await s.reserve("budget:b:t", 30, 100, DAY);
        expect(r).toMatchObject({ admitted: true, spent: 0, reserved: 30, limit: 100, remaining: 70, resetAt: NEXT_DAY });
        expect(held(r)).toMatchObject({ key: "budget:b:t", amount: 30, tag: "day", bucket: Date.UTC(2025, 0, 15) });
        expect(await s.settle(held(r), 20)).toBe(true);
        expect(await s.read([{ key: "budget:b:t", window: DAY }])).toEqual([{ spent: 20, reserved: 0, resetAt: NEXT_DAY }]);
      });

      it("charges an actual cost above the reservation", async () => {
        const s = await store();
        await s.settle(held(await s.reserve("k", 10, 100, DAY)), 25);
        const r = await s.reserve("k", 5, 100, DAY);
        expect(r).toMatchObject({ admitted: true, spent: 25, reserved: 5, remaining: 70 });
      });

      it("admits exactly up to the limit and refuses one more, writing nothing", async () => {
        const s = await store();
        const a = await s.reserve("k", 60, 100, DAY);
        const b = await s.reserve("k", 40, 100, DAY);
        expect([a.admitted, b.admitted]).toEqual([true, true]);
        const c = await s.reserve("k", 1, 100, DAY);
        expect(c).toEqual({ admitted: false, spent: 0, reserved: 100, limit: 100, remaining: 0, resetAt: NEXT_DAY });
        await s.settle(held(a), 50);
        expect(await s.reserve("k", 10, 100, DAY)).toMatchObject({ admitted: true, spent: 50, reserved: 50, remaining: 0 });
        expect(await s.reserve("k", 1, 100, DAY)).toMatchObject({ admitted: false });
      });

      it("admits, of many reservations made at once, exactly those that fit, in call order", async () => {
        const s = await store();
        const results = await Promise.all(Array.from({ length: 50 }, () => s.reserve("k", 3, 100, DAY)));
        expect(results.map((r) => r.admitted)).toEqual(Array.from({ length: 50 }, (_, i) => i < 33));
        expect(results[32]).toMatchObject({ reserved: 99, remaining: 1 });
        expect(new Set(results.filter((r) => r.admitted).map((r) => held(r).id)).size).toBe(33);
      });

      it("refuses a reservation larger than the whole limit, even when nothing is spent", async () => {
        const s = await store();
        expect(await s.reserve("k", 101, 100, DAY)).toMatchObject({ admitted: false, spent: 0, reserved: 0, remaining: 100 });
        expect(await s.read([{ key: "k", window: DAY }])).toEqual([{ spent: 0, reserved: 0, resetAt: NEXT_DAY }]);
      });

      it("identifies every reservation by key, window, bucket and id, never reusing one", async () => {
        const s = await store();
        const ids = new Set<string>();
        for (let i = 0; i < 6; i++) {
          const r = held(await s.reserve(i % 2 ? "a" : "b", 1, 100, DAY));
          ids.add(`${r.key}|${r.tag}|${r.bucket}|${r.id}`);
          if (i % 3 === 0) await s.settle(r, 0); // a freed id must not come back
        }
        expect(ids.size).toBe(6);
      });

      it("releases an unsettled reservation when it expires, without a sweep", async () => {
        const s = await store();
        const r = await s.reserve("k", 100, 100, DAY, 1000);
        expect(held(r).expiresAt).toBe(NOON + 1000);
        clock.advance(999);
        expect(await s.reserve("k", 1, 100, DAY)).toMatchObject({ admitted: false, reserved: 100 });
        clock.advance(1);
        expect(await s.read([{ key: "k", window: DAY }])).toEqual([{ spent: 0, reserved: 0, resetAt: NEXT_DAY }]);
        expect(await s.reserve("k", 100, 100, DAY)).toMatchObject({ admitted: true, reserved: 100 });
        expect(await s.read([{ key: "k", window: DAY }])).toEqual([{ spent: 0, reserved: 100, resetAt: NEXT_DAY }]);
      });

      it("stops counting each reservation at its own expiry, in reads, listings and admissions", async () => {
        const s = await store();
        await s.reserve("k", 10, 100, DAY, 1000);
        const long = held(await s.reserve("k", 20, 100, DAY, 5000));
        clock.advance(2000);
        expect(await s.read([{ key: "k", window: DAY }])).toEqual([{ spent: 0, reserved: 20, resetAt: NEXT_DAY }]);
        expect(await s.list()).toMatchObject([{ key: "k", reserved: 20 }]);
        expect(await s.reserve("k", 80, 100, DAY)).toMatchObject({ admitted: true, reserved: 100 });
        expect(await s.settle(long, 20)).toBe(true);
        clock.advance(15 * 60_000);
        expect(await s.read([{ key: "k", window: DAY }])).toEqual([{ spent: 20, reserved: 0, resetAt: NEXT_DAY }]);
        await s.sweep(); // how many it finds depends on whether the read above already released the 80
        expect(await s.reserve("k", 80, 100, DAY)).toMatchObject({ admitted: true, spent: 20, reserved: 80 });
      });

      it("charges a late settlement without releasing anything twice", async () => {
        const s = await store();
        const r = await s.reserve("k", 70, 100, DAY, 1000);
        clock.advance(5000);
        const other = await s.reserve("k", 30, 100, DAY);
        expect(await s.settle(held(r), 70)).toBe(false);
        expect(await s.read([{ key: "k", window: DAY }])).toEqual([{ spent: 70, reserved: 30, resetAt: NEXT_DAY }]);
        await s.settle(held(other), 30);
        expect(await s.read([{ key: "k", window: DAY }])).toEqual([{ spent: 100, reserved: 0, resetAt: NEXT_DAY }]);
      });

      it("sweeps expired reservations and reports how many", async () => {
        const s = await store();
        await s.reserve("a", 10, 100, DAY, 1000);
        await s.reserve("b", 10, 100, DAY, 1000);
        await s.reserve("b", 10, 100, DAY, 60_000);
        clock.advance(2000);
        expect(await s.sweep()).toBe(2);
        expect(await s.sweep()).toBe(0);
        expect(await s.read([{ key: "a", window: DAY }, { key: "b", window: DAY }])).toEqual([
          { spent: 0, reserved: 0, resetAt: NEXT_DAY },
          { spent: 0, reserved: 10, resetAt: NEXT_DAY },
        ]);
      });
    });

    describe("calendar windows", () => {
      it("starts a new day at 00:00 UTC", async () => {
        const s = await store(NEXT_DAY - 1);
        await s.settle(held(await s.reserve("k", 100, 100, DAY)), 100);
        expect(await s.reserve("k", 1, 100, DAY)).toMatchObject({ admitted: false, resetAt: NEXT_DAY });
        clock.advance(1);
        expect(await s.reserve("k", 1, 100, DAY)).toMatchObject({ admitted: true, spent: 0, reserved: 1, resetAt: NEXT_DAY + 86_400_000 });
      });

      it("aligns minutes, hours and months in UTC", async () => {
        const s = await store(Date.UTC(2024, 1, 29, 23, 59, 30)); // a leap day
        const m = await s.take("m", 1, 5, MINUTE);
        const h = await s.take("h", 1, 5, HOUR);
        const mo = await s.take("mo", 1, 5, MONTH);
        expect(m.resetAt).toBe(Date.UTC(2024, 1, 29, 23, 60));
        expect(h.resetAt).toBe(Date.UTC(2024, 2, 1));
        expect(mo.resetAt).toBe(Date.UTC(2024, 2, 1));
        clock.set(Date.UTC(2024, 2, 1));
        expect(await s.read([{ key: "mo", window: MONTH }])).toEqual([{ spent: 0, reserved: 0, resetAt: Date.UTC(2024, 3, 1) }]);
      });

      it("settles a reservation in the window it was made in", async () => {
        const s = await store(NEXT_DAY - 10);
        const r = await s.reserve("k", 50, 100, DAY);
        clock.set(NEXT_DAY + 10);
        await s.settle(held(r), 50);
        // Looking back (a test-only clock move) shows the charge in the old day...
        clock.set(NEXT_DAY - 5);
        expect(await s.read([{ key: "k", window: DAY }])).toEqual([{ spent: 50, reserved: 0, resetAt: NEXT_DAY }]);
        // ...and the new day starts empty.
        clock.set(NEXT_DAY + 10);
        expect(await s.read([{ key: "k", window: DAY }])).toEqual([{ spent: 0, reserved: 0, resetAt: NEXT_DAY + 86_400_000 }]);
      });

      it("keeps counters of different windows apart", async () => {
        const s = await store();
        await s.take("k", 5, 5, DAY);
        expect(await s.take("k", 5, 5, HOUR)).toMatchObject({ admitted: true, spent: 5 });
      });
    });

    describe("rolling windows", () => {
      it("forgets spend one window (plus at most one step) later and reports that time", async () => {
        const t0 = NOON; // a whole second: sub-buckets are one second long
        const s = await store(t0);
        expect(await s.take("k", 10, 10, ROLLING_MINUTE)).toMatchObject({ admitted: true, resetAt: t0 + 61_000 });
        clock.set(t0 + 30_000);
        expect(await s.take("k", 1, 10, ROLLING_MINUTE)).toMatchObject({ admitted: false, spent: 10, resetAt: t0 + 61_000 });
        clock.set(t0 + 60_999);
        expect(await s.take("k", 1, 10, ROLLING_MINUTE)).toMatchObject({ admitted: false });
        clock.set(t0 + 61_000);
        expect(await s.take("k", 10, 10, ROLLING_MINUTE)).toMatchObject({ admitted: true, spent: 10 });
      });

      it("reports the reset of the oldest counted spend", async () => {
        const s = await store(NOON);
        await s.take("k", 3, 10, ROLLING_MINUTE);
        clock.advance(20_500);
        const r = await s.take("k", 3, 10, ROLLING_MINUTE);
        expect(r).toMatchObject({ admitted: true, spent: 6, resetAt: NOON + 61_000 });
        clock.set(NOON + 61_000);
        expect(await s.read([{ key: "k", window: ROLLING_MINUTE }])).toEqual([{ spent: 3, reserved: 0, resetAt: NOON + 20_000 + 61_000 }]);
      });

      it("never admits more than the limit in any interval of the window's length", async () => {
        const L = 60_000;
        await fc.assert(
          fc.asyncProperty(fc.array(fc.record({ gap: fc.integer({ min: 0, max: 20_000 }), n: fc.integer({ min: 0, max: 4 }) }), { maxLength: 40 }), async (ops) => {
            const s = await store(NOON + 123);
            const admitted: { t: number; n: number }[] = [];
            for (const op of ops) {
              clock.advance(op.gap);
              if ((await s.take("k", op.n, 10, ROLLING_MINUTE)).admitted) admitted.push({ t: clock(), n: op.n });
            }
            for (const a of admitted) {
              const inWindow = admitted.filter((b) => b.t > a.t - L && b.t <= a.t).reduce((sum, b) => sum + b.n, 0);
              expect(inWindow).toBeLessThanOrEqual(10);
            }
          }),
          { numRuns: Math.max(5, Math.floor(factory().runs / 2)) },
        );
      });
    });

    describe("rate limits", () => {
      it("takes until the limit, then refuses with nothing remaining", async () => {
        const s = await store();
        const key = "limit:l:requests:k";
        for (let i = 1; i <= 3; i++) expect(await s.take(key, 1, 3, MINUTE)).toMatchObject({ admitted: true, spent: i, remaining: 3 - i, reserved: 0 });
        expect(await s.take(key, 1, 3, MINUTE)).toEqual({ admitted: false, spent: 3, reserved: 0, limit: 3, remaining: 0, resetAt: NOON + 60_000 });
        clock.advance(60_000);
        expect(await s.take(key, 1, 3, MINUTE)).toMatchObject({ admitted: true, spent: 1 });
      });

      it("adds output tokens without a check, and later takes see them", async () => {
        const s = await store();
        expect(await s.take("t", 100, 150, MINUTE)).toMatchObject({ admitted: true, spent: 100 });
        expect(await s.take("t", 60, 150, MINUTE)).toMatchObject({ admitted: false, spent: 100, remaining: 50 });
        await s.add("t", 30, MINUTE);
        expect(await s.take("t", 20, 150, MINUTE)).toMatchObject({ admitted: true, spent: 150, remaining: 0 });
        await s.add("t", 40, MINUTE);
        expect(await s.read([{ key: "t", window: MINUTE }])).toEqual([{ spent: 190, reserved: 0, resetAt: NOON + 60_000 }]);
        expect(await s.take("t", 0, 150, MINUTE)).toMatchObject({ admitted: false, remaining: 0 });
      });
    });

    describe("batches", () => {
      it("admits all checks or none", async () => {
        const s = await store();
        await s.take("req", 2, 2, MINUTE);
        const a = await s.admit([
          { kind: "reserve", key: "budget", amount: 10, limit: 100, window: DAY },
          { kind: "take", key: "req", amount: 1, limit: 2, window: MINUTE },
          { kind: "take", key: "tok", amount: 500, limit: 1000, window: MINUTE },
        ]);
        expect(a.admitted).toBe(false);
        expect(a.results.map((r) => r.admitted)).toEqual([true, false, true]);
        expect(a.results.every((r) => r.reservation === undefined)).toBe(true);
        expect(await s.read([{ key: "budget", window: DAY }, { key: "req", window: MINUTE }, { key: "tok", window: MINUTE }])).toEqual([
          { spent: 0, reserved: 0, resetAt: NEXT_DAY },
          { spent: 2, reserved: 0, resetAt: NOON + 60_000 },
          { spent: 0, reserved: 0, resetAt: NOON + 60_000 },
        ]);
        clock.advance(60_000);
        const b = await s.admit([
          { kind: "reserve", key: "budget", amount: 10, limit: 100, window: DAY },
          { kind: "take", key: "req", amount: 1, limit: 2, window: MINUTE },
        ]);
        expect(b.admitted).toBe(true);
        expect(b.results[0]).toMatchObject({ admitted: true, reserved: 10 });
        expect(b.results[0]!.reservation).toBeDefined();
        expect(b.results[1]).toMatchObject({ admitted: true, spent: 1, remaining: 1 });
      });

      it("finishes a request in one step: settlements and output tokens", async () => {
        const s = await store();
        const a = await s.admit([
          { kind: "reserve", key: "budget:a:t", amount: 50, limit: 100, window: DAY },
          { kind: "reserve", key: "budget:b:t", amount: 50, limit: 100, window: DAY, ttlMs: 1000 },
          { kind: "take", key: "limit:l:tokens:k", amount: 30, limit: 1000, window: MINUTE },
        ]);
        clock.advance(1000);
        const live = await s.finish(
          [
            { reservation: held(a.results[0]!), actual: 40 },
            { reservation: held(a.results[1]!), actual: 45 },
          ],
          [{ key: "limit:l:tokens:k", amount: 70, window: MINUTE }],
        );
        expect(live).toEqual([true, false]);
        expect(await s.read([{ key: "budget:a:t", window: DAY }, { key: "budget:b:t", window: DAY }, { key: "limit:l:tokens:k", window: MINUTE }])).toEqual([
          { spent: 40, reserved: 0, resetAt: NEXT_DAY },
          { spent: 45, reserved: 0, resetAt: NEXT_DAY },
          { spent: 100, reserved: 0, resetAt: NOON + 60_000 },
        ]);
        expect(await s.finish([])).toEqual([]);
      });

      it("rejects a key given twice in one batch", async () => {
        const s = await store();
        const twice = s.admit([
          { kind: "take", key: "k", amount: 1, limit: 2, window: MINUTE },
          { kind: "take", key: "k", amount: 1, limit: 2, window: MINUTE },
        ]);
        await expect(twice).rejects.toMatchObject({ code: "AIGW_STATE_BAD_ARGUMENT" });
      });
    });

    describe("reads and listing", () => {
      it("reads several counters at once, zero for unknown ones", async () => {
        const s = await store();
        await s.reserve("a", 5, 100, DAY);
        await s.take("b", 7, 100, MINUTE);
        expect(await s.read([{ key: "b", window: MINUTE }, { key: "nothing", window: HOUR }, { key: "a", window: DAY }])).toEqual([
          { spent: 7, reserved: 0, resetAt: NOON + 60_000 },
          { spent: 0, reserved: 0, resetAt: NOON + 3_600_000 },
          { spent: 0, reserved: 5, resetAt: NEXT_DAY },
        ]);
      });

      it("lists counters with spend or reservations in their current window", async () => {
        const s = await store();
        await s.settle(held(await s.reserve("budget:team-daily:search", 40, 200, DAY)), 25);
        await s.reserve("budget:team-daily:support", 10, 200, DAY);
        await s.reserve("budget:org:global", 0, 5000, MONTH);
        await s.take("limit:per-key:requests:sha256:ab", 1, 600, MINUTE);
        expect(await s.list()).toEqual([
          { kind: "budget", key: "budget:team-daily:search", window: DAY, spent: 25, reserved: 0, limit: 200, resetAt: NEXT_DAY },
          { kind: "budget", key: "budget:team-daily:support", window: DAY, spent: 0, reserved: 10, limit: 200, resetAt: NEXT_DAY },
          { kind: "limit", key: "limit:per-key:requests:sha256:ab", window: MINUTE, spent: 1, reserved: 0, limit: 600, resetAt: NOON + 60_000 },
        ]);
        clock.advance(120_000);
        expect((await s.list()).map((e) => e.key)).toEqual(["budget:team-daily:search", "budget:team-daily:support"]);
        clock.set(NEXT_DAY);
        expect(await s.list()).toEqual([]);
      });

      it("lists rolling windows with their length", async () => {
        const s = await store();
        await s.reserve("budget:burst:k", 3, 5_000_000, { kind: "rolling", ms: 3_600_000 });
        expect(await s.list()).toEqual([
          { kind: "budget", key: "budget:burst:k", window: { kind: "rolling", ms: 3_600_000 }, spent: 0, reserved: 3, limit: 5_000_000, resetAt: NOON + 60_000 + 3_600_000 },
        ]);
      });
    });

    describe("shared health", () => {
      const KEY = "upstream\tgpt";
      const byKey = (recs: readonly SharedHealth[]): SharedHealth | undefined => recs.find((r) => r.key === KEY);
      const eject = (until: number, ejections = 1): HealthNews => ({ op: "eject", key: KEY, ejectedAt: NOON, until, ejections, cause: '{"kind":"consecutive"}' });

      it("keeps the later ejection, bumping the epoch only when one applies", async () => {
        const s = await store();
        expect(await s.shareHealth("a", [])).toEqual([]);
        const first = byKey(await s.shareHealth("a", [eject(NOON + 30_000)]))!;
        expect(first).toMatchObject({ ejected: true, until: NOON + 30_000, epoch: 1, ejections: 1, cause: '{"kind":"consecutive"}' });
        // An earlier end from another process changes nothing; a later one wins.
        expect(byKey(await s.shareHealth("b", [eject(NOON + 10_000)]))).toEqual(first);
        expect(byKey(await s.shareHealth("b", [eject(NOON + 60_000, 2)]))).toMatchObject({ until: NOON + 60_000, epoch: 2, ejections: 2 });
      });

      it("lets one process at a time hold the probe, and only once the ejection is over", async () => {
        const s = await store();
        await s.shareHealth("a", [eject(NOON + 30_000)]);
        const claim: HealthNews = { op: "claim", key: KEY, holdMs: 5_000 };
        expect(byKey(await s.shareHealth("a", [claim]))).toMatchObject({ owner: "", lease: 0 });
        clock.advance(30_000);
        expect(byKey(await s.shareHealth("a", [claim]))).toMatchObject({ owner: "a", lease: NOON + 35_000 });
        expect(byKey(await s.shareHealth("b", [claim]))).toMatchObject({ owner: "a" });
        // The holder renews; a lapsed lease (a crashed holder) goes to the next claimer.
        clock.advance(4_000);
        expect(byKey(await s.shareHealth("a", [claim]))).toMatchObject({ owner: "a", lease: NOON + 39_000 });
        clock.advance(5_000);
        expect(byKey(await s.shareHealth("b", [claim]))).toMatchObject({ owner: "b", lease: NOON + 44_000 });
        // Only the holder can give it back.
        expect(byKey(await s.shareHealth("a", [{ op: "release", key: KEY }]))).toMatchObject({ owner: "b" });
        expect(byKey(await s.shareHealth("b", [{ op: "release", key: KEY }]))).toMatchObject({ owner: "", lease: 0 });
      });

      it("closes only the ejection the closer saw", async () => {
        const s = await store();
        await s.shareHealth("a", [eject(NOON + 30_000)]);
        clock.advance(30_000);
        // Process b re-ejected (its probe failed) after a saw epoch 1: a's late close is stale.
        await s.shareHealth("b", [eject(NOON + 90_000, 2)]);
        expect(byKey(await s.shareHealth("a", [{ op: "close", key: KEY, epoch: 1 }]))).toMatchObject({ ejected: true, epoch: 2 });
        expect(byKey(await s.shareHealth("b", [{ op: "close", key: KEY, epoch: 2 }]))).toMatchObject({ ejected: false, epoch: 3, owner: "" });
      });

      it("applies a batch in order, atomically, and keeps records apart", async () => {
        const s = await store();
        const other: HealthNews = { op: "eject", key: "upstream\tsonnet", ejectedAt: NOON, until: NOON + 5_000, ejections: 1, cause: "{}" };
        const recs = await s.shareHealth("a", [eject(NOON + 1_000), other, { op: "close", key: KEY, epoch: 1 }]);
        expect(recs.map((r) => [r.key, r.ejected]).sort()).toEqual([
          ["upstream\tgpt", false],
          ["upstream\tsonnet", true],
        ]);
      });
    });

    describe("contract", () => {
      it("rejects amounts that are not whole and non-negative", async () => {
        const s = await store();
        for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
          await expect(s.reserve("k", bad, 100, DAY)).rejects.toBeInstanceOf(StateError);
          await expect(s.take("k", 1, bad, DAY)).rejects.toMatchObject({ code: "AIGW_STATE_BAD_ARGUMENT" });
          await expect(s.add("k", bad, DAY)).rejects.toMatchObject({ code: "AIGW_STATE_BAD_ARGUMENT" });
        }
        const r = held(await s.reserve("k", 1, 100, DAY));
        await expect(s.settle(r, -3)).rejects.toMatchObject({ code: "AIGW_STATE_BAD_ARGUMENT" });
      });

      it("rejects every call after close", async () => {
        const s = await store();
        await s.close();
        await expect(s.reserve("k", 1, 100, DAY)).rejects.toMatchObject({ code: "AIGW_STATE_CLOSED" });
        await expect(s.read([])).rejects.toMatchObject({ code: "AIGW_STATE_CLOSED" });
        await expect(s.list()).rejects.toMatchObject({ code: "AIGW_STATE_CLOSED" });
      });
    });

    describe("concurrency", () => {
      it("never admits past a hard budget under random interleavings, and reserved never goes negative", async () => {
        const LIMIT = 100;
        const request = fc.record({ amount: fc.integer({ min: 0, max: 45 }), settle: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }) });
        await fc.assert(
          fc.asyncProperty(fc.scheduler(), fc.array(request, { minLength: 1, maxLength: 12 }), fc.integer({ min: 0, max: 3 }), async (sch, requests, reads) => {
            const s = await store();
            // Entries are pushed when a call is made. Every store serializes calls in call order (one
            // synchronous step, one SQLite connection, one FIFO Redis connection), so replaying the log
            // against a trivial model must reproduce every answer exactly.
            type Entry =
              | { op: "reserve"; amount: number; result?: CheckResult }
              | { op: "settle"; amount: number; actual: number }
              | { op: "read"; spent?: number; reserved?: number };
            const log: Entry[] = [];
            const tasks = requests.map(async (req, i) => {
              await sch.schedule(Promise.resolve(), `reserve #${i} ${req.amount}`);
              const e: Entry = { op: "reserve", amount: req.amount };
              log.push(e);
              e.result = await s.reserve("budget:hard:x", req.amount, LIMIT, DAY);
              if (!e.result.admitted || req.settle === undefined) return;
              await sch.schedule(Promise.resolve(), `settle #${i}`);
              const actual = Math.floor((req.amount * req.settle) / 100);
              log.push({ op: "settle", amount: req.amount, actual });
              await s.settle(held(e.result), actual);
            });
            for (let i = 0; i < reads; i++) {
              tasks.push(
                (async () => {
                  await sch.schedule(Promise.resolve(), `read #${i}`);
                  const e: Entry = { op: "read" };
                  log.push(e);
                  const [v] = await s.read([{ key: "budget:hard:x", window: DAY }]);
                  e.spent = v!.spent;
                  e.reserved = v!.reserved;
                })(),
              );
            }
            await sch.waitFor(Promise.all(tasks));

            let spent = 0;
            let reserved = 0;
            for (const e of log) {
              if (e.op === "reserve") {
                const fits = spent + reserved + e.amount <= LIMIT;
                expect(e.result!.admitted).toBe(fits);
                if (fits) reserved += e.amount;
                expect(e.result!.spent + e.result!.reserved).toBe(spent + reserved);
              } else if (e.op === "settle") {
                reserved -= e.amount;
                spent += e.actual;
              } else {
                expect([e.spent, e.reserved]).toEqual([spent, reserved]);
              }
              expect(reserved).toBeGreaterThanOrEqual(0);
              expect(spent + reserved).toBeLessThanOrEqual(LIMIT);
            }
            const [end] = await s.read([{ key: "budget:hard:x", window: DAY }]);
            expect(end).toMatchObject({ spent, reserved });
            await s.close();
          }),
          { numRuns: factory().runs },
        );
      });
    });
  });
}
