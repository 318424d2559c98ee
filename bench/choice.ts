/**
 * bench/choice: what capability constraints and `split cheapest` cost per
 * decision, in CPU time, measured as paired alternating batches in one
 * process so a busy machine slows every variant alike. Four policies, one
 * route each (`when model == "chat"`, a 3-arm split, two fallbacks, a
 * health policy), decided on the same 16 requests (a quarter with an
 * image, a quarter with tools, some with `max_tokens`):
 *
 * - `plain`: no model declares capabilities (nothing is checked: the baseline);
 * - `capable`: every model declares `supports`, `context` and `max_output`
 *   (each target judged once per decision, a split drawn among the able);
 * - `cheapest`: `capable` with `split cheapest` (each able arm priced);
 * - `fastest`: `capable` with `split fastest`, for comparison.
 *
 * Reports ns per decision per variant (median over batch pairs) and each
 * variant's median paired ratio to `plain`.
 *
 * Run: `npm run build && node dist/bench/choice.js [--seconds S] [--json]`.
 */
import { compileSources } from "../compiler/index.js";
import { decide, HEALTHY, makeFacts, prepare, type Facts, type PreparedGraph, type StateView } from "../runtime/engine/index.js";

const VARIANTS = ["plain", "capable", "cheapest", "fastest"] as const;
type Variant = (typeof VARIANTS)[number];

function policy(v: Variant): string {
  const caps = v === "plain" ? ["", "", "", ""] : ["supports [tools, images, json_schema, stream]  context 128k  max_output 16k", "supports [tools, stream]  context 128k  max_output 16k", "supports [tools, images, stream]  context 200k  max_output 64k", "supports [tools, images, json_schema, stream]  context 1M  max_output 32k"];
  const split = v === "cheapest" ? "split cheapest" : v === "fastest" ? "split fastest" : "split";
  return `
gateway { auth none }
provider p { api mock }
model big = p/"big" { input $2.50/Mtok  output $10/Mtok  ${caps[0]} }
model mini = p/"mini" { input $0.15/Mtok  output $0.60/Mtok  ${caps[1]} }
model haiku = p/"haiku" { input $1/Mtok  output $5/Mtok  ${caps[2]} }
model wide = p/"wide" { input $2/Mtok  output $8/Mtok  ${caps[3]} }
health h { consecutive 5 }
route chat {
  when model == "chat"
  ${split} { 40% big  30% mini  30% haiku }
  fallback wide, big
  health h
}
`;
}

function requests(): Facts[] {
  return Array.from({ length: 16 }, (_, i) =>
    makeFacts({
      model: "chat",
      text: "Summarise the attached meeting notes in three bullet points.",
      images: i % 4 === 1,
      tools: i % 4 === 2,
      stream: i % 2 === 0,
      ...(i % 3 === 0 ? { maxTokens: 1000 } : {}),
    }),
  );
}

function state(): StateView {
  let s = 0x9e3779b9;
  return {
    budgetSpent: () => 0,
    limitUsed: () => 0,
    draw: () => {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      return (s >>> 0) / 4294967296;
    },
    health: () => HEALTHY,
    latency: (m) => (m === "mini" ? 120 : 300),
  };
}

/** CPU nanoseconds per decision for one batch. */
function batch(graph: PreparedGraph, facts: readonly Facts[], view: StateView, n: number): { ns: number; sink: number } {
  let sink = 0;
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const d = decide(graph, facts[i & 15]!, view);
    if (d.kind === "route") sink += d.plan.targets.length;
  }
  const c = process.cpuUsage(c0);
  return { ns: ((c.user + c.system) * 1000) / n, sink };
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

function main(): void {
  const args = process.argv.slice(2);
  const i = args.indexOf("--seconds");
  const seconds = i >= 0 ? Number(args[i + 1]) : 4;
  const graphs = new Map<Variant, PreparedGraph>();
  for (const v of VARIANTS) {
    const c = compileSources([{ path: `${v}.route`, text: policy(v) }]);
    if (c.graph === undefined) throw new Error(`${v}: ${c.diagnostics.map((d) => d.message).join("; ")}`);
    graphs.set(v, prepare(c.graph));
  }
  const facts = requests();
  const view = state();
  const size = 50_000;
  let sink = 0;
  for (const v of VARIANTS) for (let k = 0; k < 6; k++) sink += batch(graphs.get(v)!, facts, view, size).sink; // warm up the JIT on each
  const ns = new Map<Variant, number[]>(VARIANTS.map((v) => [v, []]));
  const ratios = new Map<Variant, number[]>(VARIANTS.map((v) => [v, []]));
  const start = process.cpuUsage();
  let round = 0;
  while ((process.cpuUsage(start).user + process.cpuUsage(start).system) / 1e6 < seconds) {
    // Alternate the order each round so no variant always runs right after another.
    const order = round++ % 2 === 0 ? VARIANTS : [...VARIANTS].reverse();
    const got = new Map<Variant, number>();
    for (const v of order) {
      const r = batch(graphs.get(v)!, facts, view, size);
      sink += r.sink;
      got.set(v, r.ns);
      ns.get(v)!.push(r.ns);
    }
    for (const v of VARIANTS) ratios.get(v)!.push(got.get(v)! / got.get("plain")!);
  }
  if (sink === 0) throw new Error("unreachable");
  const rows = VARIANTS.map((v) => ({ variant: v, nsPerDecision: Math.round(median(ns.get(v)!)), ratioToPlain: Math.round(median(ratios.get(v)!) * 100) / 100 }));
  if (args.includes("--json")) {
    console.log(JSON.stringify({ node: process.version, rounds: round, rows }, null, 2));
    return;
  }
  console.log(`choice: ${round} paired rounds of ${size} decisions per variant, node ${process.version} (CPU time)`);
  console.log("variant    ns/decision   × plain (median of pairs)");
  for (const r of rows) console.log(`${r.variant.padEnd(10)} ${String(r.nsPerDecision).padStart(11)}   ${r.ratioToPlain.toFixed(2)}`);
}

main();
