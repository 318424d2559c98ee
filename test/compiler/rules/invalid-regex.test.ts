import { describe, expect, test } from "vitest";
import { invalidRegex, regexProblem } from "../../../compiler/rules/invalid-regex.js";
import { PRELUDE, run, src, where } from "./helpers.js";

describe("invalid-regex (E207)", () => {
  test("regexes in guardrail detectors, guardrail conditions and route conditions are compiled", () => {
    const text = src(
      ...PRELUDE,
      `guardrail a { block matches /(unclosed/ }`,
      `guardrail b { flag when text matches /a{2,1}/i }`,
      `route r {`,
      `  when header("x") matches /ok/ and text matches /[z-a]/`,
      `  to mini`,
      `}`,
    );
    const ds = run(invalidRegex, text);
    expect(where(ds)).toEqual(["E207 5:29", "E207 6:38", "E207 8:50"]);
    expect(ds[0]!.message).toBe("invalid regex `/(unclosed/`: unterminated group");
  });

  test("flags outside `imsu`, and repeated flags, are refused", () => {
    expect(regexProblem({ pattern: "a", flags: "g" })?.message).toBe("regex flag `g` is not allowed");
    expect(regexProblem({ pattern: "a", flags: "ii" })?.message).toBe("regex flag `i` is given twice");
    expect(regexProblem({ pattern: "\\p{L}", flags: "u" })).toBeUndefined();
  });

  test("near miss: valid patterns with allowed flags", () => {
    const text = src(...PRELUDE, `guardrail g { on input block when text matches /ignore (all )?previous instructions/i }`, `guardrail h { redact matches /\\d{4}-\\d{4}/ }`);
    expect(run(invalidRegex, text)).toEqual([]);
  });

  test("lookaround and backreferences are refused: policy regexes run on a linear-time engine", () => {
    const text = src(...PRELUDE, `guardrail a { block matches /secret(?!ary)/ }`, `guardrail b { flag matches /(\\w)\\1/ }`, `guardrail c { flag matches /(?<=x)y/ }`);
    const ds = run(invalidRegex, text);
    expect(where(ds)).toEqual(["E207 5:29", "E207 6:28", "E207 7:28"]);
    expect(ds[0]!.message).toBe("regex `/secret(?!ary)/` uses the lookahead `(?!…)`, which cannot be matched in linear time");
    expect(ds[0]!.help).toMatch(/RE2/);
    expect(ds[1]!.message).toMatch(/backreference/);
    expect(ds[2]!.message).toMatch(/lookbehind/);
    // Escaped or inside a class, the same characters are plain text.
    expect(regexProblem({ pattern: "\\(?=x[(?!]", flags: "" })).toBeUndefined();
  });
});
