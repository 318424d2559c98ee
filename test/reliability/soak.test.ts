/**
 * The soak (bench/soak) for a few seconds: a real `aigw serve --watch`
 * process from the TypeScript sources, the whole traffic mix, reloads
 * (valid, invalid, admin), then the end-of-run checks. It asserts that
 * nothing unexpected happened and that every outcome class of the mix
 * actually occurred, so the mix cannot silently stop exercising a path
 * (a fault the upstream no longer injects, a budget that never runs out).
 * No timing thresholds; the memory verdict needs a longer run and is
 * `inconclusive` here, so the judge and the classifier are tested on their
 * own below.
 */
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { classify, classifyStream } from "../../bench/soak/classify.js";
import { judgeMemory, theilSen, type MemoryPoint } from "../../bench/soak/memory.js";
import { runSoak, type SoakResult } from "../../bench/soak/run.js";
import { expectedClasses } from "../../bench/soak/traffic.js";

const file = (rel: string): string => fileURLToPath(new URL(rel, import.meta.url));

/** The gateway from the sources: the state tests' TypeScript hooks, then the heap probe. */
const launch = {
  execArgv: ["--expose-gc", "--import", file("../state/child/register.mjs"), "--import", file("../../bench/soak/heap-probe.ts")],
  bin: file("../../cli/bin.ts"),
};

describe("soak", () => {
  it("runs the mix against a real gateway with reloads: nothing unexpected, every class seen, nothing left held", async () => {
    const result: SoakResult = await runSoak({
      seconds: 8,
      rate: 150,
      concurrency: 256,
      sampleSeconds: 2,
      reportSeconds: 4,
      reloadSeconds: 1.5,
      seed: 9,
      hangMs: 10_000,
      launch,
    });

    expect(result.totals.examples).toEqual({});
    expect(result.failures).toEqual([]);
    for (const cls of expectedClasses()) expect({ cls, seen: (result.totals.byClass[cls] ?? 0) > 0 }).toEqual({ cls, seen: true });

    expect(result.reloads.validWrites).toBeGreaterThanOrEqual(2);
    expect(result.reloads.invalidWrites).toBeGreaterThanOrEqual(1);
    expect(result.reloads.adminReloads).toBeGreaterThanOrEqual(1);
    expect(result.reloads.counters?.applied).toBe(result.reloads.validWrites);
    expect(result.reloads.versions.length).toBe(2);
    expect(result.holds.live?.count).toBe(0);
    expect(result.holds.resting).toEqual({ count: 0, reserved: 0 });
    expect(result.shutdown).toMatchObject({ code: 0, killed: false });
    expect(result.upstream.leaks).toBe(0);
    // The memory samples were taken (the probe answered), even if 8 s cannot judge them.
    expect(result.memoryPoints.some((p) => p.heap !== undefined && p.rss !== undefined)).toBe(true);
  }, 45_000);
});

const MB = 1024 * 1024;
/** Samples every 10 s over 600 s: `heap(t)` and `rss(t)` in MB. */
function series(heap: (t: number) => number, rss: (t: number) => number): MemoryPoint[] {
  const out: MemoryPoint[] = [];
  for (let t = 10; t <= 600; t += 10) out.push({ t, heap: heap(t) * MB, rss: rss(t) * MB });
  return out;
}

describe("soak memory judge", () => {
  it("passes a flat series with noise and a GC outlier", () => {
    const v = judgeMemory(series((t) => 30 + ((t / 10) % 3) * 0.5 + (t === 300 ? 20 : 0), (t) => 150 + ((t / 10) % 4)), 600, 250);
    expect(v.verdict).toBe("pass");
    expect(v.judged).toBe(55);
  });

  it("fails a heap that grows 100 B per request at 250 req/s", () => {
    const v = judgeMemory(series((t) => 30 + (t * 250 * 100) / MB, () => 150), 600, 250);
    expect(v.verdict).toBe("fail");
    expect(v.series.find((s) => s.series === "heap")?.failed).toBe(true);
  });

  it("fails an RSS that jumps at the end, which the trend alone would miss", () => {
    const v = judgeMemory(series(() => 30, (t) => (t < 550 ? 150 : 260)), 600, 250);
    expect(v.series.find((s) => s.series === "rss")?.failed).toBe(false);
    expect(v.rssBoundFailed).toBe(true);
    expect(v.verdict).toBe("fail");
  });

  it("does not judge a growth smaller than the noise floor, however steep per hour", () => {
    const points: MemoryPoint[] = [];
    for (let t = 15; t <= 60; t += 5) points.push({ t, heap: (30 + t * 0.02) * MB, rss: 150 * MB });
    expect(judgeMemory(points, 60, 250).verdict).toBe("pass");
  });

  it("is inconclusive with fewer than four judged samples", () => {
    expect(judgeMemory([{ t: 2, heap: MB }, { t: 4, heap: MB }, { t: 6, heap: MB }], 8, 150).verdict).toBe("inconclusive");
  });

  it("is inconclusive over a judged span too short to tell a leak from start-up, however steep", () => {
    // The 8-second soak above: samples every 2 s, 2 s of warm-up, RSS stepping 16 MB as pools fill.
    const points: MemoryPoint[] = [2, 4, 6, 8].map((t, i) => ({ t, heap: 30 * MB, rss: (150 + i * 5.4) * MB }));
    expect(judgeMemory(points, 8, 150).verdict).toBe("inconclusive");
    // The same growth over a judged minute is a verdict.
    const long: MemoryPoint[] = [];
    for (let t = 20; t <= 80; t += 5) long.push({ t, heap: 30 * MB, rss: (150 + t * 2.7) * MB });
    expect(judgeMemory(long, 80, 150).verdict).toBe("fail");
  });

  it("takes the Theil–Sen slope, which one outlier cannot tilt", () => {
    expect(theilSen([[0, 0], [1, 1], [2, 2], [3, 100], [4, 4]])).toBe(1);
  });
});

describe("soak classifier", () => {
  const sse = (...events: string[]): string => events.map((e) => `data: ${e}\n\n`).join("");
  const chunk = JSON.stringify({ choices: [{ index: 0, delta: { content: "hi" } }] });

  it("tells a whole stream, an error event and a stream that just stops apart", () => {
    expect(classifyStream(sse(chunk, "[DONE]"))).toEqual({ cls: "ok", text: "hi" });
    expect(classifyStream(sse(chunk, JSON.stringify({ error: { code: "upstream_error" } }))).cls).toBe("stream_error");
    expect(classifyStream(sse(chunk)).cls).toBe("truncated_stream");
    expect(classifyStream(sse("[DONE]", chunk)).cls).toBe("bad_body");
  });

  it("tells a limit's 429 from an upstream's, and requires Retry-After on the limit's", () => {
    const body = (message: string): string => JSON.stringify({ error: { code: "rate_limited", message } });
    const limit = body("rate limit `tight-key` is used up for `k` (10 of 10 requests); retry after 5s");
    expect(classify({ status: 429, headers: { "retry-after": "5" }, body: limit, stream: false }, "basic").cls).toBe("rate_limited");
    expect(classify({ status: 429, headers: {}, body: limit, stream: false }, "basic").cls).toBe("missing_retry_after");
    expect(classify({ status: 429, headers: {}, body: body("`throttled` failed with status 429"), stream: false }, "basic").cls).toBe("upstream_429");
  });

  it("names an unexpected status by status and code", () => {
    const body = JSON.stringify({ error: { code: "internal_error", message: "internal error" } });
    expect(classify({ status: 500, headers: {}, body, stream: false }, "basic").cls).toBe("http_500:internal_error");
    expect(classify({ status: 502, headers: {}, body: "<html>", stream: false }, "basic").cls).toBe("http_502:not_json");
  });
});
