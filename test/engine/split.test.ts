import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { makeArms, pickByDraw, pickByKey, totalWeight, unitHash, fnv1a } from "../../runtime/engine/split.js";
import { seededRandom } from "../../runtime/engine/random.js";

/** 1 to 5 arms with integer weights 0..100, at least one positive, distinct model names. */
const armsArb = fc
  .array(fc.integer({ min: 0, max: 100 }), { minLength: 1, maxLength: 5 })
  .filter((ws) => ws.some((w) => w > 0))
  .map((ws) => makeArms(ws.map((weight, i) => ({ model: `m${i}`, weight }))));

function shares(arms: ReturnType<typeof makeArms>, n: number, pick: (i: number) => number): number[] {
  const counts = arms.map(() => 0);
  for (let i = 0; i < n; i++) counts[pick(i)]!++;
  return counts.map((c) => c / n);
}

describe("unkeyed split", () => {
  it("picks by cumulative weight", () => {
    const arms = makeArms([{ model: "a", weight: 70 }, { model: "b", weight: 0 }, { model: "c", weight: 30 }]);
    const t = totalWeight(arms);
    expect([0, 0.5, 0.6999, 0.7, 0.99999].map((u) => pickByDraw(arms, t, u))).toEqual([0, 0, 0, 2, 2]);
    expect(pickByDraw(makeArms([{ model: "a", weight: 0 }]), 0, 0.5)).toBe(-1);
  });

  it("converges to the weights over many seeded draws", () => {
    fc.assert(
      fc.property(armsArb, fc.integer(), (arms, seed) => {
        const total = totalWeight(arms);
        const rnd = seededRandom(seed);
        const got = shares(arms, 20_000, () => pickByDraw(arms, total, rnd()));
        arms.forEach((a, i) => expect(Math.abs(got[i]! - a.weight / total)).toBeLessThan(0.02));
      }),
      { numRuns: 25, seed: 7 },
    );
  });

  it("never picks a zero-weight arm", () => {
    fc.assert(
      fc.property(armsArb, fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (arms, u) => {
        expect(arms[pickByDraw(arms, totalWeight(arms), u)]!.weight).toBeGreaterThan(0);
      }),
      { numRuns: 2000, seed: 8 },
    );
  });
});

describe("split by a fact (weighted rendezvous hashing)", () => {
  it("converges to the weights over many distinct values", () => {
    fc.assert(
      fc.property(armsArb, fc.string({ maxLength: 6 }), (arms, prefix) => {
        const total = totalWeight(arms);
        const got = shares(arms, 20_000, (i) => pickByKey(arms, `${prefix}user-${i}`));
        arms.forEach((a, i) => expect(Math.abs(got[i]! - a.weight / total)).toBeLessThan(0.025));
      }),
      { numRuns: 20, seed: 9 },
    );
  });

  it("never picks a zero-weight arm", () => {
    fc.assert(
      fc.property(armsArb, fc.string(), (arms, value) => {
        expect(arms[pickByKey(arms, value)]!.weight).toBeGreaterThan(0);
      }),
      { numRuns: 2000, seed: 10 },
    );
  });

  it("is sticky: the same value picks the same model, whatever the order of the arms", () => {
    fc.assert(
      fc.property(armsArb, fc.string(), (arms, value) => {
        const first = arms[pickByKey(arms, value)]!.model;
        expect(arms[pickByKey(arms, value)]!.model).toBe(first);
        const reversed = makeArms([...arms].reverse());
        expect(reversed[pickByKey(reversed, value)]!.model).toBe(first);
      }),
      { numRuns: 1000, seed: 11 },
    );
  });

  it("raising one weight moves traffic only toward that arm", () => {
    fc.assert(
      fc.property(armsArb, fc.nat(), fc.integer({ min: 1, max: 200 }), (arms, which, raise) => {
        const j = which % arms.length;
        const raised = makeArms(arms.map((a, i) => ({ model: a.model, weight: i === j ? a.weight + raise : a.weight })));
        for (let k = 0; k < 500; k++) {
          const value = `v${k}`;
          const before = arms[pickByKey(arms, value)]!.model;
          const after = raised[pickByKey(raised, value)]!.model;
          if (after !== before) expect(after).toBe(arms[j]!.model);
        }
      }),
      { numRuns: 200, seed: 12 },
    );
  });

  it("hashes into the open interval (0, 1)", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (v, m) => {
        const u = unitHash(fnv1a(v, 1), fnv1a(m, 3), fnv1a(m, 4));
        expect(u > 0 && u < 1).toBe(true);
      }),
      { numRuns: 1000, seed: 13 },
    );
    for (const h of [0, 1, 0x7fffffff, 0xffffffff]) {
      const u = unitHash(h, 0, 0);
      expect(u > 0 && u < 1).toBe(true);
    }
  });
});
