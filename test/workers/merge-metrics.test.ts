/** Merging the workers' expositions into one /metrics: counters and histograms summed, gauges by their rule. */
import { describe, expect, it } from "vitest";
import { Registry } from "../../runtime/observe/index.js";
import { mergeExpositions, sumOf } from "../../runtime/server/workers/merge-metrics.js";

function worker(requests: number, durations: number[], cacheBytes: number, healthy: number, spent: number): string {
  const r = new Registry();
  r.counter("aigw_requests_total", "Requests.", ["route"]).inc(["a b"], requests);
  const h = r.histogram("aigw_request_duration_seconds", "Duration.", ["route"], [0.1, 1]);
  for (const d of durations) h.observe(["a b"], d);
  r.gauge("aigw_cache_bytes", "Bytes.").set([], cacheBytes);
  r.gauge("aigw_target_healthy", "Healthy.", ["target"]).set(["t"], healthy);
  r.gauge("aigw_budget_spent_dollars", "Spent.", ["budget"]).set(["b"], spent);
  return r.render();
}

const line = (text: string, series: string): string | undefined => text.split("\n").find((l) => l.startsWith(series + " "));

describe("mergeExpositions", () => {
  const merged = mergeExpositions([worker(3, [0.05, 2], 100, 1, 0.5), worker(4, [0.5], 50, 0, 0.5)]);

  it("sums counters and every histogram series (buckets, sum, count), label values with spaces included", () => {
    expect(line(merged, 'aigw_requests_total{route="a b"}')).toBe('aigw_requests_total{route="a b"} 7');
    expect(line(merged, 'aigw_request_duration_seconds_bucket{route="a b",le="0.1"}')).toMatch(/ 1$/);
    expect(line(merged, 'aigw_request_duration_seconds_bucket{route="a b",le="1"}')).toMatch(/ 2$/);
    expect(line(merged, 'aigw_request_duration_seconds_bucket{route="a b",le="+Inf"}')).toMatch(/ 3$/);
    expect(line(merged, 'aigw_request_duration_seconds_count{route="a b"}')).toMatch(/ 3$/);
    expect(Number(line(merged, 'aigw_request_duration_seconds_sum{route="a b"}')!.split(" ").pop())).toBeCloseTo(2.55);
  });

  it("sums per-worker sizes, takes the minimum of health and the maximum of shared readings", () => {
    expect(line(merged, "aigw_cache_bytes")).toBe("aigw_cache_bytes 150");
    expect(line(merged, 'aigw_target_healthy{target="t"}')).toMatch(/ 0$/);
    expect(line(merged, 'aigw_budget_spent_dollars{budget="b"}')).toMatch(/ 0.5$/);
  });

  it("keeps one HELP and TYPE per family, in the order first seen", () => {
    expect(merged.split("\n").filter((l) => l === "# TYPE aigw_requests_total counter")).toHaveLength(1);
    const types = merged.split("\n").filter((l) => l.startsWith("# TYPE ")).map((l) => l.split(" ")[2]);
    expect(types).toEqual(["aigw_requests_total", "aigw_request_duration_seconds", "aigw_cache_bytes", "aigw_target_healthy", "aigw_budget_spent_dollars"]);
  });

  it("reads one worker's request total for the per-worker series", () => {
    expect(sumOf(worker(5, [], 0, 1, 0), "aigw_requests_total")).toBe(5);
  });
});
