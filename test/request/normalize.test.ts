/**
 * The normal form detectors read (runtime/request/normalize.ts), and
 * redaction through it: a secret split or disguised by zero-width spaces,
 * soft hyphens, NBSP or fullwidth forms is still found, and the redaction
 * removes it from the original text, invisible characters included, while
 * every character outside the match is kept as it was.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileDetector, redactText } from "../../runtime/engine/index.js";
import { normalizeText, originalRange } from "../../runtime/request/index.js";

const email = compileDetector({ kind: "builtin", name: "email" });
const card = compileDetector({ kind: "builtin", name: "credit_card" });
const injection = compileDetector({ kind: "pattern", source: "ignore (all )?previous instructions", flags: "i" });

const INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u180e", "\u202e"];
const INVISIBLE_RE = new RegExp(`[${INVISIBLE.join("")}]`, "g");
const FOLDED = ["\u00a0", "\u2007", "\u202f", "\u3000", "\t"];
const fullwidth = (s: string): string => s.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));

/** A secret disguised: invisible characters inserted anywhere, spaces swapped for other whitespace, some characters fullwidth. */
function disguised(secret: string): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.array(fc.tuple(fc.nat(secret.length), fc.constantFrom(...INVISIBLE)), { maxLength: 6 }),
      fc.array(fc.boolean(), { minLength: secret.length, maxLength: secret.length }),
      fc.constantFrom(...FOLDED),
    )
    .map(([inserts, wide, space]) => {
      let chars = [...secret].map((c, i) => (c === " " ? space : wide[i] ? fullwidth(c) : c));
      for (const [at, z] of inserts.sort((a, b) => b[0] - a[0])) chars = [...chars.slice(0, at), z, ...chars.slice(at)];
      return chars.join("");
    });
}

const prose = fc.string({ unit: fc.constantFrom(..."abc .,\n".split("")), maxLength: 20 });

describe("normalizeText", () => {
  it("returns plain ASCII prose as the very same string", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(..."ab 9.\n\r@".split("")) }), (s) => {
        const n = normalizeText(s);
        expect(n.text).toBe(s);
        expect(n.segments).toBeUndefined();
      }),
    );
  });

  it("removes invisible characters, folds whitespace and applies NFKC", () => {
    expect(normalizeText("a\u200bb\u00adc\u00a0d\u3000e\u2028f").text).toBe("abc d e\nf");
    expect(normalizeText("ｓｅｃｒｅｔ＠ｅｘａｍｐｌｅ．ｃｏｍ").text).toBe("secret@example.com");
    expect(normalizeText("e\u0301\u200b").text).toBe("\u00e9");
  });

  it("maps every normal-form range back to original characters covering it", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.oneof(fc.constantFrom(...INVISIBLE, ...FOLDED, "ａ", "e\u0301", "ﬁ"), fc.constantFrom(..."xy ")) }), (s) => {
        const n = normalizeText(s);
        for (let i = 0; i < n.text.length; i++) {
          const [a, b] = originalRange(n, i, i + 1);
          expect(0 <= a && a < b && b <= s.length).toBe(true);
          // The original characters normalise to a text holding this one.
          expect(normalizeText(s.slice(a, b)).text).toContain(n.text[i]);
        }
      }),
    );
  });
});

describe("redaction through the normal form", () => {
  for (const [name, secret, detector, placeholder] of [
    ["an email", "ana.secret@example.com", email, "[EMAIL]"],
    ["a card number", "4111 1111 1111 1111", card, "[CREDIT_CARD]"],
    ["a matches pattern", "ignore previous instructions", injection, "[REDACTED]"],
  ] as const) {
    it(`finds ${name} however it is disguised and removes it from the original, keeping the rest`, () => {
      fc.assert(
        fc.property(prose, disguised(secret), prose, (before, hidden, after) => {
          const text = `${before} ${hidden} ${after}`;
          expect(detector.test(normalizeText(text).text)).toBe(true);
          const r = redactText(text, [detector]);
          expect(r.total).toBe(1);
          // Everything outside the match is kept as it was: an invisible character just before or after the secret is not part of it.
          expect(r.text.startsWith(`${before} `) && r.text.endsWith(` ${after}`)).toBe(true);
          const middle = r.text.slice(before.length + 1, r.text.length - after.length - 1);
          expect(middle.replace(INVISIBLE_RE, "")).toBe(placeholder);
        }),
      );
    });
  }
});
