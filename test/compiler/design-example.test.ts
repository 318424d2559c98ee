import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compileSources, validateGraph } from "../../compiler/index.js";

const text = readFileSync(new URL("../../examples/design/policy.route", import.meta.url), "utf8");
const design = readFileSync(new URL("../../docs/DESIGN.md", import.meta.url), "utf8");

describe("the DESIGN.md example policy", () => {
  it("is a verbatim copy of the example in DESIGN.md", () => {
    const start = design.indexOf("```route\n") + "```route\n".length;
    expect(text).toBe(design.slice(start, design.indexOf("```\n", start)));
  });

  it("compiles with no errors to a schema-valid graph", () => {
    const r = compileSources([{ path: "examples/design/policy.route", text }]);
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(r.graph).toBeDefined();
    expect(validateGraph(JSON.parse(JSON.stringify(r.graph))).ok).toBe(true);
    expect(r.graph!.routes.map((x) => x.name)).toEqual(["premium-chat", "chat"]);
    expect(r.graph!.index).toEqual({ byModel: { chat: [0, 1] }, anyModel: [] });
    expect(r.graph!.accepted).toEqual(["chat"]);
    expect(r.tests.map((t) => t.name)).toEqual([
      "premium traffic splits between gpt-4o and sonnet",
      "a 429 from gpt-4o falls back to sonnet",
      "the support team is over budget and is downgraded",
    ]);
  });
});
