/**
 * The worker pool's crash rule with real worker threads: a worker that
 * ends without being asked to is reported (index and cause), so the gateway
 * stops and exits non-zero instead of serving on as a half-gateway; workers
 * asked to drain end without a report.
 */
import { describe, expect, it } from "vitest";
import { WorkerPool, type PoolOptions } from "../../runtime/server/workers/pool.js";
import { policy } from "../server/helpers.js";

const ENTRY = new URL("./child/crashing-worker.mjs", import.meta.url);

const GRAPH = policy(`
gateway { auth none state memory }
provider p { api mock }
model m = p/"m"
route r { to m }
`);

function options(onLost: PoolOptions["onLost"]): PoolOptions {
  return {
    size: 2,
    // The stand-in workers never bind it.
    port: 18_999,
    entry: ENTRY,
    setup: { graph: GRAPH, host: "127.0.0.1", env: {}, baseDir: ".", accessLog: false, logDecisions: false, guardPass: {} },
    onLog: () => {},
    onLost,
    answer: async () => ({ status: 200, body: "{}" }),
    ownMetrics: async () => "",
  };
}

describe("WorkerPool", () => {
  it("reports a worker that throws after it started, with its index and the error, and drains the rest", async () => {
    let resolveLost!: (l: { index: number; why: string }) => void;
    const lost = new Promise<{ index: number; why: string }>((r) => (resolveLost = r));
    const pool = await WorkerPool.start(options((index, why) => resolveLost({ index, why })));
    const l = await lost;
    expect(l.index).toBe(1);
    expect(l.why).toMatch(/worker fault for the test/);
    expect(pool.versions().map((v) => v.worker)).toEqual([0, 1]);
    await pool.drain(1000);
  });

  it("reports nothing for workers it was asked to drain", async () => {
    const reports: number[] = [];
    const pool = await WorkerPool.start({ ...options((index) => reports.push(index)), size: 1 });
    await pool.drain(1000);
    expect(reports).toEqual([]);
  });
});
