/**
 * The runtime's folders form layers, not a web: no folder of runtime/
 * imports, directly or through others, a folder that imports it back
 * (every `import` and `export … from` counts, type-only ones included: a
 * type import is a dependency of the design), and no module the server
 * loads statically reaches runtime/policy/ (tooling: tests, the reference
 * interpreter, `explainRequest`), which only the reload verifier's worker
 * and the CLI load. Only the pipeline's decide and admit steps call
 * `decide` on the request path. A cycle is reported with the imports that
 * make it.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const RUNTIME = join(ROOT, "runtime");

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith(".ts") ? [p] : [];
  });
}

/** Relative imports of a file, resolved to .ts paths; `values` leaves out `import type` / `export type`. */
function importsOf(file: string, values: boolean): string[] {
  const out: string[] = [];
  for (const m of readFileSync(file, "utf8").matchAll(/^(?:import|export)\s+(type\s+)?[^;]*?\sfrom\s+"(\.[^"]+)";/gms)) {
    if (values && m[1] !== undefined) continue;
    out.push(resolve(dirname(file), m[2]!.replace(/\.js$/, ".ts")));
  }
  return out;
}

/** `engine` for runtime/engine/x.ts; a file directly in runtime/ is its own unit. */
function folderOf(file: string): string {
  const parts = relative(RUNTIME, file).split("/");
  return parts[0]!;
}

/** Folder → folder → one import that makes the edge. */
function folderGraph(): Map<string, Map<string, string>> {
  const edges = new Map<string, Map<string, string>>();
  for (const file of sources(RUNTIME)) {
    const from = folderOf(file);
    for (const target of importsOf(file, false)) {
      if (!target.startsWith(RUNTIME + "/")) continue;
      const to = folderOf(target);
      if (to === from) continue;
      if (!edges.has(from)) edges.set(from, new Map());
      edges.get(from)!.set(to, `${relative(ROOT, file)} → ${relative(ROOT, target)}`);
    }
  }
  return edges;
}

/** The strongly connected components with more than one folder (Tarjan). */
function cycles(edges: Map<string, Map<string, string>>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of edges.get(v)?.keys() ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of edges.keys()) if (!idx.has(v)) visit(v);
  return out;
}

describe("runtime/ layering", () => {
  it("has no import cycle between its folders", () => {
    const edges = folderGraph();
    const found = cycles(edges).map((scc) => {
      const why: string[] = [];
      for (const a of scc) for (const b of scc) { const e = edges.get(a)?.get(b); if (e !== undefined) why.push(e); }
      return `${scc.join(" ⇄ ")}: ${why.join("; ")}`;
    });
    expect(found).toEqual([]);
  });

  it("finds a cycle when there is one (the check itself works)", () => {
    const edges = new Map([
      ["a", new Map([["b", "a.ts → b.ts"]])],
      ["b", new Map([["c", "b.ts → c.ts"]])],
      ["c", new Map([["a", "c.ts → a.ts"]])],
    ]);
    expect(cycles(edges)).toEqual([["a", "b", "c"]]);
  });

  it("lets only the pipeline's decide and admit steps (and the engine and tooling) call `decide`", () => {
    const allowed = ["runtime/engine/", "runtime/policy/", "runtime/pipeline/steps/decide.ts", "runtime/pipeline/steps/admit.ts"];
    const callers = sources(RUNTIME)
      .map((f) => relative(ROOT, f))
      .filter((f) => !allowed.some((a) => f.startsWith(a)))
      .filter((f) => /import\s*\{[^}]*\bdecide\b[^}]*\}\s*from\s*"[^"]*engine\/(index|decide)\.js"/s.test(readFileSync(join(ROOT, f), "utf8")));
    expect(callers).toEqual([]);
  });

  it("keeps policy tooling out of the modules the server loads", () => {
    const seen = new Map<string, string[]>();
    const queue = [join(RUNTIME, "server/index.ts")];
    seen.set(queue[0]!, [queue[0]!]);
    while (queue.length > 0) {
      const file = queue.shift()!;
      for (const next of importsOf(file, true)) {
        if (seen.has(next) || !next.startsWith(ROOT)) continue;
        seen.set(next, [...seen.get(file)!, next]);
        queue.push(next);
      }
    }
    const reached = [...seen.entries()].filter(([f]) => f.startsWith(join(RUNTIME, "policy") + "/")).map(([, chain]) => chain.map((p) => relative(ROOT, p)).join(" → "));
    expect(reached).toEqual([]);
  });
});
