/**
 * bench/pipeline-pair (`bench:ab REF --in-process`'s measuring child), run
 * briefly so it cannot rot: two builds (here this tree twice) in one
 * process against the bench's real mock upstream, with the bench's features
 * policy. Every request it counts reached the upstream, each build reports
 * a CPU time per request, and a tree without the composed pipeline is
 * refused by name rather than measured.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMockUpstream, type MockUpstream } from "../../bench/mock-upstream.js";
import { BENCH_KEY, benchPolicy, featurePrompt } from "../../bench/proxy-features.js";
import { hashKey } from "../../runtime/pipeline/auth.js";

const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const PAIR = join(ROOT, "dist", "bench", "pipeline-pair.js");
const run = promisify(execFile);

let mock: MockUpstream;
let dir: string;

beforeAll(async () => {
  mock = await startMockUpstream();
  dir = mkdtempSync(join(tmpdir(), "aigw-pair-"));
  writeFileSync(join(dir, "bench.route"), benchPolicy(`http://127.0.0.1:${mock.port}`, hashKey(BENCH_KEY), "memory"));
  writeFileSync(join(dir, "body.json"), featurePrompt());
  writeFileSync(join(dir, "authorization"), `Bearer ${BENCH_KEY}`);
});

afterAll(async () => {
  await mock?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("bench pipeline-pair", () => {
  it("runs both builds' pipelines against the upstream and reports CPU per request for each", async () => {
    const before = mock.stats().requests;
    const { stdout } = await run(process.execPath, [PAIR, ROOT, ROOT, dir, "4", "25", "50"]);
    const r = JSON.parse(stdout) as { first: number; second: number };
    expect(r.first).toBeGreaterThan(0);
    expect(r.second).toBeGreaterThan(0);
    // Warm-up (4 × 50) and 4 batches of 25 for each build: every one a request upstream.
    expect(mock.stats().requests - before).toBe(4 * 50 + 4 * 25 * 2);
  });

  it("refuses a tree it cannot measure, naming it", async () => {
    const empty = mkdtempSync(join(tmpdir(), "aigw-pair-empty-"));
    try {
      await expect(run(process.execPath, [PAIR, ROOT, empty, dir, "1", "1", "1"])).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining(empty) });
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
