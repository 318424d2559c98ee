import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { validateGraph } from "../../compiler/validate.js";
import { aigw, policyDir } from "../support/cli.js";

const policy = 'provider p { api mock }\nmodel m = p/"m"\nroute r { when model == "chat" to m }\n';

describe("aigw compile", () => {
  it("writes a schema-valid graph to stdout", async () => {
    const r = await aigw(["compile", policyDir({ "main.route": policy })]);
    expect(r.code).toBe(0);
    const graph = JSON.parse(r.stdout);
    expect(validateGraph(graph).ok).toBe(true);
    expect(graph.routes.map((x: { name: string }) => x.name)).toEqual(["r"]);
    expect(graph.index.byModel).toEqual({ chat: [0] });
  });

  it("writes to a file with -o and says so on stderr", async () => {
    const dir = policyDir({ "main.route": policy });
    const out = join(dir, "graph.json");
    const r = await aigw(["compile", dir, "-o", out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/wrote .*graph\.json \(policy p-[0-9a-f]{12}, 1 route\)/);
    expect(JSON.parse(readFileSync(out, "utf8")).version).toBe(1);
  });

  it("writes no graph and exits 1 when the policy has errors", async () => {
    const r = await aigw(["compile", policyDir({ "main.route": "route r { to nowhere }\n" })]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("error[E101]");
  });
});
