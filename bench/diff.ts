/**
 * How long `aigw diff` takes to compare two compiled policies (the pure
 * `diffGraphs`; compiling each side is bench/compile.ts's measure): the
 * production example against itself and against an edited copy, and the
 * mixed-condition generated policy (compile-policy.ts) at each size
 * against a copy with a fallback changed, a route inserted near the top
 * and two routes swapped — the work a typical pull request makes.
 *
 * Run: `npm run build && npm run bench:diff -- [--sizes 1000,5000] [--repeats N]`.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { compileSources } from "../compiler/index.js";
import { diffGraphs } from "../compiler/diff/index.js";
import type { Graph } from "../compiler/graph.js";
import { mixedBenchPolicy } from "./compile-policy.js";

function graphOf(sources: { path: string; text: string }[]): Graph {
  const r = compileSources(sources);
  if (!r.graph) throw new Error(r.diagnostics.filter((d) => d.severity === "error").slice(0, 3).map((d) => d.message).join("; "));
  return r.graph;
}

/** The best of `repeats` runs, in ms, and the number of changes found. */
function time(a: Graph, b: Graph, repeats: number): { ms: number; changes: number } {
  let best = Infinity;
  let changes = 0;
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    changes = diffGraphs(a, b).changes.length;
    best = Math.min(best, performance.now() - t0);
  }
  return { ms: best, changes };
}

/** The generated policy with a typical pull request's edits. */
function edited(text: string, routes: number): string {
  const mid = Math.floor(routes / 2);
  let out = text.replace(new RegExp(`(route r${mid} \\{[^}]*fallback )model-\\d+`), "$1model-0");
  const top = Math.floor(routes / 4);
  out = out.replace(`route r${top} {`, `route long-${top} {\n  when model == "chat-${top % 200}" and input_tokens > 150k\n  to model-1\n}\nroute r${top} {`);
  // Two routes for different models: they share no request, so swapping them changes nothing.
  const swap = (i: number): RegExp => new RegExp(`route r${i} \\{[^}]*\\}\\n`);
  const a = out.match(swap(10))?.[0];
  const b = out.match(swap(11))?.[0];
  if (a && b) out = out.replace(a, "\u0000").replace(b, a).replace("\u0000", b);
  return out;
}

function main(): void {
  const args = process.argv.slice(2);
  const opt = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
  const sizes = (opt("--sizes") ?? "1000,5000").split(",").map(Number);
  const repeats = Number(opt("--repeats") ?? 3);

  const dir = new URL("../../examples/production/", import.meta.url).pathname;
  const files: { path: string; text: string }[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name.endsWith(".route")) files.push({ path: join(d, e.name), text: readFileSync(join(d, e.name), "utf8") });
    }
  };
  walk(dir);
  files.sort((x, y) => Number(!x.path.endsWith("/main.route")) - Number(!y.path.endsWith("/main.route")));
  const prod = graphOf(files);
  const prodEdited = graphOf(files.map((f) => ({ ...f, text: f.text.replace(/fallback (\S+), (\S+) on/, "fallback $2, $1 on") })));
  const rows: { policy: string; routes: number; ms: number; changes: number }[] = [];
  rows.push({ policy: "production, unchanged", routes: prod.routes.length, ...time(prod, prod, repeats) });
  rows.push({ policy: "production, a fallback order swapped", routes: prod.routes.length, ...time(prod, prodEdited, repeats) });
  for (const n of sizes) {
    const text = mixedBenchPolicy(n);
    const a = graphOf([{ path: "bench.route", text }]);
    const b = graphOf([{ path: "bench.route", text: edited(text, n) }]);
    rows.push({ policy: `mixed ${n}, unchanged`, routes: n, ...time(a, a, repeats) });
    rows.push({ policy: `mixed ${n}, edited`, routes: n, ...time(a, b, repeats) });
  }
  console.log(JSON.stringify({ node: process.version, rows }, null, 2));
}

main();
