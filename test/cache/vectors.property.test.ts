/**
 * The semantic cache's vector index: what it returns is the true nearest
 * live vector of the partition (brute force, checked against a plain
 * argmax), it never holds more than its bound and evicts the least
 * recently used, and an expired vector never answers.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MemoryVectorIndex, unitVector } from "../../runtime/cache/index.js";

const DIM = 6;
const vecArb = fc.array(fc.float({ min: -1, max: 1, noNaN: true }), { minLength: DIM, maxLength: DIM }).map(unitVector).filter((v): v is Float32Array => v !== undefined);

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function clock(start = 1_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

describe("the in-memory vector index", () => {
  it("returns the most similar live vector of the partition, as a full scan finds it, and nothing under the threshold", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom("p", "q"), vecArb), { minLength: 1, maxLength: 40 }),
        vecArb,
        fc.double({ min: -1, max: 1, noNaN: true }),
        async (adds, query, least) => {
          const index = new MemoryVectorIndex(1000, () => 0);
          for (const [i, [part, v]] of adds.entries()) await index.add(part, `k${i}`, v, 60_000);
          const mine = adds.map(([part, v], i) => ({ part, key: `k${i}`, sim: dot(v, query) })).filter((x) => x.part === "p");
          const best = mine.reduce<(typeof mine)[number] | undefined>((b, x) => (b === undefined || x.sim > b.sim ? x : b), undefined);
          const found = await index.nearest("p", query, least);
          if (best === undefined || best.sim < least) {
            expect(found).toBeUndefined();
            return;
          }
          expect(found).toBeDefined();
          expect(found!.similarity).toBeCloseTo(best.sim, 6);
          // Ties may pick either; the one picked has the best similarity and is of the partition.
          expect(mine.find((x) => x.key === found!.key)?.sim).toBeCloseTo(best.sim, 6);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("holds at most `max` vectors and evicts the least recently used, a hit counting as a use", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 8 }), fc.array(fc.oneof(fc.constant("add" as const), fc.nat(30)), { minLength: 1, maxLength: 60 }), async (max, ops) => {
        const index = new MemoryVectorIndex(max, () => 0);
        // The model: keys in order of last use, each with its own axis so a query for it finds exactly it.
        const order: string[] = [];
        const vectors = new Map<string, Float32Array>();
        let n = 0;
        for (const op of ops) {
          if (op === "add") {
            const key = `k${n++}`;
            const v = new Float32Array(64);
            v[n % 64] = 1;
            v[(n * 7) % 64]! += 0.5;
            const u = unitVector(v)!;
            vectors.set(key, u);
            await index.add("p", key, u, 60_000);
            order.push(key);
            if (order.length > max) order.shift();
          } else if (order.length > 0) {
            const key = order[op % order.length]!;
            const found = await index.nearest("p", vectors.get(key)!, 0.9999);
            expect(found?.key).toBe(key);
            order.splice(order.indexOf(key), 1);
            order.push(key);
          }
          expect(index.size()).toBe(order.length);
          expect(index.size()).toBeLessThanOrEqual(max);
        }
        // Exactly the model's survivors answer.
        for (const [key, v] of vectors) expect((await index.nearest("p", v, 0.9999))?.key === key).toBe(order.includes(key));
      }),
      { numRuns: 100 },
    );
  });

  it("never answers with an expired vector; a scan drops it", async () => {
    const c = clock();
    const index = new MemoryVectorIndex(10, c.now);
    const x = unitVector([1, 0, 0])!;
    const y = unitVector([0.9, 0.1, 0])!;
    await index.add("p", "old", x, 100);
    await index.add("p", "young", y, 1_000);
    expect((await index.nearest("p", x, 0.5))?.key).toBe("old");
    c.advance(100);
    expect((await index.nearest("p", x, 0.5))?.key).toBe("young");
    expect(index.size()).toBe(1);
    c.advance(900);
    expect(await index.nearest("p", x, 0.5)).toBeUndefined();
    expect(index.size()).toBe(0);
  });

  it("replaces the vector of a key added again, and never compares vectors of another length", async () => {
    const index = new MemoryVectorIndex(10, () => 0);
    await index.add("p", "k", unitVector([1, 0])!, 1_000);
    await index.add("p", "k", unitVector([0, 1])!, 1_000);
    expect(index.size()).toBe(1);
    expect(await index.nearest("p", unitVector([1, 0])!, 0.5)).toBeUndefined();
    expect(await index.nearest("p", unitVector([0, 1, 0])!, -1)).toBeUndefined();
    expect(unitVector([0, 0])).toBeUndefined();
    expect(unitVector([Infinity, 1])).toBeUndefined();
  });
});
