import fc from "fast-check";
import { Tiktoken } from "js-tiktoken/lite";
import o200k from "js-tiktoken/ranks/o200k_base";
import { describe, expect, it } from "vitest";
import { countTokens, parseRanks } from "../../runtime/engine/bpe.js";
import { loadTokenizer } from "../../runtime/engine/tokens.js";

// js-tiktoken's own count: the reference (quadratic in a pre-token's length, so texts stay short here).
const reference = new Tiktoken(o200k);
const ranks = parseRanks(o200k);
const tiktoken = (text: string): number => reference.encode(text, [], []).length;

describe("the O(n log n) BPE counts exactly what js-tiktoken counts", () => {
  it("on generated text: words, runs of one letter, DNA, digits, spaces, punctuation, CJK, marks, emoji, special-token text", () => {
    const piece = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.string({ unit: "grapheme", maxLength: 20 }),
      fc.constantFrom("a", "A", "x", "1", " ", "\n", "中", "é", "e\u0301", "🙂", "!", "'s").chain((c) => fc.integer({ min: 1, max: 120 }).map((n) => c.repeat(n))),
      fc.array(fc.constantFrom("A", "C", "G", "T"), { maxLength: 200 }).map((a) => a.join("")),
      fc.constantFrom("The quick brown fox jumps over the lazy dog. ", "<|endoftext|>", "don't", "HTTPServerError", "  \n\n  ", "1234567"),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 5 }), (parts) => {
        const text = parts.join("");
        expect(countTokens(ranks, text)).toBe(tiktoken(text));
      }),
      { numRuns: 400 },
    );
  });

  it("counts long single pre-tokens (which took js-tiktoken seconds to minutes) the way shorter ones extrapolate", async () => {
    const tok = await loadTokenizer();
    // 20,000 `a`s took js-tiktoken ~25 s; every 8 `a`s are one token in o200k_base.
    expect(tiktoken("a".repeat(2_000))).toBe(250);
    expect(tok.count("a".repeat(20_000))).toBe(2_500);
    expect(tok.count("a".repeat(200_000))).toBe(25_000);
    // A 100 kB DNA string is one pre-token.
    const dna = Array.from({ length: 100_000 }, (_, i) => "ACGT"[(i * 7 + (i >> 3)) % 4]).join("");
    expect(tok.count(dna)).toBeGreaterThan(0);
    expect(tok.count(dna)).toBeLessThanOrEqual(100_000);
  });

  it("countSteps gives the same count as count, over several event-loop turns for a long text", async () => {
    const tok = await loadTokenizer();
    const text = "The quick brown fox. ".repeat(5_000) + "a".repeat(70_000) + " 1234".repeat(10_000);
    let turns = 0;
    let counting = true;
    const tick = (): void => {
      if (!counting) return;
      turns++;
      setImmediate(tick);
    };
    setImmediate(tick);
    const stepped = await tok.countSteps!(text);
    counting = false;
    expect(stepped).toBe(tok.count(text));
    // The loop ran in between: the count did not hold it for the whole text.
    expect(turns).toBeGreaterThan(10);
  });
});
