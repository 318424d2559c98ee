import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileSources, validateGraph } from "../../compiler/index.js";
import { arbPolicySpec, renderPolicy } from "../support/policy-gen.js";

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
