/**
 * What users copy is laid out as `aigw fmt` writes it: every example policy
 * directory, and every `route` code block of README.md, lang/SPEC.md and
 * docs/DESIGN.md, passes `aigw fmt --check` (exit 0, no file named). A
 * block is checked as a file of its own, the way a user would paste it.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { aigw, policyDir } from "../support/cli.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const EXAMPLES = join(ROOT, "examples");

function hasRouteFiles(dir: string): boolean {
  return readdirSync(dir, { withFileTypes: true }).some((e) => (e.isDirectory() ? hasRouteFiles(join(dir, e.name)) : e.name.endsWith(".route")));
}

const exampleDirs = readdirSync(EXAMPLES)
  .filter((name) => statSync(join(EXAMPLES, name)).isDirectory() && hasRouteFiles(join(EXAMPLES, name)))
  .sort();

/** The `route` code blocks of a Markdown file, with the line each starts on. */
function routeBlocks(doc: string): { line: number; text: string }[] {
  const text = readFileSync(join(ROOT, doc), "utf8");
  return [...text.matchAll(/```route\n([\s\S]*?)```/g)].map((m) => ({ line: text.slice(0, m.index).split("\n").length + 1, text: m[1]! }));
}

describe("aigw fmt --check passes on", () => {
  it("every example directory there is", () => {
    expect(exampleDirs).toEqual(expect.arrayContaining(["design", "production", "quickstart"]));
  });

  it.each(exampleDirs)("examples/%s", async (name) => {
    const r = await aigw(["fmt", "--check", join(EXAMPLES, name)]);
    expect(r.stdout + r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  for (const doc of ["README.md", "lang/SPEC.md", "docs/DESIGN.md"]) {
    const blocks = routeBlocks(doc);
    it(`${doc} has route blocks`, () => expect(blocks.length).toBeGreaterThan(0));
    for (const b of blocks) {
      it(`the route block at ${doc}:${b.line}`, async () => {
        const dir = policyDir({ "block.route": b.text });
        const r = await aigw(["fmt", "--check", dir]);
        expect(r.stdout + r.stderr).toBe("");
        expect(r.code).toBe(0);
      });
    }
  }
});
