import { describe, expect, test } from "vitest";
import { alwaysTrueRule } from "../../../compiler/rules/always-true.js";
import { PRELUDE, run, src, where } from "./helpers.js";

function reported(when: string): ReturnType<typeof run> {
  return run(alwaysTrueRule, src(...PRELUDE, `route r { when ${when} to mini }`));
}

describe("always-true (W506)", () => {
  test("`x == v or x != v` holds for every request, shown by a request without the fact", () => {
    const ds = reported(`user == "x" or user != "x"`);
    expect(where(ds)).toEqual(["W506 5:16"]);
    expect(ds[0]!.message).toBe('the `when` of route `r` holds for every request: even `request { }`, where `user == "x"` is false, matches it');
  });

  test("counts and flags that cover every value", () => {
    expect(where(reported(`input_tokens < 100k or input_tokens >= 100k`))).toEqual(["W506 5:16"]);
    expect(where(reported(`stream or not stream and model == "m" or model != "m"`))).toEqual(["W506 5:16"]);
    expect(where(reported(`input_tokens >= 0`))).toEqual(["W506 5:16"]);
  });

  test("near misses: conditions that leave some request out", () => {
    expect(reported(`user == "x" or user == "y"`)).toEqual([]);
    expect(reported(`input_tokens < 100k or input_tokens > 100k`)).toEqual([]);
    expect(reported(`team != "a" or user != "b"`)).toEqual([]);
    expect(reported(`header("x") matches /a/ or not (header("x") matches /b/)`)).toEqual([]);
  });
});
