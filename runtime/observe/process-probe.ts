/**
 * The real {@link ProcessProbe}: reads the running Node process the way
 * prom-client's default metrics do, so the numbers mean the same thing
 * under the same names (process.ts).
 *
 * Everything is read when a scrape asks, except two background samplers:
 * `monitorEventLoopDelay` (every 10 ms, reset at each reading) and a
 * PerformanceObserver of garbage collections. /proc reads are synchronous
 * because procfs maps kernel data and never blocks (as libuv itself does
 * for `process.memoryUsage`); off Linux those readings are simply absent.
 */
import { readdirSync, readFileSync } from "node:fs";
import { constants, monitorEventLoopDelay, PerformanceObserver, type IntervalHistogram, type PerformanceEntry } from "node:perf_hooks";
import { getHeapSpaceStatistics } from "node:v8";
import type { GcKind, HeapSpace, LoopDelay, ProcessProbe, ProcessReading } from "./process.js";

/** Node's internal listings of libuv handles and requests; prom-client reads them too (they may disappear). */
interface ProcessInternals {
  _getActiveHandles?: () => unknown[];
  _getActiveRequests?: () => unknown[];
  getActiveResourcesInfo?: () => string[];
}

const GC_KINDS: Partial<Record<number, GcKind>> = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: "major",
  [constants.NODE_PERFORMANCE_GC_MINOR]: "minor",
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: "incremental",
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: "weakcb",
};

/** The running Node process. */
export function nodeProcessProbe(): ProcessProbe {
  let loop: IntervalHistogram | undefined;
  try {
    loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
  } catch {
    loop = undefined;
  }
  let gc: PerformanceObserver | undefined;
  let lagSeconds: number | undefined;
  const startTimeSeconds = Math.round(Date.now() / 1000 - process.uptime());
  const maxFds = readMaxFds();
  const internals = process as unknown as ProcessInternals;
  return {
    read(): ProcessReading {
      const m = process.memoryUsage();
      const c = process.cpuUsage();
      const status = procStatus();
      const openFds = countOpenFds();
      // As prom-client: the lag gauge shows the round trip measured after the previous scrape.
      const lagStart = process.hrtime.bigint();
      setImmediate(() => void (lagSeconds = Number(process.hrtime.bigint() - lagStart) / 1e9));
      const reading: ProcessReading = {
        residentBytes: status?.VmRSS ?? m.rss,
        ...(status?.VmSize !== undefined ? { virtualBytes: status.VmSize } : {}),
        ...(status?.VmData !== undefined ? { processHeapBytes: status.VmData } : {}),
        heapUsedBytes: m.heapUsed,
        heapTotalBytes: m.heapTotal,
        externalBytes: m.external,
        heapSpaces: heapSpaces(),
        cpuUserSeconds: c.user / 1e6,
        cpuSystemSeconds: c.system / 1e6,
        startTimeSeconds,
        ...(openFds !== undefined ? { openFds } : {}),
        ...(maxFds !== undefined ? { maxFds } : {}),
        ...(lagSeconds !== undefined ? { loopLagSeconds: lagSeconds } : {}),
        ...(loop && loop.count > 0 ? { loopDelay: loopDelay(loop) } : {}),
        ...(internals._getActiveHandles ? { activeHandles: byClass(internals._getActiveHandles()) } : {}),
        ...(internals._getActiveRequests ? { activeRequests: byClass(internals._getActiveRequests()) } : {}),
        ...(internals.getActiveResourcesInfo ? { activeResources: countOf(internals.getActiveResourcesInfo()) } : {}),
        nodeVersion: process.version,
      };
      loop?.reset();
      return reading;
    },
    onGc(listener) {
      gc?.disconnect();
      gc = new PerformanceObserver((list) => {
        for (const e of list.getEntries()) {
          const kind = GC_KINDS[((e as PerformanceEntry & { detail?: { kind?: number } }).detail)?.kind ?? -1];
          if (kind !== undefined) listener(kind, e.duration / 1000);
        }
      });
      gc.observe({ entryTypes: ["gc"] });
    },
    close() {
      loop?.disable();
      gc?.disconnect();
    },
  };
}

function loopDelay(h: IntervalHistogram): LoopDelay {
  return { min: h.min / 1e9, max: h.max / 1e9, mean: h.mean / 1e9, stddev: h.stddev / 1e9, p50: h.percentile(50) / 1e9, p90: h.percentile(90) / 1e9, p99: h.percentile(99) / 1e9 };
}

/** VmSize, VmRSS and VmData of /proc/self/status, bytes; undefined off Linux. */
function procStatus(): Partial<Record<"VmSize" | "VmRSS" | "VmData", number>> | undefined {
  if (process.platform !== "linux") return undefined;
  try {
    const out: Partial<Record<"VmSize" | "VmRSS" | "VmData", number>> = {};
    for (const m of readFileSync("/proc/self/status", "utf8").matchAll(/^(VmSize|VmRSS|VmData):\s*(\d+) kB$/gm)) out[m[1] as "VmSize"] = Number(m[2]) * 1024;
    return out;
  } catch {
    return undefined;
  }
}

function countOpenFds(): number | undefined {
  if (process.platform !== "linux") return undefined;
  try {
    // Minus the descriptor readdirSync itself held (closed by now), as prom-client counts.
    return readdirSync("/proc/self/fd").length - 1;
  } catch {
    return undefined;
  }
}

/** The soft limit on open files; read once (prom-client does too). */
function readMaxFds(): number | undefined {
  try {
    const line = readFileSync("/proc/self/limits", "utf8")
      .split("\n")
      .find((l) => l.startsWith("Max open files"));
    const n = line === undefined ? NaN : Number(line.split(/ {2,}/)[1]);
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Heap spaces named as prom-client names them: `old_space` → `old`. */
function heapSpaces(): HeapSpace[] | undefined {
  try {
    return getHeapSpaceStatistics().map((s) => ({
      space: s.space_name.endsWith("_space") ? s.space_name.slice(0, -"_space".length) : s.space_name,
      total: s.space_size,
      used: s.space_used_size,
      available: s.space_available_size,
    }));
  } catch {
    return undefined;
  }
}

function byClass(list: readonly unknown[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of list) {
    const name = (x as { constructor?: { name?: string } } | null)?.constructor?.name;
    if (name !== undefined) out[name] = (out[name] ?? 0) + 1;
  }
  return out;
}

function countOf(names: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of names) out[n] = (out[n] ?? 0) + 1;
  return out;
}
