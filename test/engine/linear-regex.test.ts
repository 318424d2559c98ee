import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { boundedBacktracking, compileLinear, unsupportedFeature } from "../../compiler/linear-regex.js";
import { compileDetector } from "../../runtime/engine/detectors/index.js";

/** Every match of a JavaScript regex, as flat spans, the way the detector scan steps (empty matches skipped). */
function jsSpans(source: string, flags: string, text: string): number[] {
  const re = new RegExp(source, flags + "g");
  const out: number[] = [];
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (m[0].length === 0) {
      re.lastIndex = m.index + 1;
      continue;
    }
    out.push(m.index, m.index + m[0].length);
  }
  return out;
}

describe("policy regexes run in linear time", () => {
  it("a pattern that backtracks exponentially in V8 answers at once (V8 would take 2^40 steps here)", () => {
    const d = compileDetector({ kind: "pattern", source: String.raw`token=(\w+\s?)+;`, flags: "" });
    const text = ("token=" + "x".repeat(40) + " ").repeat(2_000);
    expect(d.find(text)).toEqual([]);
    expect(d.test(text + "token=ab;")).toBe(true);
    expect(d.find("a token=ab cd; b")).toEqual([2, 14]);
  });

  it("a quadratic one (`a.*b` on a long run without b) too", () => {
    const d = compileDetector({ kind: "pattern", source: "a.*b", flags: "s" });
    expect(d.test("a".repeat(200_000))).toBe(false);
  });

  it("shapes with bounded backtracking stay on V8, others go to RE2", () => {
    expect(boundedBacktracking("ignore (all |any )?(the )?(previous|prior|above) instructions")).toBe(true);
    expect(boundedBacktracking("(reveal|print|show|repeat) (me )?(your|the) system prompt")).toBe(true);
    expect(boundedBacktracking(String.raw`\d{4}`)).toBe(false);
    expect(boundedBacktracking("a+")).toBe(false);
    expect(boundedBacktracking(String.raw`a\+[*+]`)).toBe(true);
    expect(boundedBacktracking("(a|b|c|d|e|f|g|h)")).toBe(false);
  });

  it("both engines find what JavaScript finds, for patterns of both shapes", () => {
    const patterns: [string, string][] = [
      ["ab|a", ""],
      ["(foo|ba)r?", "i"],
      [String.raw`x\d+y`, ""],
      ["a*", ""],
      [String.raw`(\w+\s?)+;`, ""],
      ["[a-c]{2,3}", "i"],
      ["^b", "m"],
      [String.raw`a.c`, "s"],
      ["é+", "u"],
    ];
    const alphabet = fc.constantFrom("a", "b", "c", "A", "B", "f", "o", "r", "x", "y", "1", "2", " ", ";", "\n", "é", "🙂");
    fc.assert(
      fc.property(fc.constantFrom(...patterns), fc.array(alphabet, { maxLength: 30 }), ([source, flags], chars) => {
        const text = chars.join("");
        expect(compileDetector({ kind: "pattern", source, flags }).find(text)).toEqual(jsSpans(source, flags, text));
        expect(compileLinear(source, flags).test(text)).toBe(new RegExp(source, flags).test(text));
      }),
      { numRuns: 3_000 },
    );
  });

  it("lookaround and backreferences are named for the diagnostic", () => {
    expect(unsupportedFeature("a(?=b)")).toBe("the lookahead `(?=…)`");
    expect(unsupportedFeature("(?<!a)b")).toBe("the lookbehind `(?<!…)`");
    expect(unsupportedFeature(String.raw`(a)\1`)).toBe("the backreference `\\1`");
    expect(unsupportedFeature(String.raw`[\1](?:x)`)).toBeUndefined();
    expect(() => compileLinear("a(?=b)", "")).toThrow(SyntaxError);
  });
});
