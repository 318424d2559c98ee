/**
 * bench/scenarios/workers: the workers cell runs only when `aigw serve` of
 * the build names a `--workers` option in its usage text, and is not fooled
 * by the guard pass's `--guard-workers`.
 */
import { describe, expect, it } from "vitest";
import { workersSupport } from "../../bench/scenarios/workers.js";

describe("workersSupport", () => {
  it("finds --workers in a usage line and in an options list", () => {
    expect(workersSupport("usage: aigw serve [PATHS] [--port N] [--workers N]").supported).toBe(true);
    expect(workersSupport("options:\n  --workers N   event loops sharing the port").supported).toBe(true);
  });

  it("is not fooled by --guard-workers, and says why it skips", () => {
    const r = workersSupport("usage: aigw serve [--guard-workers N] [--guard-timeout D]\n  --guard-workers N   threads");
    expect(r).toEqual({ supported: false, reason: "`aigw serve --help` of this build has no --workers option" });
  });
});
