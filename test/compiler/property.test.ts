import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileSources, validateGraph } from "../../compiler/index.js";
import { arbPolicy, arbPolicySpec, renderPolicy } from "../support/policy-gen.js";

describe("generated valid policies", () => {
  it("compile with no errors to a schema-valid graph that keeps route order and indexes every route", () => {
    fc.assert(
      fc.property(arbPolicySpec(), (spec) => {
        const text = renderPolicy(spec);
        const r = compileSources([{ path: "gen.route", text }]);
        const errors = r.diagnostics.filter((d) => d.severity === "error");
        expect(errors, text).toEqual([]);
        expect(validateGraph(JSON.parse(JSON.stringify(r.graph))).ok).toBe(true);
        const g = r.graph!;
        expect(g.routes.map((x) => x.name)).toEqual(spec.routes.map((x) => x.name));
        spec.routes.forEach((route, i) => {
          if (route.requested === undefined) expect(g.index.anyModel).toContain(i);
          else expect(g.index.byModel[route.requested]).toEqual([i]);
        });
        expect(r.tests).toHaveLength(spec.routes.length);
      }),
      { numRuns: 60 },
    );
  });
});

describe("damaged policies", () => {
  it("never make the compiler throw, and give a graph only without errors", () => {
    const damage = fc.array(fc.record({ at: fc.nat(), cut: fc.nat({ max: 12 }), insert: fc.constantFrom("", "}", "{", "\"", "5$", "when", "(", "model ==", "to", ",") }), {
      minLength: 1,
      maxLength: 4,
    });
    fc.assert(
      fc.property(arbPolicy({ maxRoutes: 3 }), damage, (text, edits) => {
        let broken = text;
        for (const e of edits) {
          const at = e.at % (broken.length + 1);
          broken = broken.slice(0, at) + e.insert + broken.slice(at + e.cut);
        }
        const r = compileSources([{ path: "broken.route", text: broken }]);
        const errors = r.diagnostics.some((d) => d.severity === "error");
        expect(r.graph === undefined).toBe(errors);
        if (r.graph) expect(validateGraph(r.graph).ok).toBe(true);
      }),
      { numRuns: 150 },
    );
  });
});
