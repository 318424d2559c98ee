/**
 * bench/soak/heap-probe: preloaded into the gateway under soak
 * (`node --expose-gc --import heap-probe.js dist/cli/bin.js serve …`) so the
 * soak can read the gateway's heap; `/metrics` exports no process gauges.
 *
 * On each `{ type: "sample" }` message over the IPC channel it runs a full
 * garbage collection (when `--expose-gc` is on) and answers with
 * `process.memoryUsage()`: `heapUsed` after a full collection is the live
 * heap, the figure a leak makes grow; without the collection it is a
 * sawtooth of garbage that hides the trend. The collection costs one pause
 * of a few milliseconds per sample (every 5 or 10 s).
 *
 * It must not change how the gateway exits: the channel is unreferenced, so
 * a SIGTERM still ends the process the way it would without the probe (a
 * gateway that does not exit is a finding of the soak, not of the probe).
 */

/** The probe's answer to a sample request. */
export interface HeapSample {
  type: "heap";
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  /** True when a full collection ran just before the reading. */
  collected: boolean;
}

const gc = (globalThis as { gc?: () => void }).gc;

if (process.send !== undefined && process.channel !== undefined) {
  process.on("message", (m: unknown) => {
    if (typeof m !== "object" || m === null || (m as { type?: unknown }).type !== "sample") return;
    gc?.();
    const u = process.memoryUsage();
    const reply: HeapSample = { type: "heap", rss: u.rss, heapUsed: u.heapUsed, heapTotal: u.heapTotal, external: u.external, arrayBuffers: u.arrayBuffers, collected: gc !== undefined };
    process.send?.(reply);
  });
  // Adding the listener referenced the channel; unreference it again so it never keeps the gateway alive.
  process.channel.unref();
}
