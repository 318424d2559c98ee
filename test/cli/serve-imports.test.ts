/**
 * `aigw serve` keeps the compiler out of the request process: the policy
 * is compiled on the reload worker, so the modules the dispatcher and the
 * serve command load statically must never reach the parser (chevrotain)
 * or the compiler. Walks the static value imports of the TypeScript
 * sources (type-only imports are erased; `import()` is lazy) and fails
 * with the chain that brings one in.
 */
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** Static value imports and re-exports of a source file: relative paths (as .ts) and package names. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(/^(import|export)\s+(type\s+)?[^;]*?\sfrom\s+"([^"]+)";/gms)) {
    if (m[2] !== undefined) continue; // `import type` / `export type`: erased
    const spec = m[3]!;
    out.push(spec.startsWith(".") ? resolve(dirname(file), spec.replace(/\.js$/, ".ts")) : spec);
  }
  return out;
}

/** Every module reachable from `entry`, each with the chain that reached it. */
function reachable(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>([[entry, [entry]]]);
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.shift()!;
    if (!file.startsWith("/")) continue; // a package
    for (const next of importsOf(file)) {
      if (seen.has(next)) continue;
      seen.set(next, [...seen.get(file)!, next]);
      queue.push(next);
    }
  }
  return seen;
}

const rel = (chain: string[]): string => chain.map((p) => (p.startsWith(ROOT) ? p.slice(ROOT.length + 1) : p)).join(" → ");

describe("the modules `aigw serve` loads", () => {
  it("never statically reach the parser, chevrotain or the compiler", () => {
    const loaded = reachable(join(ROOT, "cli/bin.ts"));
    for (const entry of ["cli/aigw.ts", "cli/commands/serve.ts"]) {
      for (const [module, chain] of reachable(join(ROOT, entry))) loaded.set(module, loaded.get(module) ?? chain);
    }
    expect(loaded.has(join(ROOT, "cli/commands/serve.ts"))).toBe(true);
    expect(loaded.has(join(ROOT, "runtime/server/app.ts"))).toBe(true);
    const forbidden = [...loaded].filter(([m]) => m === "chevrotain" || m === join(ROOT, "lang/parser.ts") || m === join(ROOT, "compiler/index.ts"));
    expect(forbidden.map(([, chain]) => rel(chain))).toEqual([]);
  });

  it("would see the compiler if a command imported it statically", () => {
    // The walk itself works: `aigw check` does load the compiler.
    const check = reachable(join(ROOT, "cli/commands/check.ts"));
    expect(check.has(join(ROOT, "compiler/index.ts"))).toBe(true);
    expect(check.has("chevrotain")).toBe(true);
  });
});
