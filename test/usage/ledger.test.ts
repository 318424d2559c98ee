/**
 * The ledger's arithmetic with an injected clock and a memory store: each
 * request adds to the cell of its minute and dimensions (no key, no caller
 * text in a dimension), a flush hands every cell over once and later
 * requests start new cells, a failed flush keeps its cells for the next, the
 * histograms merge bucket by bucket and their percentiles land in the right
 * bucket, and the report groups, totals and series what the store holds.
 */
import { describe, expect, it } from "vitest";
import type { RequestView } from "../../runtime/observe/index.js";
import { hashKey } from "../../runtime/pipeline/auth.js";
import { finished, KEY, T0 } from "./finished.js";
import {
  addCounts,
  bucketOf,
  bucketUpperMs,
  emptyCounts,
  memoryUsageStore,
  parseUsageQuery,
  quantileMs,
  UsageLedger,
  usageReport,
  UsageQueryError,
  type UsageRow,
  type UsageStore,
} from "../../runtime/usage/index.js";

function ledger(store: UsageStore = memoryUsageStore(), clock = { now: T0 }) {
  return { l: new UsageLedger({ store, clock: () => clock.now, retentionMs: () => 7 * 86_400_000, flushMs: 0 }), store, clock };
}

describe("the usage ledger", () => {
  it("adds requests of one minute and dimensions into one cell, prices them in micro-dollars, and keys by key id", async () => {
    const { l, store } = ledger();
    l.record(finished());
    l.record(finished({}, { totalMs: 2000, overheadMs: 0.5 }));
    await l.flush();
    const rows = await store.rows(T0, T0 + 60_000);
    expect(rows).toHaveLength(1);
    const r = rows[0]!;
    expect(r.minute).toBe(T0);
    expect(r.dims).toEqual({ team: "search", key: hashKey(KEY).slice(0, 19), user: "ana", route: "chat", model: "mini", provider: "up", api: "openai.chat", outcome: "ok" });
    expect(JSON.stringify(r)).not.toContain(hashKey(KEY));
    expect(JSON.stringify(r)).not.toContain("caller-chose-this-name");
    // 1000 in at $1/Mtok + 500 out at $2/Mtok = 2000 µ$ per request
    expect(r.counts).toMatchObject({ requests: 2, errors: 0, inputTokens: 2000, outputTokens: 1000, costMicros: 4000 });
    expect(r.counts.latency).toEqual({ [bucketOf(120)]: 1, [bucketOf(2000)]: 1 });
    expect(r.counts.overhead).toEqual({ [bucketOf(0.1)]: 1, [bucketOf(0.5)]: 1 });
  });

  it("keeps minutes apart by the clock and counts outcomes, error kinds, fallbacks, skips, cache hits and guardrail actions", async () => {
    const { l, store, clock } = ledger();
    l.record(finished({ attempts: [{ model: "mini", cause: 503, retry: 0 }, { model: "big", cause: "ok", retry: 0 }] as RequestView["attempts"], target: "big" }));
    clock.now = T0 + 61_000;
    l.record(finished({ status: 429, errorCode: "budget_exceeded", rejected: { kind: "budget", name: "b" }, target: undefined }, { usage: undefined }));
    l.record(finished({ status: 400, errorCode: "blocked_by_guardrail", blocked: { guardrail: "inj", by: "pattern" } as RequestView["blocked"], target: undefined }, { usage: undefined }));
    l.record(
      finished({
        redacted: [{ guardrail: "pii", rule: 0, by: "email", count: 2 }],
        flagged: [{ guardrail: "watch", rule: 0, by: "deny", count: 1 }],
        skipped: [{ model: "x" }] as unknown as RequestView["skipped"],
        cache: { name: "c", result: "hit", usage: { promptTokens: 30, completionTokens: 12 } },
      }, { usage: undefined }),
    );
    l.record(finished({ status: 401, errorCode: "invalid_api_key", caller: undefined, team: undefined, route: undefined, target: undefined }, { usage: undefined }));
    l.record(finished({ status: 200 }, { written: { status: 200, aborted: false, streamError: new Error("cut") } }));
    await l.flush();
    const first = await store.rows(T0, T0 + 60_000);
    expect(first.map((r) => [r.dims.model, r.counts.fallbacks, r.counts.costMicros])).toEqual([["big", 1, 25_000]]);
    const second = await store.rows(T0 + 60_000, T0 + 120_000);
    const by = (outcome: string) => second.filter((r) => r.dims.outcome === outcome);
    expect(by("refused")[0]!.counts.errorKinds).toEqual({ budget_exceeded: 1 });
    expect(by("blocked")[0]!.counts).toMatchObject({ blocked: 1, errors: 1, errorKinds: { blocked_by_guardrail: 1 } });
    expect(by("client_error")[0]!.dims).toMatchObject({ team: "", key: "", route: "", model: "", provider: "" });
    expect(by("upstream_error")[0]!.counts.errorKinds).toEqual({ stream_error: 1 });
    const ok = by("ok")[0]!.counts;
    expect(ok).toMatchObject({ requests: 1, redacted: 1, flagged: 1, skipped: 1, cacheHits: 1, cachedTokens: 42, inputTokens: 0, costMicros: 0 });
  });

  it("flushes each cell once; a failed flush keeps its cells for the next one", async () => {
    const inner = memoryUsageStore();
    let fail = true;
    const writes: number[] = [];
    const store: UsageStore = {
      ...inner,
      kind: "memory",
      add: async (rows, keep) => {
        if (fail) throw new Error("store down");
        writes.push(rows.length);
        return inner.add(rows, keep);
      },
    };
    const errors: unknown[] = [];
    const l = new UsageLedger({ store, clock: () => T0, retentionMs: () => 86_400_000, flushMs: 0, onError: (e) => errors.push(e) });
    l.record(finished());
    await l.flush();
    expect(errors).toHaveLength(1);
    l.record(finished());
    fail = false;
    await l.flush();
    await l.flush();
    expect(writes).toEqual([1]);
    expect((await inner.rows(T0, T0 + 60_000))[0]!.counts.requests).toBe(2);
  });

  it("sweeps minutes past the retention", async () => {
    const { l, store, clock } = ledger();
    l.record(finished());
    clock.now = T0 + 8 * 86_400_000;
    l.record(finished());
    await l.flush();
    expect(await l.sweep()).toBe(1);
    expect((await store.rows(0, clock.now + 60_000)).map((r) => r.minute)).toEqual([T0 + 8 * 86_400_000]);
  });
});

describe("histograms and reports", () => {
  it("put a duration in the bucket whose bounds hold it, and read percentiles within a bucket's width", () => {
    for (const ms of [0.005, 0.02, 0.7, 12, 250, 9_000, 100_000]) {
      const i = bucketOf(ms);
      expect(ms).toBeLessThanOrEqual(bucketUpperMs(i));
      if (i > 0) expect(ms).toBeGreaterThan(bucketUpperMs(i - 1));
    }
    const h: Record<number, number> = {};
    for (let i = 1; i <= 100; i++) h[bucketOf(i)] = (h[bucketOf(i)] ?? 0) + 1;
    expect(quantileMs(h, 0.5)).toBeGreaterThan(50 / Math.SQRT2);
    expect(quantileMs(h, 0.5)).toBeLessThan(50 * Math.SQRT2);
    expect(quantileMs(h, 0.99)).toBeGreaterThan(99 / Math.SQRT2);
    expect(quantileMs({}, 0.5)).toBeUndefined();
    const merged = addCounts(addCounts(emptyCounts(), { ...emptyCounts(), latency: { 3: 1, 5: 2 } }), { ...emptyCounts(), latency: { 5: 1 } });
    expect(merged.latency).toEqual({ 3: 1, 5: 3 });
  });

  it("groups by a dimension with totals and a series aligned to its step", () => {
    const row = (minute: number, team: string, requests: number, costMicros: number): UsageRow => ({
      minute,
      dims: { team, key: "", user: "", route: "chat", model: "mini", provider: "up", api: "openai.chat", outcome: "ok" },
      counts: { ...emptyCounts(), requests, costMicros, latency: { [bucketOf(100)]: requests } },
    });
    const day = 86_400_000;
    const rows = [row(T0, "search", 3, 1_500_000), row(T0 + day, "search", 1, 500_000), row(T0, "support", 5, 250_000), row(T0 - 2 * day, "old", 9, 9)];
    const q = parseUsageQuery({ since: "2026-12-07", until: "2026-12-09", by: "team", step: "1d" }, T0 + day);
    const r = usageReport(rows, q);
    expect(r.groups.map((g) => [g.key, g.requests, g.cost])).toEqual([
      ["search", 4, 2],
      ["support", 5, 0.25],
    ]);
    expect(r.totals).toMatchObject({ requests: 9, cost: 2.25 });
    expect(r.totals.latencyMs.p50).toBeCloseTo(quantileMs({ [bucketOf(100)]: 1 }, 0.5)!, 3);
    expect(r.series!.points.map((p) => [p.start.slice(0, 10), p.groups["search"]?.cost ?? 0])).toEqual([
      ["2026-12-07", 1.5],
      ["2026-12-08", 0.5],
    ]);
  });

  it("refuses a query it cannot read, naming the parameter", () => {
    const bad = (p: Parameters<typeof parseUsageQuery>[0]) => {
      try {
        parseUsageQuery(p, T0);
      } catch (e) {
        return e instanceof UsageQueryError ? e.param : "other";
      }
      return "accepted";
    };
    expect(bad({ since: "yesterday" })).toBe("since");
    expect(bad({ since: "1h", until: "2h" })).toBe("until");
    expect(bad({ by: "prompt" })).toBe("by");
    expect(bad({ step: "10s" })).toBe("step");
    expect(bad({ since: "30d", step: "1m" })).toBe("step");
    expect(bad({ since: "7d", by: "key", step: "1h" })).toBe("accepted");
  });
});
