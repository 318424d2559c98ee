/**
 * The hand-written Prometheus registry: exact exposition text, one series
 * object per label combination, escaping, and the test's own parser.
 */
import { describe, expect, it } from "vitest";
import { escapeValue, num, Registry } from "../../runtime/observe/registry.js";
import { parseExposition, valueOf } from "./exposition.js";

describe("the metrics registry", () => {
  it("renders counters, gauges and histograms in the text format", () => {
    const r = new Registry();
    const c = r.counter("t_requests_total", "Requests.", ["route", "status"]);
    const g = r.gauge("t_info", "Info.", ["version"]);
    const h = r.histogram("t_seconds", "Latency.", ["route"], [0.1, 1]);
    c.child("chat", "200").value += 2;
    c.inc(["chat", "500"]);
    g.set(["p-1"], 1);
    h.observe(["chat"], 0.05);
    h.observe(["chat"], 0.5);
    h.observe(["chat"], 5);
    expect(r.render()).toBe(
      [
        "# HELP t_requests_total Requests.",
        "# TYPE t_requests_total counter",
        't_requests_total{route="chat",status="200"} 2',
        't_requests_total{route="chat",status="500"} 1',
        "# HELP t_info Info.",
        "# TYPE t_info gauge",
        't_info{version="p-1"} 1',
        "# HELP t_seconds Latency.",
        "# TYPE t_seconds histogram",
        't_seconds_bucket{route="chat",le="0.1"} 1',
        't_seconds_bucket{route="chat",le="1"} 2',
        't_seconds_bucket{route="chat",le="+Inf"} 3',
        't_seconds_sum{route="chat"} 5.55',
        't_seconds_count{route="chat"} 3',
        "",
      ].join("\n"),
    );
  });

  it("resolves a label combination to one series object (the hot path keeps it)", () => {
    const r = new Registry();
    const c = r.counter("t_total", "T.", ["a", "b"]);
    expect(c.child("x", "y")).toBe(c.child("x", "y"));
    expect(c.child("x", "y")).not.toBe(c.child("x", "z"));
    expect(() => c.child("x")).toThrow(/expected 2 label values/);
  });

  it("escapes label values so the exposition still parses", () => {
    const r = new Registry();
    const c = r.counter("t_total", "Help with a \\ backslash\nand a newline.", ["v"]);
    const nasty = 'a "quoted" \\ back\nslash';
    c.child(nasty).value = 1;
    const families = parseExposition(r.render());
    expect(valueOf(families, "t_total", { v: nasty })).toBe(1);
    expect(escapeValue("plain")).toBe("plain");
  });

  it("removes a series and clears a gauge", () => {
    const r = new Registry();
    const g = r.gauge("t_info", "I.", ["version"]);
    g.set(["old"], 1);
    g.remove("old");
    g.set(["new"], 1);
    expect(r.render()).not.toContain("old");
    g.clear();
    expect(r.render()).not.toContain("new");
  });

  it("refuses bad names, duplicate metrics and unordered buckets", () => {
    const r = new Registry();
    expect(() => r.counter("bad-name", "x")).toThrow(/invalid metric name/);
    expect(() => r.counter("ok_total", "x", ["__reserved"])).toThrow(/invalid label name/);
    r.counter("dup_total", "x");
    expect(() => r.counter("dup_total", "x")).toThrow(/registered twice/);
    expect(() => r.histogram("h", "x", [], [1, 1])).toThrow(/ascend/);
  });

  it("formats special values as Prometheus does", () => {
    expect([num(Infinity), num(-Infinity), num(NaN), num(0.25), num(3)]).toEqual(["+Inf", "-Inf", "NaN", "0.25", "3"]);
  });
});

describe("the test's exposition parser", () => {
  it("rejects what a scraper would reject", () => {
    expect(() => parseExposition("x_total 1\n")).toThrow(/without a TYPE/);
    expect(() => parseExposition('# TYPE x counter\nx{a="b} 1\n')).toThrow(/unterminated|not a sample/);
    expect(() => parseExposition("# TYPE x counter\nx one\n")).toThrow(/not a number|not a sample/);
    expect(() => parseExposition('# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_count 1\n')).toThrow(/cumulative/);
    expect(() => parseExposition("# TYPE x counter\nx 1")).toThrow(/newline/);
  });
});
