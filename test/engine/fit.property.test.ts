/**
 * Properties of capability constraints (lang/SPEC.md §7.8), on generated
 * policies (models with random `supports`, `context` and `max_output`),
 * generated requests and generated health:
 * - a target that cannot take the request is never planned, so never
 *   attempted — whatever the split, the fallbacks, a downgrade or health;
 * - no target that can take it is lost: every capable fallback is planned,
 *   and an empty plan (the 400) means no target of the route could take it;
 * - a sticky split keeps every key whose arm can take the request where it
 *   was without constraints;
 * - `split cheapest` never picks a dearer arm than another that can take the
 *   request and is not ejected (an unpriced arm only when none is priced);
 * - `decide` and the reference interpreter agree on the plan.
 * The capability judgement here is written out from the generated data,
 * independently of engine/fit.ts.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileSources } from "../../compiler/index.js";
import { decide, HEALTHY, prepare, type StateView, type TargetHealth } from "../../runtime/engine/index.js";
import { factsFromTestRequest } from "../../runtime/engine/facts.js";
import { crossCheck } from "../../runtime/policy/reference-check.js";
import { referenceSymbols } from "../../runtime/policy/reference.js";

const MODELS = ["m0", "m1", "m2", "m3", "m4"];
/** Every declared model: the route's candidates, and `d`, the budget's downgrade (E303 forbids one the route uses). */
const ALL = [...MODELS, "d"];
const CAPS = ["tools", "images", "json_schema", "stream"] as const;
const EJECTED: TargetHealth = { status: "ejected", agoMs: 1000, forMs: 29_000, cause: { kind: "consecutive", count: 5, last: "503" }, probing: false };

const arbModel = fc.record({
  price: fc.option(fc.record({ input: fc.integer({ min: 0, max: 20 }), output: fc.integer({ min: 0, max: 60 }) }), { nil: undefined, freq: 6 }),
  supports: fc.option(fc.subarray([...CAPS]), { nil: undefined }),
  context: fc.option(fc.integer({ min: 1000, max: 20_000 }), { nil: undefined }),
  maxOutput: fc.option(fc.integer({ min: 100, max: 5000 }), { nil: undefined }),
});

const arbCase = fc.record({
  models: fc.array(arbModel, { minLength: ALL.length, maxLength: ALL.length }),
  split: fc.boolean(),
  arms: fc.uniqueArray(fc.record({ model: fc.constantFrom(...MODELS), weight: fc.integer({ min: 0, max: 100 }) }), { minLength: 1, maxLength: 4, selector: (a) => a.model }),
  fallback: fc.uniqueArray(fc.constantFrom(...MODELS), { maxLength: 3 }),
  mode: fc.constantFrom("draw", "keyed", "fastest", "cheapest"),
  ejected: fc.subarray(MODELS),
  health: fc.boolean(),
  downgraded: fc.boolean(),
  need: fc.record({
    tools: fc.boolean(),
    images: fc.boolean(),
    jsonSchema: fc.boolean(),
    stream: fc.boolean(),
    inputTokens: fc.integer({ min: 0, max: 25_000 }),
    maxTokens: fc.option(fc.integer({ min: 1, max: 6000 }), { nil: undefined }),
  }),
  user: fc.string({ minLength: 1, maxLength: 8 }),
  draw: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
});
type Case = typeof arbCase extends fc.Arbitrary<infer T> ? T : never;

function policy(c: Case): string {
  const models = c.models.map((m, i) => {
    const parts = [
      m.supports === undefined ? "" : `supports [${m.supports.join(", ")}]`,
      m.context === undefined ? "" : `context ${m.context}`,
      m.maxOutput === undefined ? "" : `max_output ${m.maxOutput}`,
    ].filter((p) => p !== "");
    // Budgets need prices (E307), so an unpriced model is only generated where no budget pays.
    const price = m.price ?? (c.downgraded || ALL[i] === "d" ? { input: 1, output: 2 } : undefined);
    return `model ${ALL[i]} = p/"${ALL[i]}" { ${price === undefined ? "" : `input $${price.input}/Mtok  output $${price.output}/Mtok`}  ${parts.join("  ")} }`;
  });
  const cuts = c.arms.slice(1).map((a) => a.weight).sort((a, b) => a - b);
  const bounds = [0, ...cuts, 100];
  const arms = c.arms.map((a, i) => `${bounds[i + 1]! - bounds[i]!}% ${a.model}`).join("  ");
  const first = c.split ? c.arms[0]!.model : undefined;
  const fallback = c.fallback.filter((m) => (c.split ? !c.arms.some((a) => a.model === m) : m !== first && m !== c.arms[0]!.model));
  const target = c.split ? `split ${c.mode === "keyed" ? "by user " : c.mode === "draw" ? "" : `${c.mode} `}{ ${arms} }` : `to ${c.arms[0]!.model}`;
  return `
gateway { auth none }
provider p { api mock }
${models.join("\n")}
health h { consecutive 5 }
budget cap { limit $1 per day  exceeded downgrade d }
route chat {
  when model == "chat"
  ${target}
  ${fallback.length > 0 ? `fallback ${fallback.join(", ")}` : ""}
  ${c.downgraded ? "budget cap" : ""}
  ${c.health ? "health h" : ""}
}
`;
}

/** Whether model i can take the request, straight from the generated declaration. */
function able(c: Case, model: string): boolean {
  const m = c.models[ALL.indexOf(model)]!;
  const n = c.need;
  const needs = [n.tools && "tools", n.images && "images", n.jsonSchema && "json_schema", n.stream && "stream"].filter((x): x is string => typeof x === "string");
  if (m.supports !== undefined && needs.some((x) => !(m.supports as string[]).includes(x))) return false;
  const asked = n.maxTokens ?? 0;
  if (m.context !== undefined && n.inputTokens + asked > m.context) return false;
  if (m.maxOutput !== undefined && asked > m.maxOutput) return false;
  return true;
}

/** The request's worst case on `model` in dollars, from the generated declaration; undefined when unpriced. */
function costOf(c: Case, model: string): number | undefined {
  const m = c.models[ALL.indexOf(model)]!;
  if (m.price === undefined) return undefined;
  const input = m.context === undefined ? c.need.inputTokens : Math.min(c.need.inputTokens, m.context);
  const output = c.need.maxTokens ?? m.maxOutput ?? m.context ?? 10_000_000;
  return (input * m.price.input + output * m.price.output) / 1e6;
}

function stateOf(c: Case, ejected: readonly string[], spent: number): StateView {
  return {
    budgetSpent: () => spent,
    limitUsed: () => 0,
    draw: () => c.draw,
    health: (_h, m) => (ejected.includes(m) ? EJECTED : HEALTHY),
    latency: (m) => 100 + MODELS.indexOf(m),
  };
}

describe("capability constraints", () => {
  it("never plan a target that cannot take the request, lose none that can, and agree with the reference", () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const text = policy(c);
        const compiled = compileSources([{ path: "gen.route", text }]);
        expect(compiled.diagnostics.filter((d) => d.severity === "error"), text).toEqual([]);
        const graph = compiled.graph!;
        const p = prepare(graph);
        const facts = factsFromTestRequest({ model: "chat", headers: {}, metadata: {}, user: c.user, ...c.need }, graph);
        const state = (): StateView => stateOf(c, c.ejected, c.downgraded ? 1 : 0);
        const d = decide(p, facts, state());
        if (d.kind !== "route") throw new Error("expected a routed decision");
        const planned = d.plan.targets.map((t) => t.model);
        for (const m of planned) expect(able(c, m), `${m} planned in\n${text}`).toBe(true);
        expect(d.plan.maxAttempts).toBe(planned.length);
        // Every left-out target is in the record, with a reason.
        for (const u of d.unfit ?? []) expect(able(c, u.model)).toBe(false);
        const route = graph.routes[0]!;
        if (c.downgraded) {
          expect(planned).toEqual(able(c, "d") ? ["d"] : []);
        } else {
          for (const m of route.fallback) if (able(c, m)) expect(planned).toContain(m);
          const firsts = route.target.kind === "to" ? [route.target.model] : route.target.kind === "reject" ? [] : route.target.arms.filter((a) => a.weight > 0).map((a) => a.model);
          if (planned.length === 0) for (const m of [...firsts, ...route.fallback]) expect(able(c, m)).toBe(false);
          else if (firsts.some((m) => able(c, m))) expect(firsts).toContain(d.split?.model ?? (route.target.kind === "to" ? route.target.model : undefined));
        }
        expect(crossCheck(p, referenceSymbols(compiled.files), facts, state), text).toBeUndefined();
        // `split cheapest`: nothing dearer than an open, capable arm (unpriced counts as dearest).
        if (c.split && c.mode === "cheapest" && !c.downgraded && d.split !== undefined && d.split.cheapest !== undefined) {
          const open = (m: string): boolean => able(c, m) && !(c.health && c.ejected.includes(m));
          const rivals = c.arms.map((a) => a.model).filter((m) => open(m) && route.target.kind === "split" && route.target.arms.some((a) => a.model === m && a.weight > 0));
          if (open(d.split.model)) {
            const mine = costOf(c, d.split.model);
            for (const m of rivals) {
              const theirs = costOf(c, m);
              if (theirs !== undefined) expect(mine, `${d.split.model} over ${m}\n${text}`).toBeDefined();
              if (theirs !== undefined && mine !== undefined) expect(mine).toBeLessThanOrEqual(theirs + 1e-12);
            }
          } else expect(rivals).toEqual([]);
        }
      }),
      { numRuns: 400 },
    );
  });

  it("keep each sticky key whose arm can take the request where it was", () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const keyed: Case = { ...c, split: true, mode: "keyed", downgraded: false, health: false };
        const graph = compileSources([{ path: "k.route", text: policy(keyed) }]).graph!;
        const free = compileSources([{ path: "f.route", text: policy({ ...keyed, models: keyed.models.map((m) => ({ ...m, supports: undefined, context: undefined, maxOutput: undefined })) }) }]).graph!;
        const facts = factsFromTestRequest({ model: "chat", headers: {}, metadata: {}, user: c.user, ...c.need }, graph);
        const before = decide(prepare(free), facts, stateOf(keyed, [], 0));
        const after = decide(prepare(graph), facts, stateOf(keyed, [], 0));
        if (before.kind !== "route" || after.kind !== "route") throw new Error("expected routed decisions");
        if (before.split !== undefined && able(keyed, before.split.model)) expect(after.split?.model).toBe(before.split.model);
      }),
      { numRuns: 300 },
    );
  });
});
