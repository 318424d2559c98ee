import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { aigw, policyDir } from "../support/cli.js";

const messy = 'provider   p {api mock}\n\n\n// the only route\nroute r {when model=="chat"   to m}\nmodel m = p/"m"\n';

describe("aigw fmt", () => {
  it("--check names the files that would change, writes nothing and exits 1", async () => {
    const dir = policyDir({ "main.route": messy, "clean.route": 'provider p { api mock }\n' });
    const r = await aigw(["fmt", "--check", dir]);
    expect(r.code).toBe(1);
    expect(r.stdout.trim().split("\n")).toEqual([join(dir, "main.route")]);
    expect(readFileSync(join(dir, "main.route"), "utf8")).toBe(messy);
  });

  it("rewrites files in the canonical layout, keeping comments, and is idempotent", async () => {
    const dir = policyDir({ "main.route": messy });
    expect((await aigw(["fmt", dir])).code).toBe(0);
    const once = readFileSync(join(dir, "main.route"), "utf8");
    expect(once).toContain("// the only route");
    expect(once).toContain('route r {\n  when model == "chat"\n  to m\n}');
    const again = await aigw(["fmt", "--check", dir]);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe("");
  });

  it("refuses to rewrite a file with syntax errors and reports them", async () => {
    const broken = "route r { timeout }\n";
    const dir = policyDir({ "main.route": broken });
    const r = await aigw(["fmt", dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("error[P002]");
    expect(readFileSync(join(dir, "main.route"), "utf8")).toBe(broken);
  });

  it("exits 2 for a missing path or an unknown flag", async () => {
    expect((await aigw(["fmt", "/no/such/dir"])).code).toBe(2);
    expect((await aigw(["fmt", "--write"])).code).toBe(2);
  });
});
