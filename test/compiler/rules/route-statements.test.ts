import { describe, expect, test } from "vitest";
import { conflictingTargets } from "../../../compiler/rules/conflicting-targets.js";
import { noTarget } from "../../../compiler/rules/no-target.js";
import { PRELUDE, relatedAt, run, src, where } from "./helpers.js";

describe("no-target (E305)", () => {
  test("a route with neither `to` nor `split`", () => {
    const ds = run(noTarget, src(...PRELUDE, `route lonely {`, `  when model == "x"`, `  fallback mini`, `}`));
    expect(where(ds)).toEqual(["E305 5:7"]);
    expect(ds[0]!.message).toBe("route `lonely` has no target");
  });

  test("near miss: `to` or `split` is enough", () => {
    expect(run(noTarget, src(...PRELUDE, `route a { to mini }`, `route b { split { 100% mini } }`))).toEqual([]);
  });
});

describe("conflicting-targets (E306)", () => {
  test("`to` and `split` in one route", () => {
    const ds = run(conflictingTargets, src(...PRELUDE, `route r {`, `  to mini`, `  split { 100% sonnet }`, `}`));
    expect(where(ds)).toEqual(["E306 7:3"]);
    expect(relatedAt(ds[0])).toBe("6:3");
    expect(ds[0]!.message).toBe("route `r` has both `to` and `split`");
  });

  test("two `to`s, two `when`s and two `fallback`s", () => {
    const text = src(
      ...PRELUDE,
      `route r {`,
      `  when model == "a"`,
      `  to mini`,
      `  fallback sonnet on 5xx`,
      `  when team == "b"`,
      `  to sonnet`,
      `  fallback gpt-4o on 429`,
      `}`,
    );
    const ds = run(conflictingTargets, text);
    expect(where(ds)).toEqual(["E306 9:3", "E306 10:3", "E306 11:3"]);
    expect(ds.map((d) => d.message)).toEqual([
      "route `r` has two `when` conditions",
      "route `r` has two `to` targets",
      "route `r` has two `fallback` lists",
    ]);
    expect(ds.map(relatedAt)).toEqual(["6:3", "7:3", "8:3"]);
  });

  test("near miss: one of each, with repeatable statements repeated", () => {
    const text = src(...PRELUDE, `guardrail g { redact email }`, `route r {`, `  when model == "a"`, `  to mini`, `  guard g`, `  guard g`, `  fallback sonnet`, `}`);
    expect(run(conflictingTargets, text)).toEqual([]);
  });
});
