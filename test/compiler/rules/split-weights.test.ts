import { describe, expect, test } from "vitest";
import { splitWeights } from "../../../compiler/rules/split-weights.js";
import { PRELUDE, run, src, where } from "./helpers.js";

describe("split-weights (E301)", () => {
  test("weights that do not sum to 100% are reported at the split", () => {
    const ds = run(splitWeights, src(...PRELUDE, `route r {`, `  split { 70% gpt-4o  20% sonnet }`, `}`));
    expect(where(ds)).toEqual(["E301 6:3"]);
    expect(ds[0]!.message).toBe("split weights sum to 90%, not 100%");
    expect(ds[0]!.help).toContain("add 10%");
  });

  test("near miss: a weight that is not a percentage is E201 (check-routes), and its sum is not checked", () => {
    expect(run(splitWeights, src(...PRELUDE, `route r {`, `  split { 70% gpt-4o  0.3 sonnet }`, `}`))).toEqual([]);
    expect(run(splitWeights, src(...PRELUDE, `route r {`, `  split { 170% gpt-4o  30% sonnet }`, `}`))).toEqual([]);
  });

  test("an empty split is reported", () => {
    expect(where(run(splitWeights, src(...PRELUDE, `route r {`, `  split { }`, `}`)))).toEqual(["E301 6:3"]);
  });

  test("near miss: thirds written as decimals sum to 100% within floating error", () => {
    const text = src(...PRELUDE, `route r {`, `  split by key { 33.3% gpt-4o  33.3% sonnet  33.4% mini }`, `}`);
    expect(run(splitWeights, text)).toEqual([]);
    expect(0.1 + 0.2).not.toBe(0.3); // the reason for the tolerance
    expect(run(splitWeights, src(...PRELUDE, `route r {`, `  split { 10% gpt-4o  20% sonnet  70% mini }`, `}`))).toEqual([]);
  });
});
