/**
 * The process's own health in `/metrics`, under exactly the names, types,
 * label sets and help texts of prom-client's default metrics (v15,
 * `collectDefaultMetrics`), so dashboards and alerts built on them — the
 * Grafana "Node.js Application Dashboard" among them — work unchanged.
 *
 * Read at scrape time, never per request, except garbage collections, which
 * the probe reports as they end. The readings come through a
 * {@link ProcessProbe} so tests can fix them; process-probe.ts reads the
 * real Node process.
 */
import type { Counter, Gauge, Histogram, Registry } from "./registry.js";

/** The event-loop delay histogram since the previous reading, seconds. */
export interface LoopDelay {
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  readonly stddev: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
}

/** One V8 heap space (`new`, `old`, `code` …), bytes. */
export interface HeapSpace {
  readonly space: string;
  readonly total: number;
  readonly used: number;
  readonly available: number;
}

/** One reading of the process. Bytes, seconds; optional fields are what a platform may not offer. */
export interface ProcessReading {
  readonly residentBytes: number;
  /** From /proc/self/status (Linux): VmSize and VmData. */
  readonly virtualBytes?: number;
  readonly processHeapBytes?: number;
  readonly heapUsedBytes: number;
  readonly heapTotalBytes: number;
  readonly externalBytes: number;
  readonly heapSpaces?: readonly HeapSpace[];
  /** Running totals since the process started. */
  readonly cpuUserSeconds: number;
  readonly cpuSystemSeconds: number;
  readonly startTimeSeconds: number;
  /** Linux: entries of /proc/self/fd and the soft limit of /proc/self/limits. */
  readonly openFds?: number;
  readonly maxFds?: number;
  /** The last `setImmediate` round trip measured, seconds (prom-client's `nodejs_eventloop_lag_seconds`). */
  readonly loopLagSeconds?: number;
  /** Undefined when nothing was sampled since the previous reading. */
  readonly loopDelay?: LoopDelay;
  /** Counts by C++ class (handles, requests) or resource type. */
  readonly activeHandles?: Readonly<Record<string, number>>;
  readonly activeRequests?: Readonly<Record<string, number>>;
  readonly activeResources?: Readonly<Record<string, number>>;
  /** `process.version`, `v20.19.0`. */
  readonly nodeVersion: string;
}

/** The kinds prom-client names garbage collections by. */
export type GcKind = "major" | "minor" | "incremental" | "weakcb";

/** Where the readings come from. */
export interface ProcessProbe {
  read(): ProcessReading;
  /** Calls `listener` for each garbage collection from now on (seconds it took). */
  onGc?(listener: (kind: GcKind, seconds: number) => void): void;
  /** Stops whatever the probe runs in the background. */
  close(): void;
}

/** prom-client's default buckets of `nodejs_gc_duration_seconds`. */
export const GC_BUCKETS = [0.001, 0.01, 0.1, 1, 2, 5] as const;

/** The families, registered once; {@link ProcessGauges.update} copies a reading into them. */
export class ProcessGauges {
  private readonly cpuUser: Counter;
  private readonly cpuSystem: Counter;
  private readonly cpu: Counter;
  private readonly start: Gauge;
  private readonly resident: Gauge;
  private readonly virtual: Gauge;
  private readonly processHeap: Gauge;
  private readonly openFds: Gauge;
  private readonly maxFds: Gauge;
  private readonly lag: Gauge;
  private readonly lagStats: readonly [keyof LoopDelay, Gauge][];
  private readonly resources: Gauge;
  private readonly resourcesTotal: Gauge;
  private readonly handles: Gauge;
  private readonly handlesTotal: Gauge;
  private readonly requests: Gauge;
  private readonly requestsTotal: Gauge;
  private readonly heapTotal: Gauge;
  private readonly heapUsed: Gauge;
  private readonly external: Gauge;
  private readonly spaceTotal: Gauge;
  private readonly spaceUsed: Gauge;
  private readonly spaceAvailable: Gauge;
  private readonly version: Gauge;
  private readonly gc: Histogram;

  constructor(r: Registry) {
    // Counters set from the OS's running totals (they only ever grow), as client libraries export them.
    this.cpuUser = r.counter("process_cpu_user_seconds_total", "Total user CPU time spent in seconds.");
    this.cpuSystem = r.counter("process_cpu_system_seconds_total", "Total system CPU time spent in seconds.");
    this.cpu = r.counter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.");
    this.start = r.gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.");
    this.resident = r.gauge("process_resident_memory_bytes", "Resident memory size in bytes.");
    this.virtual = r.gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.");
    this.processHeap = r.gauge("process_heap_bytes", "Process heap size in bytes.");
    this.openFds = r.gauge("process_open_fds", "Number of open file descriptors.");
    this.maxFds = r.gauge("process_max_fds", "Maximum number of open file descriptors.");
    this.lag = r.gauge("nodejs_eventloop_lag_seconds", "Lag of event loop in seconds.");
    this.lagStats = [
      ["min", r.gauge("nodejs_eventloop_lag_min_seconds", "The minimum recorded event loop delay.")],
      ["max", r.gauge("nodejs_eventloop_lag_max_seconds", "The maximum recorded event loop delay.")],
      ["mean", r.gauge("nodejs_eventloop_lag_mean_seconds", "The mean of the recorded event loop delays.")],
      ["stddev", r.gauge("nodejs_eventloop_lag_stddev_seconds", "The standard deviation of the recorded event loop delays.")],
      ["p50", r.gauge("nodejs_eventloop_lag_p50_seconds", "The 50th percentile of the recorded event loop delays.")],
      ["p90", r.gauge("nodejs_eventloop_lag_p90_seconds", "The 90th percentile of the recorded event loop delays.")],
      ["p99", r.gauge("nodejs_eventloop_lag_p99_seconds", "The 99th percentile of the recorded event loop delays.")],
    ];
    // The series exist from the first scrape, even one taken before the sampler's first reading.
    for (const [, g] of this.lagStats) g.set([], 0);
    this.resources = r.gauge("nodejs_active_resources", "Number of active resources that are currently keeping the event loop alive, grouped by async resource type.", ["type"]);
    this.resourcesTotal = r.gauge("nodejs_active_resources_total", "Total number of active resources.");
    this.handles = r.gauge("nodejs_active_handles", "Number of active libuv handles grouped by handle type. Every handle type is C++ class name.", ["type"]);
    this.handlesTotal = r.gauge("nodejs_active_handles_total", "Total number of active handles.");
    this.requests = r.gauge("nodejs_active_requests", "Number of active libuv requests grouped by request type. Every request type is C++ class name.", ["type"]);
    this.requestsTotal = r.gauge("nodejs_active_requests_total", "Total number of active requests.");
    this.heapTotal = r.gauge("nodejs_heap_size_total_bytes", "Process heap size from Node.js in bytes.");
    this.heapUsed = r.gauge("nodejs_heap_size_used_bytes", "Process heap size used from Node.js in bytes.");
    this.external = r.gauge("nodejs_external_memory_bytes", "Node.js external memory size in bytes.");
    this.spaceTotal = r.gauge("nodejs_heap_space_size_total_bytes", "Process heap space size total from Node.js in bytes.", ["space"]);
    this.spaceUsed = r.gauge("nodejs_heap_space_size_used_bytes", "Process heap space size used from Node.js in bytes.", ["space"]);
    this.spaceAvailable = r.gauge("nodejs_heap_space_size_available_bytes", "Process heap space size available from Node.js in bytes.", ["space"]);
    this.version = r.gauge("nodejs_version_info", "Node.js version info.", ["version", "major", "minor", "patch"]);
    this.gc = r.histogram("nodejs_gc_duration_seconds", "Garbage collection duration by kind, one of major, minor, incremental or weakcb.", ["kind"], GC_BUCKETS);
  }

  /** Records one garbage collection (the probe's `onGc` listener). */
  gcEnded(kind: GcKind, seconds: number): void {
    this.gc.observe([kind], seconds);
  }

  update(p: ProcessReading): void {
    this.cpuUser.child().value = p.cpuUserSeconds;
    this.cpuSystem.child().value = p.cpuSystemSeconds;
    this.cpu.child().value = p.cpuUserSeconds + p.cpuSystemSeconds;
    this.start.set([], p.startTimeSeconds);
    this.resident.set([], p.residentBytes);
    setIf(this.virtual, p.virtualBytes);
    setIf(this.processHeap, p.processHeapBytes);
    setIf(this.openFds, p.openFds);
    setIf(this.maxFds, p.maxFds);
    this.lag.set([], p.loopLagSeconds ?? 0);
    // With no sample since the last scrape the previous values stay: a series that comes and goes breaks rate panels.
    if (p.loopDelay) for (const [stat, g] of this.lagStats) g.set([], p.loopDelay[stat]);
    byType(this.resources, this.resourcesTotal, p.activeResources);
    byType(this.handles, this.handlesTotal, p.activeHandles);
    byType(this.requests, this.requestsTotal, p.activeRequests);
    this.heapTotal.set([], p.heapTotalBytes);
    this.heapUsed.set([], p.heapUsedBytes);
    this.external.set([], p.externalBytes);
    if (p.heapSpaces) {
      for (const s of p.heapSpaces) {
        this.spaceTotal.set([s.space], s.total);
        this.spaceUsed.set([s.space], s.used);
        this.spaceAvailable.set([s.space], s.available);
      }
    }
    const [major = "", minor = "", patch = ""] = p.nodeVersion.replace(/^v/, "").split(".");
    this.version.clear();
    this.version.set([p.nodeVersion, major, minor, patch], 1);
  }
}

function setIf(g: Gauge, v: number | undefined): void {
  if (v !== undefined) g.set([], v);
}

/** A by-type gauge refilled from counts (types no longer present disappear) and its total. */
function byType(g: Gauge, total: Gauge, counts: Readonly<Record<string, number>> | undefined): void {
  if (counts === undefined) return;
  g.clear();
  let sum = 0;
  for (const [type, n] of Object.entries(counts)) {
    g.set([type], n);
    sum += n;
  }
  total.set([], sum);
}
