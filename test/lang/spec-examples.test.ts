/**
 * Every `route` example in lang/SPEC.md compiles as the spec says: an example
 * marks each error it shows with `// error: CODE` on that line (or alone on
 * the line above, where `aigw fmt` leaves no room after the code), and any
 * other example has no errors and its tests pass. Examples use the models of
 * the spec's `// common declarations` block; consecutive blocks headed
 * `// name.route` form one multi-file policy.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { aigw, policyDir } from "../support/cli.js";

const spec = readFileSync(new URL("../../lang/SPEC.md", import.meta.url), "utf8");
const blocks = [...spec.matchAll(/```route\n([\s\S]*?)```/g)].map((m) => ({ line: spec.slice(0, m.index).split("\n").length + 1, text: m[1]! }));
const prelude = blocks.find((b) => b.text.startsWith("// common declarations"))!.text;
const env = { OPENAI_API_KEY: "x", ANTHROPIC_API_KEY: "x", AIGW_ADMIN_TOKEN: "x", OPENAI_EU_KEY: "x" };
const FILE_HEADER = /^\/\/ ([\w/.-]+\.route)\n/;

interface Example {
  line: number;
  files: Record<string, string>;
  /** `line:CODE` of every error the example marks (single-file examples only). */
  expected: string[];
}

function examples(): Example[] {
  const out: Example[] = [];
  for (let i = 0; i < blocks.length; ) {
    const b = blocks[i]!;
    if (FILE_HEADER.test(b.text)) {
      const files: Record<string, string> = {};
      for (; i < blocks.length && FILE_HEADER.test(blocks[i]!.text); i++) files[FILE_HEADER.exec(blocks[i]!.text)![1]!] = blocks[i]!.text;
      files["models.route"] ??= prelude;
      out.push({ line: b.line, files, expected: [] });
      continue;
    }
    // A marker after code marks its own line; a marker alone on a line marks the line below it.
    const expected = b.text.split("\n").flatMap((l, n) => {
      const at = l.trimStart().startsWith("//") ? n + 2 : n + 1;
      return [...l.matchAll(/\/\/ error: ([A-Z]\d{3})/g)].map((m) => `${at}:${m[1]}`);
    });
    const text = b.text.startsWith("// common declarations") ? b.text : `${b.text}\n${prelude}`;
    out.push({ line: b.line, files: { "main.route": text }, expected });
    i++;
  }
  return out;
}

describe("lang/SPEC.md examples", () => {
  it("has examples to check", () => {
    expect(blocks.length).toBeGreaterThan(10);
  });

  for (const ex of examples()) {
    it(`SPEC.md:${ex.line}`, async () => {
      const dir = policyDir(ex.files);
      const r = await aigw(["check", dir, "--format", "json"], env);
      const doc = JSON.parse(r.stdout) as { diagnostics: { severity: string; line: number; code: string }[]; tests: { passed: boolean; name: string }[] };
      const errors = doc.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.line}:${d.code}`);
      expect(errors.sort()).toEqual([...ex.expected].sort());
      expect(doc.tests.filter((t) => !t.passed).map((t) => t.name)).toEqual([]);
    });
  }
});
