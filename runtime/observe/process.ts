/**
 * The process's own health in `/metrics`: resident memory, V8 heap, CPU
 * time and event-loop delay, under the names Prometheus client libraries
 * use (`process_*`, `nodejs_*`) so existing dashboards and alerts fit.
 *
 * Read at scrape time, never per request. The readings come through a
 * {@link ProcessProbe} so tests can fix them; {@link nodeProcessProbe}
 * is the real one.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";
import type { Counter, Gauge, Registry } from "./registry.js";

/** One reading of the process. Bytes, seconds. */
export interface ProcessReading {
  readonly residentBytes: number;
  readonly heapUsedBytes: number;
  readonly heapTotalBytes: number;
  readonly externalBytes: number;
  readonly cpuUserSeconds: number;
  readonly cpuSystemSeconds: number;
  readonly startTimeSeconds: number;
  /** Event-loop delay since the previous reading, seconds; undefined when not measured. */
  readonly loopDelay?: { readonly p50: number; readonly p99: number; readonly max: number };
}

/** Where the readings come from. */
export interface ProcessProbe {
  read(): ProcessReading;
  /** Stops whatever the probe runs in the background. */
  close(): void;
}

/** The running Node process; the event-loop delay is sampled every 10 ms and reset at each reading. */
export function nodeProcessProbe(): ProcessProbe {
  let loop: IntervalHistogram | undefined;
  try {
    loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
  } catch {
    loop = undefined;
  }
  const startTimeSeconds = Math.round(Date.now() / 1000 - process.uptime());
  return {
    read() {
      const m = process.memoryUsage();
      const c = process.cpuUsage();
      const reading: ProcessReading = {
        residentBytes: m.rss,
        heapUsedBytes: m.heapUsed,
        heapTotalBytes: m.heapTotal,
        externalBytes: m.external,
        cpuUserSeconds: c.user / 1e6,
        cpuSystemSeconds: c.system / 1e6,
        startTimeSeconds,
        ...(loop && loop.count > 0 ? { loopDelay: { p50: loop.percentile(50) / 1e9, p99: loop.percentile(99) / 1e9, max: loop.max / 1e9 } } : {}),
      };
      loop?.reset();
      return reading;
    },
    close() {
      loop?.disable();
    },
  };
}

/** The gauges, registered once; {@link ProcessGauges.update} copies a reading into them. */
export class ProcessGauges {
  private readonly resident: Gauge;
  private readonly heapUsed: Gauge;
  private readonly heapTotal: Gauge;
  private readonly external: Gauge;
  private readonly cpu: Counter;
  private readonly start: Gauge;
  private readonly loopDelay: Gauge;

  constructor(r: Registry) {
    this.resident = r.gauge("process_resident_memory_bytes", "Resident memory size in bytes.");
    this.heapUsed = r.gauge("nodejs_heap_used_bytes", "V8 heap in use, bytes.");
    this.heapTotal = r.gauge("nodejs_heap_total_bytes", "V8 heap allocated, bytes.");
    this.external = r.gauge("nodejs_external_memory_bytes", "Memory of C++ objects bound to JavaScript objects (buffers included), bytes.");
    // A counter set from the OS's running total (it only ever grows), as client libraries export it.
    this.cpu = r.counter("process_cpu_seconds_total", "User and system CPU time spent, seconds.", ["mode"]);
    this.start = r.gauge("process_start_time_seconds", "Start time of the process since the Unix epoch, seconds.");
    this.loopDelay = r.gauge("nodejs_eventloop_delay_seconds", "Event-loop delay since the previous scrape, by quantile (p50, p99, max).", ["quantile"]);
  }

  update(p: ProcessReading): void {
    this.resident.set([], p.residentBytes);
    this.heapUsed.set([], p.heapUsedBytes);
    this.heapTotal.set([], p.heapTotalBytes);
    this.external.set([], p.externalBytes);
    this.cpu.child("user").value = p.cpuUserSeconds;
    this.cpu.child("system").value = p.cpuSystemSeconds;
    this.start.set([], p.startTimeSeconds);
    this.loopDelay.clear();
    if (p.loopDelay) {
      this.loopDelay.set(["0.5"], p.loopDelay.p50);
      this.loopDelay.set(["0.99"], p.loopDelay.p99);
      this.loopDelay.set(["1"], p.loopDelay.max);
    }
  }
}
