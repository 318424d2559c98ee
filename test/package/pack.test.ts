/**
 * What `npm pack` publishes: what users run (the built cli, lang, compiler
 * and runtime, the spec, editor grammar, graph schema and examples), not
 * the built tests or benchmarks, and no source maps (their sources are not
 * shipped). Every relative import of a packed module resolves to a packed
 * file. Runs `npm pack --dry-run` with scripts off, so the build in dist/
 * other tests use is left alone.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join, normalize, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

interface PackEntry {
  files: { path: string }[];
}

const packed: string[] = (JSON.parse(execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: ROOT, encoding: "utf8" })) as PackEntry[])[0]!.files.map((f) => f.path);

const ALLOWED = [/^dist\/(cli|lang|compiler|runtime|lsp)\/.+\.(js|json)$/, /^lang\/SPEC\.md$/, /^editors\/vscode\/(syntaxes\/route\.tmLanguage|language-configuration)\.json$/, /^compiler\/graph\.schema\.json$/, /^ui\/(index\.html|app\.js|style\.css)$/, /^examples\//, /^(package\.json|README\.md|LICENSE|CHANGELOG\.md|SECURITY\.md)$/];

describe("npm pack", () => {
  it("ships only what users run", () => {
    expect(packed.filter((p) => !ALLOWED.some((re) => re.test(p)))).toEqual([]);
    expect(packed.filter((p) => p.endsWith(".map") || p.startsWith("dist/test/") || p.startsWith("dist/bench/"))).toEqual([]);
  });

  it("ships the executable and what its commands load", () => {
    for (const file of ["dist/cli/bin.js", "dist/cli/commands/check.js", "dist/cli/commands/serve.js", "dist/cli/commands/lsp.js", "dist/lsp/server.js", "editors/vscode/syntaxes/route.tmLanguage.json", "dist/runtime/server/uws-load.js", "dist/compiler/graph.schema.json", "lang/SPEC.md", "examples/quickstart/main.route", "ui/index.html", "ui/app.js", "ui/style.css"]) {
      expect(packed).toContain(file);
    }
  });

  it("ships modules whose relative imports all resolve inside the package, with no source-map comments", () => {
    const set = new Set(packed);
    const missing: string[] = [];
    for (const file of packed.filter((p) => p.endsWith(".js"))) {
      const text = readFileSync(join(ROOT, file), "utf8");
      expect(text, file).not.toContain("sourceMappingURL");
      for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*)"(\.{1,2}\/[^"]+)"/g)) {
        const target = normalize(join(dirname(file), m[1]!));
        if (!set.has(target)) missing.push(`${file} → ${m[1]}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
