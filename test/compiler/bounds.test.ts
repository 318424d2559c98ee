/**
 * Worst-case bounds per route (compiler/bounds) and the declared bounds
 * `check` enforces (E308): tries, wall time (timeouts, retries, backoff,
 * Retry-After waits, the deadline) and cost (prices × the largest request ×
 * tries), each over every plan a route can run.
 */
import { describe, expect, it } from "vitest";
import { routeBound } from "../../compiler/bounds/worst-case.js";
import { compileSources } from "../../compiler/index.js";
import type { Graph } from "../../compiler/graph.js";
import { errorCodes, found } from "./helpers.js";

const DECLS = `gateway { auth none deadline 120s }
provider p { api mock timeout 30s }
provider slow { api mock timeout 1m }
model big = p/"big" { input $2.50/Mtok output $10/Mtok context 128k max_output 16k }
model son = slow/"son" { input $3/Mtok output $15/Mtok context 200k }
model cheap = p/"cheap" { input $0.10/Mtok output $0.40/Mtok context 32k max_output 4k }
model open = p/"open" { input $1/Mtok output $1/Mtok }
`;

function graph(text: string): Graph {
  const r = compileSources([{ path: "main.route", text }]);
  if (!r.graph) throw new Error(errorCodes(r).join("\n"));
  return r.graph;
}

const bound = (text: string, route = "r") => {
  const g = graph(text);
  return routeBound(g, g.routes.find((x) => x.name === route)!);
};

describe("the worst case of a route", () => {
  it("counts every try of every target, timeouts and waits, capped by the deadline", () => {
    const b = bound(DECLS + `route r {\n  to big\n  fallback son on 429, 5xx, timeout\n  retry 2 backoff 1s\n}\n`);
    expect(b.tries).toBe(6);
    // big: 3 × 30s + waits; son: 3 × 1m + waits. A 429 may say Retry-After 30s: each wait is 30s.
    expect(b.uncappedMs).toBe(3 * 30_000 + 2 * 30_000 + 3 * 60_000 + 2 * 30_000);
    expect(b.latencyMs).toBe(120_000);
    expect(b.latencyPlan.map((s) => [s.model, s.tries, s.timeoutMs, s.waitsMs])).toEqual([
      ["big", 3, 30_000, [30_000, 30_000]],
      ["son", 3, 60_000, [30_000, 30_000]],
    ]);
  });

  it("waits only the backoff when no failure that retries can carry Retry-After", () => {
    const b = bound(DECLS + `route r {\n  to big\n  retry 3 backoff 250ms\n  fallback cheap on timeout\n  timeout 5s\n}\n`);
    expect(b.latencyPlan[0]!.waitsMs).toEqual([250, 500, 1000]);
    expect(b.uncappedMs).toBe(4 * 5000 + 1750 + 4 * 5000 + 1750);
  });

  it("prices every try at the model's largest request: its context in, its max_output out", () => {
    const b = bound(DECLS + `route r {\n  to big\n  fallback cheap\n  retry 1\n}\n`);
    const big = (128_000 * 2.5 + 16_000 * 10) / 1e6;
    const cheap = (32_000 * 0.1 + 4_000 * 0.4) / 1e6;
    expect(b.cost).toBeCloseTo(2 * big + 2 * cheap, 10);
    expect(b.costPlan.map((s) => s.model)).toEqual(["big", "cheap"]);
  });

  it("takes the worst over split arms and a budget's downgrade", () => {
    const text = DECLS + `budget b { per team limit $10 per day exceeded downgrade son }\nroute r {\n  budget b\n  split { 90% cheap 10% big }\n}\n`;
    const b = bound(text);
    expect(b.costPlan.map((s) => s.model)).toEqual(["son"]);
    expect(b.latencyPlan.map((s) => s.model)).toEqual(["son"]);
  });

  it("has no cost bound when a priced model declares neither context nor max_output", () => {
    const b = bound(DECLS + `route r {\n  to open\n}\n`);
    expect(b.cost).toBe(Infinity);
    expect(b.unbounded).toEqual(["open"]);
  });
});

describe("declared bounds (E308)", () => {
  const route = (settings: string, gateway = ""): string =>
    DECLS.replace("deadline 120s", `deadline 120s ${gateway}`) + `route r {\n  when model == "chat"\n  to big\n  fallback son on 429, 5xx, timeout\n  retry 2 backoff 1s\n${settings}}\n`;

  it("accepts a route within its bounds and compiles it, bounds in the graph", () => {
    const g = graph(route("  max_latency 3m\n  max_cost $13\n"));
    expect(g.routes[0]).toMatchObject({ maxLatencyMs: 180_000, maxCost: 13 });
  });

  it("refuses a route over its max_latency, at the setting, with the plan that breaks it", () => {
    const r = compileSources([{ path: "main.route", text: route("  max_latency 30s\n") }]);
    expect(r.graph).toBeUndefined();
    expect(found(r, "E308")).toEqual([
      {
        line: 13,
        column: 3,
        message:
          "route `r` can take 2m (the deadline; 390s without it), over its `max_latency 30s`: big 3 tries of 30s with waits of 30s, 30s, then son 3 tries of 1m with waits of 30s, 30s",
      },
    ]);
    expect(r.diagnostics.find((d) => d.code === "E308")?.related?.span.line).toBe(8);
  });

  it("refuses a route over the gateway's default max_cost, and one whose cost has no bound", () => {
    const r = compileSources([{ path: "main.route", text: route("", "max_cost $1") }]);
    const [e] = found(r, "E308");
    expect(e?.line).toBe(1);
    expect(e?.message).toBe("one request on route `r` can cost $12.24, over the gateway's default `max_cost $1`: big 3 tries up to $1.44, then son 3 tries up to $10.80");
    const open = compileSources([{ path: "main.route", text: DECLS + `route r {\n  to open\n  max_cost $1\n}\n` }]);
    expect(found(open, "E308")[0]?.message).toContain("has no bound (`open` declares neither `context` nor `max_output`)");
  });

  it("a route's own bound overrides the gateway's default", () => {
    const r = compileSources([{ path: "main.route", text: route("  max_cost $13\n", "max_cost $1") }]);
    expect(found(r, "E308")).toEqual([]);
    expect(r.graph).toBeDefined();
  });

  it("checks the bounds' units and that each is given once", () => {
    const r = compileSources([{ path: "main.route", text: route("  max_latency 30\n  max_cost 5s\n  max_cost $1\n") }]);
    expect(found(r, "E201").map((d) => d.line)).toEqual([13, 14]);
    expect(found(r, "E208").map((d) => d.line)).toEqual([15]);
  });
});
