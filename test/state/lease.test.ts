/**
 * Leases (state/lease.ts) over a real SQLite file, on a fixed clock: how
 * slices are sized, the fall back to per-request admission near a limit,
 * when charged amounts reach the store (as a request finishes, on the
 * timer, at close), and what a lost slice (a crash) costs and for how long.
 * A second, plain store on the same file shows what other processes see.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { DEFAULT_RESERVATION_TTL_MS, LEASE_FLUSH_MS, LEASE_HOLDERS, leasedStore, sqliteStore, type Check, type Store } from "../../runtime/state/index.js";
import { DAY, fakeClock, MINUTE, type FakeClock } from "./conformance.js";

const dir = mkdtempSync(join(tmpdir(), "aigw-lease-unit-"));
let files = 0;
const opened: Store[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close().catch(() => undefined)));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NOON = Date.UTC(2025, 0, 15, 12, 0, 0);

/** A store that counts the admissions and finishes it passes on. */
function counting(inner: Store): Store & { admits: number; finishes: number } {
  const c = Object.assign(Object.create(inner) as Store, { admits: 0, finishes: 0 });
  c.admit = (checks) => {
    c.admits++;
    return inner.admit(checks);
  };
  c.finish = (s, a) => {
    c.finishes++;
    return inner.finish(s, a);
  };
  return c;
}

interface Rig {
  clock: FakeClock;
  /** The leased store under test. */
  leased: ReturnType<typeof leasedStore>;
  /** What it sends to the store. */
  inner: ReturnType<typeof counting>;
  /** Another process's view of the same file. */
  other: Store;
  /** Runs the flush timer once, as the world's interval would. */
  tick(): void;
  path: string;
}

function rig(): Rig {
  const clock = fakeClock(NOON);
  const path = join(dir, `l${files++}.db`);
  const inner = counting(sqliteStore({ clock, path }));
  let timer: (() => void) | undefined;
  const leased = leasedStore(inner, {
    clock,
    every: (_ms, fn) => {
      timer = fn;
      return () => (timer = undefined);
    },
  });
  const other = sqliteStore({ clock, path });
  opened.push(leased, other);
  return { clock, leased, inner, other, tick: () => timer?.(), path };
}

const budget = (amount: number, limit = 1_000_000): Check => ({ kind: "reserve", key: "budget:b:k", amount, limit, window: DAY });
const requests = (limit: number): Check => ({ kind: "take", key: "limit:l:requests:k", amount: 1, limit, window: MINUTE });
const readBudget = async (s: Store): Promise<{ spent: number; reserved: number }> => {
  const [v] = await s.read([{ key: "budget:b:k", window: DAY }]);
  return { spent: v!.spent, reserved: v!.reserved };
};

describe("leases", () => {
  it("admits the first request through the store, then from slices sized to the recent demand", async () => {
    const { leased, inner, other } = rig();
    const first = await leased.admit([budget(10)]);
    expect(first.admitted).toBe(true);
    expect(await readBudget(other)).toEqual({ spent: 0, reserved: 10 }); // no demand seen yet: no slice
    const second = await leased.admit([budget(10)]);
    expect(second.results[0]).toMatchObject({ admitted: true, reserved: 20 });
    // The second took its own 10 plus a slice of the demand seen (20 so far), in one store admission.
    expect(await readBudget(other)).toEqual({ spent: 0, reserved: 40 });
    expect(inner.admits).toBe(2);
    const third = await leased.admit([budget(10)]);
    const fourth = await leased.admit([budget(10)]);
    expect(inner.admits).toBe(2); // both from the slice
    expect(fourth.results[0]).toMatchObject({ admitted: true, spent: 0, reserved: 40, remaining: 1_000_000 - 40 });
    // This process reads its counter as it is; the store holds the slice.
    expect(await readBudget(leased)).toEqual({ spent: 0, reserved: 40 });
    expect(await readBudget(other)).toEqual({ spent: 0, reserved: 40 });
    for (const a of [first, second, third, fourth]) await leased.settle(a.results[0]!.reservation!, 7);
    expect(await readBudget(leased)).toEqual({ spent: 28, reserved: 0 });
  });

  it("writes a finished request's cost to the store before its finish resolves", async () => {
    const { leased, inner, other } = rig();
    const held = [];
    for (let i = 0; i < 6; i++) held.push((await leased.reserve("budget:b:k", 10, 1_000_000, DAY)).reservation!);
    const finishes = inner.finishes;
    await Promise.all(held.slice(2).map((r) => leased.settle(r, 4)));
    // Four settlements from slices, written in one store call.
    expect(inner.finishes).toBe(finishes + 1);
    const seen = await readBudget(other);
    expect(seen.spent).toBe(16);
    // Until the slices are settled the store counts their charged part twice (spent and held): never less than the truth.
    expect(seen.spent + seen.reserved).toBeGreaterThanOrEqual(16 + 20);
  });

  it("never takes more than (remaining − amount) / (2·holders), and near the limit admits each request through the store", async () => {
    const { leased, inner, other } = rig();
    const LIMIT = 1000;
    const admittedCount: boolean[] = [];
    let storeAdmits = 0;
    for (let i = 0; i < 110; i++) {
      const before = await readBudget(other);
      const admits = inner.admits;
      const a = await leased.admit([budget(10, LIMIT)]);
      admittedCount.push(a.admitted);
      const after = await readBudget(other);
      expect(after.spent + after.reserved).toBeLessThanOrEqual(LIMIT);
      if (inner.admits > admits && a.admitted) {
        storeAdmits++;
        const taken = after.spent + after.reserved - (before.spent + before.reserved);
        const remaining = LIMIT - before.spent - before.reserved;
        expect(taken - 10).toBeLessThanOrEqual(Math.max(0, Math.floor((remaining - 10) / (2 * LEASE_HOLDERS))));
      }
    }
    // The same verdicts as per-request admission: exactly limit / amount admitted, the rest refused.
    expect(admittedCount.filter(Boolean)).toHaveLength(100);
    expect(admittedCount.slice(100).every((a) => !a)).toBe(true);
    expect(storeAdmits).toBeGreaterThan(1);
    expect(storeAdmits).toBeLessThan(100);
    // The last requests before the limit were each admitted by the store, with no slice.
    expect(await readBudget(other)).toEqual({ spent: 0, reserved: LIMIT });
  });

  it("shows the local caller its rate limit's remaining count exactly, and refuses at the limit", async () => {
    const { leased } = rig();
    const remaining: number[] = [];
    for (let i = 0; i < 12; i++) {
      const r = (await leased.admit([requests(10)])).results[0]!;
      remaining.push(r.admitted ? r.remaining : -1);
    }
    expect(remaining).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0, -1, -1]);
  });

  it("writes a rate limit's takes when the timer retires the slice, and everything at close", async () => {
    const { leased, other, clock, tick, path } = rig();
    for (let i = 0; i < 20; i++) expect((await leased.admit([requests(1000)])).admitted).toBe(true);
    const [v] = await other.read([{ key: "limit:l:requests:k", window: MINUTE }]);
    // The slice's reservation counts every take, written or not.
    expect(v!.spent + v!.reserved).toBeGreaterThanOrEqual(20);
    expect(v!.spent).toBeLessThan(20);
    clock.advance(LEASE_FLUSH_MS);
    tick();
    await leased.flush();
    expect(await other.read([{ key: "limit:l:requests:k", window: MINUTE }])).toMatchObject([{ spent: 20, reserved: 0 }]);

    const held = (await leased.admit([budget(10)])).results[0]!.reservation!;
    await leased.admit([budget(10)]);
    await leased.settle(held, 3);
    await leased.close();
    const after = sqliteStore({ clock, path });
    opened.push(after);
    // The second request was still in flight at close: its hold is released with the slice (it can no longer be settled).
    expect(await readBudget(after)).toEqual({ spent: 3, reserved: 0 });
  });

  it("a crashed process's slices stop counting when their reservations expire, and what it wrote stays", async () => {
    const { leased, other, clock } = rig();
    const holds = [];
    for (let i = 0; i < 8; i++) holds.push((await leased.admit([budget(10, 10_000)])).results[0]!.reservation!);
    for (const r of holds.slice(0, 4)) await leased.settle(r, 5);
    // The process dies here: no close, no flush.
    const lost = await readBudget(other);
    expect(lost.spent).toBe(20);
    expect(lost.reserved).toBeGreaterThan(40); // the four in flight and the slice's unused part
    // The unused part is at most what a slice may take: what was left over 2·holders.
    expect(lost.reserved - 40).toBeLessThanOrEqual(Math.floor(10_000 / (2 * LEASE_HOLDERS)));
    clock.advance(DEFAULT_RESERVATION_TTL_MS);
    expect(await readBudget(other)).toEqual({ spent: 20, reserved: 0 });
  });

  it("a crashed process's rate-limit slice counts its takes until the window's bucket ends", async () => {
    const { leased, other, clock } = rig();
    for (let i = 0; i < 10; i++) await leased.admit([requests(1000)]);
    clock.advance(30_000);
    const [v] = await other.read([{ key: "limit:l:requests:k", window: MINUTE }]);
    expect(v!.spent + v!.reserved).toBeGreaterThanOrEqual(10); // never forgotten within the window
    clock.set(NOON + 60_000);
    expect(await other.read([{ key: "limit:l:requests:k", window: MINUTE }])).toMatchObject([{ spent: 0, reserved: 0 }]);
  });

  it("keeps a batch all or nothing: a refusal gives back what the slices had taken", async () => {
    const { leased, other } = rig();
    for (let i = 0; i < 4; i++) await leased.admit([budget(10), requests(5)]);
    // The requests limit has one left; the budget's slice has room. A batch asking the limit for more than it has is refused whole.
    const full = await leased.admit([budget(10), { ...requests(5), amount: 2 }]);
    expect(full.admitted).toBe(false);
    expect(full.results.map((r) => r.admitted)).toEqual([true, false]);
    expect(await readBudget(leased)).toEqual({ spent: 0, reserved: 40 });
    await leased.flush();
    const [l] = await other.read([{ key: "limit:l:requests:k", window: MINUTE }]);
    expect(l!.spent + l!.reserved).toBe(4);
  });

  it("two leased processes on one file never pass the limit together, and settle to the exact total", async () => {
    const clock = fakeClock(NOON);
    const path = join(dir, `l${files++}.db`);
    const a = leasedStore(sqliteStore({ clock, path }), { clock, every: () => () => undefined });
    const b = leasedStore(sqliteStore({ clock, path }), { clock, every: () => () => undefined });
    const other = sqliteStore({ clock, path });
    opened.push(a, b, other);
    const LIMIT = 5_000;
    let charged = 0;
    let inFlight = 0;
    let admitted = 0;
    const worker = async (s: Store, seed: number): Promise<void> => {
      for (let i = 0; i < 300; i++) {
        const amount = 5 + ((seed * 31 + i * 17) % 40);
        const r = await s.admit([budget(amount, LIMIT)]);
        const v = await readBudget(other);
        // What the store has written is never above the limit, and neither is what the requests could really cost.
        expect(v.spent).toBeLessThanOrEqual(LIMIT);
        if (!r.admitted) continue;
        admitted++;
        inFlight += amount;
        expect(charged + inFlight).toBeLessThanOrEqual(LIMIT);
        const actual = Math.floor(amount / 2);
        const settled = s.settle(r.results[0]!.reservation!, actual);
        inFlight -= amount;
        charged += actual;
        await settled;
      }
    };
    await Promise.all([worker(a, 1), worker(a, 2), worker(b, 3), worker(b, 4)]);
    expect(admitted).toBeGreaterThan(0);
    await Promise.all([a.flush(), b.flush()]);
    expect(await readBudget(other)).toEqual({ spent: charged, reserved: 0 });
  });
});
