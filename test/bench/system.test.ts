/** bench/system's precise CPU reading: every thread's schedstat nanoseconds, in µs. */
import { describe, expect, it } from "vitest";
import { processCpuPreciseUs } from "../../bench/system.js";

describe("processCpuPreciseUs", () => {
  it("reads this process's CPU time, which grows with work", () => {
    const before = processCpuPreciseUs(process.pid)!;
    let x = 0;
    for (let i = 0; i < 2e7; i++) x += Math.sqrt(i);
    expect(x).toBeGreaterThan(0);
    const after = processCpuPreciseUs(process.pid)!;
    expect(after).toBeGreaterThan(before);
  });

  it("is undefined for a process that does not exist", () => {
    expect(processCpuPreciseUs(2 ** 31 - 1)).toBeUndefined();
  });
});
