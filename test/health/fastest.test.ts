/**
 * `split fastest`: the latency tracker (EWMA, decay), and power of two
 * choices on its estimates. Properties on a virtual clock with noisy
 * latencies: the choice converges to the faster target, and the slower one
 * is still measured now and then (one slow measurement never starves a
 * target). End to end through `aigw serve` with the `openai` SDK: two fake
 * upstreams, one slow; after a few requests nearly everything goes to the
 * fast one, and `/metrics` exports both estimates.
 */
import fc from "fast-check";
import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import type { Io } from "../../cli/io.js";
import { serveCommand } from "../../cli/commands/serve.js";
import { compileSources } from "../../compiler/index.js";
import { decide, prepare, seededRandom } from "../../runtime/engine/index.js";
import { factsFromTestRequest } from "../../runtime/engine/facts.js";
import { HALF_LIFE_MS, LatencyTracker } from "../../runtime/health/index.js";
import type { Gateway } from "../../runtime/server/app.js";
import { policyDir } from "../support/cli.js";
import { behave, closeAllUpstreams, startUpstream } from "../support/upstreams.js";
import { KEY, KEY_HASH } from "../server/helpers.js";

describe("the latency tracker", () => {
  it("keeps an EWMA of answered tries that halves every half-life unmeasured", () => {
    const t = new LatencyTracker();
    expect(t.estimate("a", 0)).toBeUndefined();
    t.observe("a", 100, 0);
    expect(t.estimate("a", 0)).toBe(100);
    t.observe("a", 200, 0);
    expect(t.estimate("a", 0)).toBeCloseTo(130);
    expect(t.estimate("a", HALF_LIFE_MS)).toBeCloseTo(65);
    t.observe("a", -1, 0);
    expect(t.estimate("a", 0)).toBeCloseTo(130);
  });
});

const POOL = compileSources([
  {
    path: "pool.route",
    text: `gateway { auth none }\nprovider p { api mock }\nmodel fast = p/"fast"\nmodel slow = p/"slow"\nroute pool { when model == "pool"  split fastest { 50% slow  50% fast } }\n`,
  },
]).graph!;

describe("split fastest on a virtual clock", () => {
  it("converges to the faster of two noisy targets and still measures the slower one now and then", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.integer({ min: 20, max: 200 }), fc.double({ min: 1.5, max: 5, noNaN: true }), (seed, fastMs, ratio) => {
        const rand = seededRandom(seed);
        const p = prepare(POOL);
        const facts = factsFromTestRequest({ model: "pool", headers: {}, metadata: {} }, POOL);
        const t = new LatencyTracker();
        let now = 0;
        const picks: { model: string; at: number }[] = [];
        // One request every 50 ms for 3 minutes; each latency is its target's mean ± 50% noise.
        for (let i = 0; i < 3600; i++) {
          now += 50;
          const d = decide(p, facts, { budgetSpent: () => 0, limitUsed: () => 0, draw: rand, latency: (m) => t.estimate(m, now) });
          if (d.kind !== "route") throw new Error("expected a route");
          const model = d.split!.model;
          const mean = model === "fast" ? fastMs : fastMs * ratio;
          t.observe(model, mean * (0.5 + rand()), now);
          picks.push({ model, at: now });
        }
        const late = picks.slice(600);
        const fastShare = late.filter((x) => x.model === "fast").length / late.length;
        expect(fastShare).toBeGreaterThan(0.9);
        // No starvation: the slow target is tried in every minute.
        for (let minute = 0; minute < 3; minute++) {
          expect(picks.some((x) => x.model === "slow" && x.at > minute * 60_000 && x.at <= (minute + 1) * 60_000)).toBe(true);
        }
      }),
      { numRuns: 30 },
    );
  });
});

let stop: (() => void) | undefined;
afterEach(async () => {
  stop?.();
  stop = undefined;
  await closeAllUpstreams();
});

describe("split fastest through aigw serve", () => {
  it("sends nearly everything to the faster upstream and exports both estimates", async () => {
    const fast = await startUpstream("openai");
    const slow = await startUpstream("openai");
    slow.setDefault(behave.reply({}, 300));
    const dir = policyDir({
      "main.route": `
gateway { state memory }
keys { "${KEY_HASH}" team "chat" }
provider pf { api openai base_url "${fast.baseUrl}" }
provider ps { api openai base_url "${slow.baseUrl}" }
model quick = pf/"quick-model"
model sluggish = ps/"sluggish-model"
route pool {
  when model == "pool"
  split fastest { 50% sluggish  50% quick }
}
`,
    });
    const io: Io = { out: () => {}, err: () => {}, isTty: false, env: {}, cwd: process.cwd() };
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const gateway = await new Promise<Gateway>((resolve) => {
      void serveCommand([dir, "--port", "0", "--host", "127.0.0.1"], io, { stop: stopped, onListening: resolve });
    });
    const base = `http://127.0.0.1:${gateway.port}`;
    const client = new OpenAI({ apiKey: KEY, baseURL: `${base}/v1`, maxRetries: 0 });
    const targets: string[] = [];
    for (let i = 0; i < 40; i++) {
      const { response } = await client.chat.completions.create({ model: "pool", messages: [{ role: "user", content: "hi" }] }).withResponse();
      targets.push(response.headers.get("x-aigw-target")!);
    }
    // Both are measured (cold targets count as fastest), then the quick one takes over. (Not all: one
    // slow reply from the quick upstream on a loaded machine may hand a few requests to the other.)
    expect(targets).toContain("sluggish");
    expect(targets.slice(20).filter((t) => t === "quick").length).toBeGreaterThanOrEqual(15);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    const estimate = (m: string): number => Number(/ ([0-9.e+-]+)$/.exec(metrics.split("\n").find((l) => l.startsWith(`aigw_target_latency_seconds{target="${m}"}`))!)![1]);
    expect(estimate("sluggish")).toBeGreaterThan(0.2);
    expect(estimate("quick")).toBeLessThan(estimate("sluggish"));
  });
});
