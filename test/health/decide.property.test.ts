/**
 * Properties of health-aware decisions, on generated policies and live
 * states (fast-check):
 * - an ejected target is never tried first while a target of the plan is
 *   not ejected, and no target is dropped (every target is still in the
 *   plan, ejected ones last, so "everything ejected" still tries them all);
 * - `decide` and the reference interpreter agree on the plan (the
 *   differential check `aigw check` runs on every policy test);
 * - a sticky split keeps every key whose arm is healthy where it was, and
 *   moves only the keys of the ejected arm.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileSources } from "../../compiler/index.js";
import { decide, HEALTHY, prepare, type StateView, type TargetHealth } from "../../runtime/engine/index.js";
import { factsFromTestRequest } from "../../runtime/engine/facts.js";
import { crossCheck } from "../../runtime/policy/reference-check.js";
import { referenceSymbols } from "../../runtime/policy/reference.js";

const MODELS = ["m0", "m1", "m2", "m3", "m4"];
const EJECTED: TargetHealth = { status: "ejected", agoMs: 1000, forMs: 29_000, cause: { kind: "consecutive", count: 5, last: "503" }, probing: false };

const arbRoute = fc.record({
  arms: fc.uniqueArray(fc.record({ model: fc.constantFrom(...MODELS), weight: fc.integer({ min: 0, max: 100 }) }), { minLength: 1, maxLength: 4, selector: (a) => a.model }),
  fallback: fc.uniqueArray(fc.constantFrom(...MODELS), { maxLength: 3 }),
  mode: fc.constantFrom("draw", "keyed", "fastest"),
  ejected: fc.subarray(MODELS),
  latency: fc.dictionary(fc.constantFrom(...MODELS), fc.integer({ min: 1, max: 2000 })),
  user: fc.string({ minLength: 1, maxLength: 8 }),
  draw: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
});

/** Weights that add up to 100% (the compiler insists), cut at the generated weights' running positions. */
function policy(r: { arms: { model: string; weight: number }[]; fallback: string[]; mode: string }): string {
  const cuts = r.arms.slice(1).map((a) => a.weight).sort((a, b) => a - b);
  const bounds = [0, ...cuts, 100];
  const arms = r.arms.map((a, i) => `${bounds[i + 1]! - bounds[i]!}% ${a.model}`).join("  ");
  // A fallback that repeats an arm is a lint error of its own (E302); the plan dedupes it anyway.
  const fallback = r.fallback.filter((m) => !r.arms.some((a) => a.model === m));
  return `
gateway { auth none }
provider p { api mock }
${MODELS.map((m) => `model ${m} = p/"${m}"`).join("\n")}
health h { consecutive 5 }
route chat {
  when model == "chat"
  split ${r.mode === "keyed" ? "by user " : r.mode === "fastest" ? "fastest " : ""}{ ${arms} }
  ${fallback.length > 0 ? `fallback ${fallback.join(", ")}` : ""}
  health h
}
`;
}

function stateOf(ejected: readonly string[], draw: number, latency: Readonly<Record<string, number>> = {}): StateView {
  return { budgetSpent: () => 0, limitUsed: () => 0, draw: () => draw, health: (_h, m) => (ejected.includes(m) ? EJECTED : HEALTHY), latency: (m) => latency[m] };
}

describe("health-aware decisions", () => {
  it("never try an ejected target first while a planned target is not ejected, drop none, and agree with the reference", () => {
    fc.assert(
      fc.property(arbRoute, (r) => {
        const text = policy(r);
        const compiled = compileSources([{ path: "gen.route", text }]);
        expect(compiled.diagnostics.filter((d) => d.severity === "error"), text).toEqual([]);
        const graph = compiled.graph!;
        const p = prepare(graph);
        const facts = factsFromTestRequest({ model: "chat", headers: {}, metadata: {}, user: r.user }, graph);
        const healthy = decide(p, facts, stateOf([], r.draw, r.latency));
        const d = decide(p, facts, stateOf(r.ejected, r.draw, r.latency));
        if (d.kind !== "route" || healthy.kind !== "route") throw new Error("expected a routed decision");
        const planned = d.plan.targets.map((t) => t.model);
        const open = planned.filter((m) => !r.ejected.includes(m));
        if (open.length > 0) expect(r.ejected).not.toContain(planned[0]);
        // Ejected targets come after every open one, in their original order.
        expect(planned).toEqual([...open, ...planned.filter((m) => r.ejected.includes(m))]);
        // Nothing the healthy plan would try is dropped: an arm the split moved off is tried last.
        for (const m of healthy.plan.targets.map((t) => t.model)) expect(planned).toContain(m);
        expect(d.plan.maxAttempts).toBe(planned.length);
        expect(d.skipped === undefined).toBe(open.length === planned.length || open.length === 0);
        const files = compiled.files;
        expect(crossCheck(p, referenceSymbols(files), facts, () => stateOf(r.ejected, r.draw, r.latency)), text).toBeUndefined();
        // `split fastest` never takes the slower of the two arms it drew (unmeasured counts as 0).
        const f = d.split?.fastest;
        if (f !== undefined && f.drawn.length === 2 && d.split!.instead === undefined) {
          const [a, b] = f.estimates.map((x) => x ?? 0);
          expect(d.split!.model).toBe(b! < a! ? f.drawn[1] : f.drawn[0]);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("move only the sticky keys of an ejected arm", () => {
    const text = policy({ arms: [{ model: "m0", weight: 40 }, { model: "m1", weight: 30 }, { model: "m2", weight: 30 }], fallback: [], mode: "keyed" });
    const graph = compileSources([{ path: "s.route", text }]).graph!;
    const p = prepare(graph);
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 12 }), (user) => {
        const facts = factsFromTestRequest({ model: "chat", headers: {}, metadata: {}, user }, graph);
        const before = decide(p, facts, stateOf([], 0));
        const after = decide(p, facts, stateOf(["m1"], 0));
        if (before.kind !== "route" || after.kind !== "route") throw new Error("expected routed decisions");
        if (before.split!.model !== "m1") expect(after.split!.model).toBe(before.split!.model);
        else expect(["m0", "m2"]).toContain(after.split!.model);
      }),
      { numRuns: 500 },
    );
  });
});
