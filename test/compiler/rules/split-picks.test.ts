import { describe, expect, test } from "vitest";
import { splitPicks } from "../../../compiler/rules/split-picks.js";
import { PRELUDE, relatedAt, run, src, where } from "./helpers.js";

const ROUTES = [`route s { when model == "s" split { 50% gpt-4o  50% sonnet } }`, `route t { when model == "t" to mini }`]; // lines 5-6

function testBlock(...lines: string[]): string {
  return src(...PRELUDE, ...ROUTES, `test "x" {`, `  request { model "s" }`, ...lines, `}`); // test lines from 9
}

describe("split-picks (E401 at the `given` line)", () => {
  test("an arm the expected route's split does not have", () => {
    const ds = run(splitPicks, testBlock(`  given split picks mini`, `  expect route s`));
    expect(where(ds)).toEqual(["E401 9:3"]);
    expect(relatedAt(ds[0])).toBe("5:7");
    expect(ds[0]!.message).toBe("`given split picks mini`: the split of route `s` has no arm `mini` (arms: gpt-4o, sonnet)");
  });

  test("an expected route without a split, and a model no split lists", () => {
    expect(where(run(splitPicks, testBlock(`  given split picks mini`, `  expect route t`)))).toEqual(["E401 9:3"]);
    expect(where(run(splitPicks, testBlock(`  given split picks mini`, `  expect target mini`)))).toEqual(["E401 9:3"]);
  });

  test("near misses: an arm of the expected split, or of some split", () => {
    expect(run(splitPicks, testBlock(`  given split picks sonnet`, `  expect route s`))).toEqual([]);
    expect(run(splitPicks, testBlock(`  given split picks gpt-4o`, `  expect target gpt-4o`))).toEqual([]);
  });
});
