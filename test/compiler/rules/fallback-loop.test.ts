import { describe, expect, test } from "vitest";
import { fallbackLoop } from "../../../compiler/rules/fallback-loop.js";
import { PRELUDE, relatedAt, run, src, where } from "./helpers.js";

const BUDGETS = [
  `budget to-sonnet { per team limit $10 per day exceeded downgrade sonnet }`,
  `budget to-mini { per key limit $1 per day exceeded downgrade mini }`,
  `budget hard { per user limit $1 per day exceeded reject }`,
]; // lines 5-7

describe("fallback-loop (E303)", () => {
  test("a downgrade to the route's own target loops in place", () => {
    const ds = run(fallbackLoop, src(...PRELUDE, ...BUDGETS, `route r {`, `  to mini`, `  retry 1`, `  budget hard, to-mini`, `}`));
    expect(where(ds)).toEqual(["E303 11:16"]);
    expect(relatedAt(ds[0])).toBe("6:62");
    expect(ds[0]!.message).toBe("budget `to-mini` downgrades route `r` to `mini`, the model it already uses");
  });

  test("near miss: a downgrade to the route's own target that drops a paid fallback is not a loop", () => {
    const text = src(...PRELUDE, ...BUDGETS, `route r {`, `  to mini`, `  fallback sonnet`, `  budget hard, to-mini`, `}`);
    expect(run(fallbackLoop, text)).toEqual([]);
    const split = src(...PRELUDE, ...BUDGETS, `route r {`, `  split { 100% sonnet }`, `  fallback gpt-4o`, `  budget to-sonnet`, `}`);
    expect(run(fallbackLoop, split)).toEqual([]);
  });

  test("a split whose every arm is the downgrade model loops too", () => {
    const ds = run(fallbackLoop, src(...PRELUDE, ...BUDGETS, `route r {`, `  split { 100% sonnet }`, `  budget to-sonnet`, `}`));
    expect(where(ds)).toEqual(["E303 10:10"]);
  });

  test("near miss: a downgrade away from one split arm, and budgets downgrading to different models", () => {
    const text = src(
      ...PRELUDE,
      ...BUDGETS,
      `route r {`,
      `  split { 50% gpt-4o  50% mini }`,
      `  fallback sonnet`,
      `  budget to-mini, hard, to-sonnet, to-mini`,
      `}`,
      `route s { to gpt-4o budget to-sonnet, to-mini }`,
    );
    expect(run(fallbackLoop, text)).toEqual([]);
  });
});
