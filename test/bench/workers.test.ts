/**
 * bench/scenarios/workers: the workers cell runs only when `aigw serve` of
 * the build takes a `--workers` option (named in its usage text, or not
 * refused as unknown by a probe), and is not fooled by the guard pass's
 * `--guard-workers`.
 */
import { describe, expect, it } from "vitest";
import { workersSupport } from "../../bench/scenarios/workers.js";

describe("workersSupport", () => {
  it("finds --workers in a usage line and in an options list", () => {
    expect(workersSupport("usage: aigw serve [PATHS] [--port N] [--workers N]", "").supported).toBe(true);
    expect(workersSupport("options:\n  --workers N   event loops sharing the port", "").supported).toBe(true);
  });

  it("takes a build whose option is ahead of its help text, when the probe does not call it unknown", () => {
    expect(workersSupport("usage: aigw serve [--guard-workers N]", "error[L001]: cannot find `/tmp/x/missing`").supported).toBe(true);
  });

  it("is not fooled by --guard-workers, and says why it skips", () => {
    const usage = "usage: aigw serve [--guard-workers N] [--guard-timeout D]\n  --guard-workers N   threads";
    const r = workersSupport(usage, `aigw serve: unknown option \`--workers\`\n${usage}`);
    expect(r).toEqual({ supported: false, reason: "`aigw serve` of this build has no --workers option (not in its usage, and refused as unknown)" });
  });
});
