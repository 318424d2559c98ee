/**
 * bench/decide: decisions per second for generated policies of 10, 100,
 * 1,000 and 10,000 routes, and each size's rate relative to the 10-route
 * rate measured in the same run.
 *
 * The graphs are built directly (no parser): routes grouped ten per
 * requested model with `model == "m-k" and header("x-tier") == "t-j"`
 * conditions (some also testing `team in [...]`), plus any-model routes at
 * a fifth, two fifths, … of the list that test a header and the team. The
 * request targets a model bucket in the middle of the policy and matches
 * the bucket's second-to-last route, so each decision evaluates a full
 * bucket's conditions, the any-model routes before it, a budget, a rate
 * limit and a split by key.
 *
 * Targets (issue 3): ≥ 1,000,000 decisions/s at 1,000 routes on one core;
 * 10,000 routes ≥ half the 10-route rate.
 *
 * Run: `npm run build && node dist/bench/decide.js [--seconds S] [--sizes 10,100,…] [--json]`
 * (`npm run bench` runs it with `--json`, pinned to the gateway's core).
 */
import type { ExprNode, Graph, RouteNode, SourceRef } from "../compiler/graph.js";
import { decide, makeFacts, prepare, type Facts, type StateView } from "../runtime/engine/index.js";

const SIZES = [10, 100, 1_000, 10_000];
const BUCKET = 10;
const ANY_MODEL = 4;

const span = (line: number): SourceRef => ({ file: "bench.route", line, column: 1, endLine: line, endColumn: 2 });
const eq = (name: "model" | "team", value: string): ExprNode => ({ op: "eq", fact: { name }, value });
const hdr = (name: string, value: string): ExprNode => ({ op: "eq", fact: { name: "header", arg: name }, value });

function baseRoute(name: string, line: number, when: ExprNode | undefined): RouteNode {
  return {
    name,
    ...(when ? { when } : {}),
    target: { kind: "to", model: "mini" },
    fallback: ["sonnet"],
    fallbackOn: ["429", "5xx", "timeout"],
    retry: { count: 1, backoffMs: 250 },
    guard: [],
    budgets: [],
    limits: [],
    span: span(line),
  };
}

/** A policy of `n` routes and the model name whose bucket the benchmark request targets. */
export function benchGraph(n: number): { graph: Graph; model: string; tier: string } {
  const routes: RouteNode[] = [];
  const byModel: Record<string, number[]> = {};
  const anyModel: number[] = [];
  const anyAt = new Set(Array.from({ length: ANY_MODEL }, (_, k) => Math.floor((n * (k + 1)) / (ANY_MODEL + 1))));
  const bucketRoutes = n - ANY_MODEL;
  const buckets = Math.max(1, Math.ceil(bucketRoutes / BUCKET));
  const target = Math.floor(buckets / 2);
  let placed = 0;
  for (let i = 0; i < n; i++) {
    if (anyAt.has(i)) {
      const when: ExprNode = { op: "and", args: [hdr("x-team", `team-${i}`), { op: "in", fact: { name: "team" }, values: ["ops", "infra"] }] };
      routes.push(baseRoute(`any-${i}`, i + 1, when));
      anyModel.push(i);
      continue;
    }
    const b = Math.floor(placed / BUCKET);
    const j = placed % BUCKET;
    placed++;
    const model = `model-${b}`;
    const last = j === BUCKET - 1 || placed === bucketRoutes;
    let when: ExprNode;
    if (last) when = eq("model", model);
    else if (j % 3 === 2) when = { op: "and", args: [eq("model", model), hdr("x-tier", `tier-${j}`), { op: "in", fact: { name: "team" }, values: ["search", "support"] }] };
    else when = { op: "and", args: [eq("model", model), hdr("x-tier", `tier-${j}`)] };
    const r = baseRoute(`route-${i}`, i + 1, when);
    if (b === target) {
      // The bucket the request hits: a realistic premium route (split by key, budget, limit, fallbacks).
      r.target = { kind: "split", by: { name: "key" }, arms: [{ model: "gpt-4o", weight: 90 }, { model: "sonnet", weight: 10 }] };
      r.fallback = ["sonnet", "mini"];
      r.budgets = ["team-daily"];
      r.limits = ["per-key"];
    }
    routes.push(r);
    (byModel[model] ??= []).push(i);
  }
  // The request's tier matches the second-to-last route of its bucket (or the only one).
  const bucketSize = Math.min(BUCKET, bucketRoutes - target * BUCKET);
  const tierIndex = Math.max(0, bucketSize - 2);
  const models: Graph["models"] = {};
  for (const m of ["gpt-4o", "sonnet", "mini"]) models[m] = { provider: "p", upstream: m, inputPrice: 1, outputPrice: 2, span: span(1) };
  const graph: Graph = {
    version: 1,
    policy: `bench-${n}`,
    gateway: { state: { kind: "memory" }, auth: "keys", logBodies: false, maxBodyBytes: 1 << 20, deadlineMs: 60_000 },
    providers: { p: { api: "mock", timeoutMs: 30_000, span: span(1) } },
    models,
    keys: {},
    budgets: { "team-daily": { scope: "team", limit: 200, window: { kind: "calendar", unit: "day" }, warnPercent: 80, exceeded: { action: "downgrade", model: "mini" }, span: span(1) } },
    limits: { "per-key": { scope: "key", requests: { count: 600, window: { kind: "calendar", unit: "minute" } }, span: span(1) } },
    guardrails: {},
    caches: {},
    routes,
    index: { byModel, anyModel },
    accepted: Object.keys(byModel),
  };
  return { graph, model: `model-${target}`, tier: bucketSize === 1 ? "none" : `tier-${tierIndex}` };
}

function requests(model: string, tier: string): Facts[] {
  return Array.from({ length: 16 }, (_, i) =>
    makeFacts({
      model,
      headers: { "x-tier": tier, "content-type": "application/json", "x-request-id": `req-${i}` },
      // A flat string, as a key hash read from JSON or a digest is (a concatenation would be a slower rope).
      key: JSON.parse(JSON.stringify(`sha256:${((i + 1) * 2654435761).toString(16).padStart(8, "0").repeat(8)}`)) as string,
      team: i % 2 === 0 ? "search" : "support",
      text: "Summarise the attached meeting notes in three bullet points.",
    }),
  );
}

function state(): StateView {
  let s = 0x9e3779b9;
  return {
    budgetSpent: () => 12.5,
    limitUsed: () => 3,
    draw: () => {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      return (s >>> 0) / 4294967296;
    },
  };
}

interface Row {
  routes: number;
  /** Per CPU-second of this process (one core). */
  decisionsPerSecond: number;
  /** Per wall-clock second (lower when other processes share the core). */
  wallDecisionsPerSecond: number;
  nsPerDecision: number;
  ratioTo10: number;
  matched: string;
}

function measure(n: number, seconds: number): Omit<Row, "ratioTo10"> {
  const { graph: source, model, tier } = benchGraph(n);
  const graph = prepare(source);
  const facts = requests(model, tier);
  const view = state();
  const first = decide(graph, facts[0]!, view);
  if (first.kind !== "route") throw new Error(`bench request did not route (${first.kind})`);
  let sink = 0;
  // Warm up: let the JIT settle on this graph's closures.
  for (let i = 0; i < 300_000; i++) {
    const d = decide(graph, facts[i & 15]!, view);
    if (d.kind === "route") sink += d.plan.targets.length;
  }
  const batch = 100_000;
  let done = 0;
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  let cpuMs = 0;
  while (cpuMs < seconds * 1000) {
    for (let i = 0; i < batch; i++) {
      const d = decide(graph, facts[i & 15]!, view);
      if (d.kind === "route") sink += d.plan.targets.length;
    }
    done += batch;
    const c = process.cpuUsage(cpu0);
    cpuMs = (c.user + c.system) / 1000;
  }
  const wallMs = performance.now() - wall0;
  if (sink === 0) throw new Error("unreachable");
  // CPU time, not wall time: the rate on one core even when the machine is shared.
  const rate = done / (cpuMs / 1000);
  return {
    routes: n,
    decisionsPerSecond: Math.round(rate),
    nsPerDecision: Math.round(1e9 / rate),
    wallDecisionsPerSecond: Math.round(done / (wallMs / 1000)),
    matched: first.route.name,
  };
}

function main(): void {
  const args = process.argv.slice(2);
  const secIdx = args.indexOf("--seconds");
  const seconds = secIdx >= 0 ? Number(args[secIdx + 1]) : 1.5;
  const sizesIdx = args.indexOf("--sizes");
  const sizes = sizesIdx >= 0 ? args[sizesIdx + 1]!.split(",").map(Number) : SIZES;
  const json = args.includes("--json");
  const measured = sizes.map((n) => measure(n, seconds));
  const base = measured[0]!.decisionsPerSecond;
  const rows: Row[] = measured.map((m) => ({ ...m, ratioTo10: Math.round((m.decisionsPerSecond / base) * 100) / 100 }));
  if (json) {
    console.log(JSON.stringify({ node: process.version, rows }, null, 2));
    return;
  }
  console.log(`decide: ${seconds} CPU-s per size, node ${process.version}; rates per CPU-second (wall-clock rate in parentheses)`);
  console.log("routes   decisions/s   ns/decision   vs 10 routes   (wall decisions/s)   matched");
  for (const r of rows) {
    console.log(
      `${String(r.routes).padStart(6)}   ${r.decisionsPerSecond.toLocaleString("en-US").padStart(11)}   ${String(r.nsPerDecision).padStart(11)}   ${r.ratioTo10.toFixed(2).padStart(12)}   ${`(${r.wallDecisionsPerSecond.toLocaleString("en-US")})`.padStart(18)}   ${r.matched}`,
    );
  }
  const at1000 = rows.find((r) => r.routes === 1_000);
  const at10000 = rows.find((r) => r.routes === 10_000);
  if (at1000 && at10000) {
    console.log(
      `targets: 1,000 routes ≥ 1,000,000/s: ${at1000.decisionsPerSecond >= 1_000_000 ? "met" : "MISSED"}; ` +
        `10,000 routes ≥ 0.5 × 10-route rate: ${at10000.ratioTo10 >= 0.5 ? "met" : "MISSED"}`,
    );
  }
}

main();
