/**
 * The process metrics are prom-client's default metrics, name for name:
 * a real `aigw serve` process is scraped and every `process_*`/`nodejs_*`
 * family is compared with prom-client 15.1.3's `collectDefaultMetrics`
 * (lib/metrics/*.js) — type, label names and help — and none is extra, so
 * dashboards built on prom-client (Grafana's "Node.js Application
 * Dashboard", 11159) find what they query.
 */
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { GatewayMetrics } from "../../runtime/observe/metrics.js";
import { policyDir } from "../support/cli.js";
import { closeAllUpstreams, startUpstream } from "../support/upstreams.js";
import { startServeChild, stopServeChildren } from "../reliability/edge-helpers.js";
import { parseExposition, type Family } from "./exposition.js";

afterAll(async () => {
  await stopServeChildren();
  await closeAllUpstreams();
});

type Expected = readonly [type: Family["type"], labels: readonly string[], help: string];

/** prom-client 15.1.3's default metrics on Linux (process_open_fds and the /proc memory gauges are Linux-only there too). */
const PROM_CLIENT: Readonly<Record<string, Expected>> = {
  process_cpu_user_seconds_total: ["counter", [], "Total user CPU time spent in seconds."],
  process_cpu_system_seconds_total: ["counter", [], "Total system CPU time spent in seconds."],
  process_cpu_seconds_total: ["counter", [], "Total user and system CPU time spent in seconds."],
  process_start_time_seconds: ["gauge", [], "Start time of the process since unix epoch in seconds."],
  process_resident_memory_bytes: ["gauge", [], "Resident memory size in bytes."],
  process_virtual_memory_bytes: ["gauge", [], "Virtual memory size in bytes."],
  process_heap_bytes: ["gauge", [], "Process heap size in bytes."],
  process_open_fds: ["gauge", [], "Number of open file descriptors."],
  process_max_fds: ["gauge", [], "Maximum number of open file descriptors."],
  nodejs_eventloop_lag_seconds: ["gauge", [], "Lag of event loop in seconds."],
  nodejs_eventloop_lag_min_seconds: ["gauge", [], "The minimum recorded event loop delay."],
  nodejs_eventloop_lag_max_seconds: ["gauge", [], "The maximum recorded event loop delay."],
  nodejs_eventloop_lag_mean_seconds: ["gauge", [], "The mean of the recorded event loop delays."],
  nodejs_eventloop_lag_stddev_seconds: ["gauge", [], "The standard deviation of the recorded event loop delays."],
  nodejs_eventloop_lag_p50_seconds: ["gauge", [], "The 50th percentile of the recorded event loop delays."],
  nodejs_eventloop_lag_p90_seconds: ["gauge", [], "The 90th percentile of the recorded event loop delays."],
  nodejs_eventloop_lag_p99_seconds: ["gauge", [], "The 99th percentile of the recorded event loop delays."],
  nodejs_active_resources: ["gauge", ["type"], "Number of active resources that are currently keeping the event loop alive, grouped by async resource type."],
  nodejs_active_resources_total: ["gauge", [], "Total number of active resources."],
  nodejs_active_handles: ["gauge", ["type"], "Number of active libuv handles grouped by handle type. Every handle type is C++ class name."],
  nodejs_active_handles_total: ["gauge", [], "Total number of active handles."],
  nodejs_active_requests: ["gauge", ["type"], "Number of active libuv requests grouped by request type. Every request type is C++ class name."],
  nodejs_active_requests_total: ["gauge", [], "Total number of active requests."],
  nodejs_heap_size_total_bytes: ["gauge", [], "Process heap size from Node.js in bytes."],
  nodejs_heap_size_used_bytes: ["gauge", [], "Process heap size used from Node.js in bytes."],
  nodejs_external_memory_bytes: ["gauge", [], "Node.js external memory size in bytes."],
  nodejs_heap_space_size_total_bytes: ["gauge", ["space"], "Process heap space size total from Node.js in bytes."],
  nodejs_heap_space_size_used_bytes: ["gauge", ["space"], "Process heap space size used from Node.js in bytes."],
  nodejs_heap_space_size_available_bytes: ["gauge", ["space"], "Process heap space size available from Node.js in bytes."],
  nodejs_version_info: ["gauge", ["version", "major", "minor", "patch"], "Node.js version info."],
  nodejs_gc_duration_seconds: ["histogram", ["kind"], "Garbage collection duration by kind, one of major, minor, incremental or weakcb."],
};

const labelNames = (f: Family): string[] => [...new Set(f.samples.flatMap((s) => Object.keys(s.labels).filter((l) => l !== "le")))].sort();

describe("process metrics under prom-client's names", () => {
  it("a real aigw serve exports exactly prom-client's default families, types, labels and help", async () => {
    const up = await startUpstream("openai");
    const dir = policyDir({ "main.route": `gateway { auth none }\nprovider up { api openai  base_url "${up.baseUrl}" }\nmodel a = up/"a"\nroute chat { when model == "chat"  to a }\n` });
    const gw = await startServeChild(join(dir, "main.route"), ["--no-access-log"], 90_000);
    for (let i = 0; i < 5; i++) await (await fetch(`${gw.base}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "chat", messages: [{ role: "user", content: "hi" }] }) })).text();
    await (await fetch(`${gw.base}/metrics`)).text(); // the lag gauge shows the round trip measured after the previous scrape
    const families = parseExposition(await (await fetch(`${gw.base}/metrics`)).text());

    const own = [...families.keys()].filter((n) => /^(process|nodejs)_/.test(n)).sort();
    expect(own).toEqual(Object.keys(PROM_CLIENT).sort());
    for (const [name, [type, labels, help]] of Object.entries(PROM_CLIENT)) {
      const f = families.get(name)!;
      expect({ name, type: f.type, help: f.help }).toEqual({ name, type, help });
      if (f.samples.length > 0) expect({ name, labels: labelNames(f) }).toEqual({ name, labels: [...labels].sort() });
    }
    const one = (name: string) => families.get(name)!.samples[0]!.value;
    expect(one("process_cpu_seconds_total")).toBeCloseTo(one("process_cpu_user_seconds_total") + one("process_cpu_system_seconds_total"), 6);
    expect(one("process_open_fds")).toBeGreaterThan(3);
    expect(one("process_max_fds")).toBeGreaterThanOrEqual(one("process_open_fds"));
    expect(one("process_virtual_memory_bytes")).toBeGreaterThan(one("process_resident_memory_bytes"));
    expect(one("nodejs_active_handles_total")).toBeGreaterThan(0);
    expect(one("nodejs_eventloop_lag_seconds")).toBeGreaterThan(0);
    expect(families.get("nodejs_version_info")!.samples[0]!.labels).toMatchObject({ version: process.version });
    expect(families.get("nodejs_heap_space_size_used_bytes")!.samples.map((s) => s.labels["space"])).toContain("old");
    await gw.stop();
  }, 120_000);

  it("times garbage collections into nodejs_gc_duration_seconds by kind", async () => {
    const m = new GatewayMetrics(() => 0);
    let keep: number[][] = [];
    for (let i = 0; i < 200_000; i++) keep = i % 1000 === 0 ? [] : [...keep.slice(-10), new Array<number>(50).fill(i)];
    await new Promise((r) => setTimeout(r, 50)); // GC entries reach observers asynchronously
    const gc = parseExposition(await m.render()).get("nodejs_gc_duration_seconds")!;
    m.close();
    const count = gc.samples.find((s) => s.name === "nodejs_gc_duration_seconds_count" && s.labels["kind"] === "minor");
    expect(count?.value).toBeGreaterThan(0);
    expect(keep.length).toBeGreaterThan(0);
  });
});
