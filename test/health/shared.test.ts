/**
 * Shared health (runtime/health/shared.ts) on a virtual clock: two
 * instances' trackers syncing through one store, each sync driven by hand.
 * An ejection by one is honoured by the other without its own failures,
 * only one instance holds the half-open probe, a close travels back, an
 * idle holder gives the probe away, and a store that stops answering
 * leaves each instance judging alone (its own probe included).
 */
import { describe, expect, it } from "vitest";
import type { Graph, HealthNode } from "../../compiler/graph.js";
import { HealthSharing, HealthTracker, LEASE_SYNCS, type TryOutcome } from "../../runtime/health/index.js";
import { memoryStore, type Store } from "../../runtime/state/index.js";
import { fakeClock, type FakeClock } from "../state/conformance.js";

const SPAN = { file: "main.route", line: 1, column: 1, endLine: 1, endColumn: 1 };
const SYNC_MS = 500;
const NODE: HealthNode = { on: ["5xx"], consecutive: 3, intervalMs: 10_000, minimum: 10, ejectMs: 2000, maxEjectMs: 8000, sharedMs: SYNC_MS, span: SPAN };
const GRAPH = { health: { up: NODE } } as unknown as Graph;
const F503: TryOutcome = { ok: false, cause: 503 };

interface Instance {
  tracker: HealthTracker;
  sharing: HealthSharing;
  /** One request's view of `gpt`; `outcome` settles its try. */
  ask(outcome?: TryOutcome): string;
}

function instance(name: string, store: Store, clock: FakeClock, ups: boolean[] = []): Instance {
  const tracker = new HealthTracker(clock);
  const sharing = new HealthSharing(tracker, store, name, { up: (up) => void ups.push(up) });
  tracker.sharing = sharing;
  sharing.use(GRAPH.health);
  sharing.stop(); // no timer: each test syncs by hand
  return {
    tracker,
    sharing,
    ask(outcome) {
      const r = tracker.request(GRAPH, 60_000);
      const h = r.read("up", "gpt");
      const seen = h.status === "ejected" ? (h.probing ? "probing" : "ejected") : h.status;
      if (outcome !== undefined && (h.status === "healthy" || h.status === "probe")) r.tried("gpt", outcome);
      r.finish();
      return seen;
    },
  };
}

/** Syncs every instance, in order (each at most once). */
async function syncAll(...xs: Instance[]): Promise<void> {
  for (const x of xs) await x.sharing.sync();
}

function pair(): { a: Instance; b: Instance; clock: FakeClock; store: Store } {
  const clock = fakeClock(1_000_000);
  const store = memoryStore({ clock });
  return { a: instance("a", store, clock), b: instance("b", store, clock), clock, store };
}

describe("health shared through the state store", () => {
  it("an ejection by one instance is honoured by another, which pays no failures of its own", async () => {
    const { a, b } = pair();
    await syncAll(a, b);
    for (let i = 0; i < 3; i++) expect(a.ask(F503)).toBe("healthy");
    expect(a.ask()).toBe("ejected");
    // b has not synced since: it still sends; after one sync it skips.
    expect(b.ask()).toBe("healthy");
    await syncAll(a, b);
    expect(b.ask()).toBe("ejected");
    const r = b.tracker.request(GRAPH, 60_000);
    expect(r.read("up", "gpt")).toMatchObject({ status: "ejected", cause: { kind: "consecutive", count: 3, last: "503" } });
  });

  it("lets exactly one instance probe once the ejection is over, and its answer closes the target everywhere", async () => {
    const { a, b, clock } = pair();
    await syncAll(a, b);
    for (let i = 0; i < 3; i++) a.ask(F503);
    await syncAll(a, b);
    clock.advance(NODE.ejectMs);
    // Over, but nobody holds the lease yet: both wait, and both want it.
    expect([a.ask(), b.ask()]).toEqual(["probing", "probing"]);
    await syncAll(b, a);
    // b won: its requests get the probe (each gives it back unsent), a's keep waiting.
    expect([a.ask(), b.ask(), b.ask()]).toEqual(["probing", "probe", "probe"]);
    // b's probe is out (taken, not settled): a still waits.
    const out = b.tracker.request(GRAPH, 60_000);
    expect(out.read("up", "gpt")).toEqual({ status: "probe" });
    await syncAll(a, b);
    expect(a.ask()).toBe("probing");
    out.tried("gpt", { ok: true });
    out.finish();
    expect(b.ask()).toBe("healthy");
    await syncAll(b, a);
    expect(a.ask()).toBe("healthy");
  });

  it("a failed probe re-ejects everywhere, for twice as long", async () => {
    const { a, b, clock } = pair();
    await syncAll(a, b);
    for (let i = 0; i < 3; i++) a.ask(F503);
    await syncAll(a, b);
    clock.advance(NODE.ejectMs);
    b.ask();
    await syncAll(b);
    expect(b.ask(F503)).toBe("probe");
    await syncAll(b, a);
    const r = a.tracker.request(GRAPH, 60_000);
    expect(r.read("up", "gpt")).toMatchObject({ status: "ejected", forMs: 2 * NODE.ejectMs, probing: false });
  });

  it("an idle holder gives the probe back, and a crashed one loses it after its lease", async () => {
    const { a, b, clock } = pair();
    await syncAll(a, b);
    for (let i = 0; i < 3; i++) a.ask(F503);
    await syncAll(a, b);
    clock.advance(NODE.ejectMs);
    a.ask();
    await syncAll(a); // a holds the lease, then goes quiet
    b.ask();
    await syncAll(a, b); // a has no demand: it releases; b's claim in the same round wins after it
    expect(b.ask()).toBe("probe");

    // Now b holds it and crashes (never syncs again): a gets it once the lease lapses.
    a.ask();
    await syncAll(a);
    expect(a.ask()).toBe("probing");
    clock.advance(SYNC_MS * LEASE_SYNCS);
    await syncAll(a);
    expect(a.ask()).toBe("probe");
  });

  it("falls back to per-instance health while the store does not answer, and says so", async () => {
    const clock = fakeClock(1_000_000);
    const real = memoryStore({ clock });
    let down = false;
    const flaky: Store = Object.assign(Object.create(real) as Store, {
      shareHealth: (owner: string, news: Parameters<Store["shareHealth"]>[1]) => (down ? Promise.reject(new Error("connection refused")) : real.shareHealth(owner, news)),
    });
    const ups: boolean[] = [];
    const a = instance("a", flaky, clock, ups);
    const b = instance("b", real, clock);
    await syncAll(a, b);
    expect(a.tracker.sharedUp()).toBe(true);
    down = true;
    for (let i = 0; i < 3; i++) a.ask(F503);
    await syncAll(a);
    expect(ups).toEqual([true, false]);
    expect(a.tracker.sharedUp()).toBe(false);
    // Judged alone: a probes by itself once its ejection is over, without any lease.
    clock.advance(NODE.ejectMs);
    expect(a.ask()).toBe("probe");
    // b never heard of it meanwhile; when the store is back, what a learnt is told.
    expect(b.ask()).toBe("healthy");
    down = false;
    for (let i = 0; i < 3; i++) a.ask(F503);
    await syncAll(a, b);
    expect(ups).toEqual([true, false, true]);
    expect(b.ask()).toBe("ejected");
  });
});
