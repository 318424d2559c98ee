import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileDetector } from "../../runtime/engine/detectors/index.js";
import { luhnValid } from "../../runtime/engine/detectors/credit-card.js";
import { ibanValid } from "../../runtime/engine/detectors/iban.js";
import { ipv6Valid } from "../../runtime/engine/detectors/ip-address.js";
import type { Detector } from "../../runtime/engine/detectors/detector.js";

const builtin = (name: "email" | "phone" | "credit_card" | "iban" | "api_key" | "ip_address"): Detector => compileDetector({ kind: "builtin", name });

/** The matched substrings. */
function found(d: Detector, text: string): string[] {
  const spans = d.find(text);
  const out: string[] = [];
  for (let i = 0; i < spans.length; i += 2) out.push(text.slice(spans[i], spans[i + 1]));
  expect(d.test(text)).toBe(out.length > 0);
  return out;
}

function cases(d: Detector, positives: [string, string][], negatives: string[]): void {
  for (const [text, match] of positives) expect(found(d, text), text).toEqual([match]);
  for (const text of negatives) expect(found(d, text), text).toEqual([]);
}

describe("email", () => {
  it("finds addresses and nothing else", () => {
    cases(
      builtin("email"),
      [
        ["write to ana.lopez+ci@mail.example.com today", "ana.lopez+ci@mail.example.com"],
        ["<bob@ex.io>", "bob@ex.io"],
        ["end of sentence: x_y@a-b.co.uk.", "x_y@a-b.co.uk"],
        ["odd local part o'neil{1}@example.org", "o'neil{1}@example.org"],
      ],
      ["no at sign here", "user@localhost", "@handle on social", "a@b.c", "email me at name at example dot com"],
    );
  });
});

describe("email, scanning from each @", () => {
  // The detector's definition as one global regex over the whole text (what it replaced, ~20× slower on prose).
  const LOCAL = "A-Za-z0-9!#$%&'*+/=?^_`{|}~.\\-";
  const reference = new RegExp(`(?<![${LOCAL}])[${LOCAL}]+@(?:[A-Za-z0-9-]+\\.)+[A-Za-z]{2,}(?![A-Za-z0-9-])`, "g");
  const referenceMatches = (text: string): string[] => [...text.matchAll(reference)].map((m) => m[0]);

  it("finds exactly what the whole-text regex finds, on texts dense with @, dots and local-part characters", () => {
    const alphabet = fc.constantFrom("a", "b", "Z", "0", "9", "@", "@", ".", ".", "-", "+", "_", " ", "\n", "é", "(", ",");
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 60 }), (chars) => {
        const text = chars.join("");
        expect(found(builtin("email"), text)).toEqual(referenceMatches(text));
      }),
      { numRuns: 5_000 },
    );
  });

  it("keeps matches apart when addresses touch", () => {
    for (const text of ["a@b.cc.d@e.com", "x@y.io@z.org", "a@b.cc,d@e.com", "mail a@b.co and c@d.co", "@@a@b.co", "..a@b.co.."]) {
      expect(found(builtin("email"), text), text).toEqual(referenceMatches(text));
    }
  });
});

describe("phone", () => {
  it("finds international and North American numbers", () => {
    cases(
      builtin("phone"),
      [
        ["call +44 20 7946 0958 now", "+44 20 7946 0958"],
        ["call +1-415-555-2671.", "+1-415-555-2671"],
        ["e164 +14155552671", "+14155552671"],
        ["office (415) 555-2671", "(415) 555-2671"],
        ["cell 415.555.2671", "415.555.2671"],
        ["cell 415 555 2671", "415 555 2671"],
        ["us 1-800-555-0199", "1-800-555-0199"],
        ["fr +33 (0)1 23 45 67 89", "+33 (0)1 23 45 67 89"],
      ],
      ["order 4155552671", "version 1.2.3", "date 2024-01-15", "year 2025 and 12:30", "+12 short", "card 4111 1111 1111 1111", "pi 3.14159265"],
    );
  });

  it("keeps at most 15 digits of a long run of groups", () => {
    expect(found(builtin("phone"), "+1 555 123 4567 555 123 4567")).toEqual(["+1 555 123 4567 555"]);
  });
});

describe("phone, scanned without backtracking", () => {
  // The detector's definition as the one regex it replaced (backtracks exponentially on `+1111…1a`).
  it("finds exactly what the old regex found, on texts dense with digits, `+`, separators and parentheses", () => {
    const alphabet = fc.constantFrom("1", "2", "4", "5", "0", "9", "+", "+", " ", " ", "-", ".", "(", ")", "a", "_", "\n");
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 70 }), (chars) => {
        const text = chars.join("");
        expect(found(builtin("phone"), text)).toEqual(oldPhone(text));
      }),
      { numRuns: 20_000 },
    );
  });

  it("agrees with the old regex on realistic numbers in prose", () => {
    const digits = fc.stringMatching(/^[0-9]{1,6}$/);
    const part = fc.oneof(digits, digits.map((d) => `(${d.slice(0, 4)})`), fc.constantFrom(" ", "-", ".", "+", " call ", "x"));
    fc.assert(
      fc.property(fc.array(part, { maxLength: 16 }), (parts) => {
        const text = parts.join("");
        expect(found(builtin("phone"), text)).toEqual(oldPhone(text));
      }),
      { numRuns: 20_000 },
    );
  });

  it("scans 300 KB of `+1111…1a ` (the old regex took seconds) and a 300 KB run of groups", () => {
    const d = builtin("phone");
    const hostile = ("+" + "1".repeat(30) + "a ").repeat(9_000);
    expect(d.find(hostile)).toEqual([]);
    expect(d.find("+1 " + "1111 ".repeat(60_000) + "a")).toEqual([0, 17]); // `+1 1111 1111 1111`: 13 digits, the next group would make 17
  });
});

/**
 * The phone detector as it was: the old regex and validator, run the way
 * regexDetector runs them. Only used on short texts (it backtracks
 * exponentially on long digit runs).
 */
function oldPhone(text: string): string[] {
  const INTL = String.raw`\+\d{1,3}(?:[ .\-]?(?:\(\d{1,4}\)|\d{1,4})){1,7}`;
  const NANP = String.raw`(?:1[ .\-])?(?:\(\d{3}\) ?|\d{3}[ .\-])\d{3}[ .\-]\d{4}`;
  const pattern = String.raw`(?<![\w+])(?:${INTL}|${NANP})(?![\w])`;
  const digitCount = (s: string): number => s.replace(/[^0-9]/g, "").length;
  const validate = (candidate: string): number => {
    if (candidate[0] !== "+") return digitCount(candidate) === 10 || digitCount(candidate) === 11 ? candidate.length : 0;
    let digits = 0;
    let best = 0;
    for (let i = 0; i < candidate.length; i++) {
      const c = candidate.charCodeAt(i);
      if (c >= 48 && c <= 57) {
        digits++;
        const next = candidate.charCodeAt(i + 1);
        if (!(next >= 48 && next <= 57) && digits >= 8 && digits <= 15) best = candidate[i + 1] === ")" ? i + 2 : i + 1;
        if (digits > 15) break;
      }
    }
    return best;
  };
  return oldScan(pattern, validate, text);
}

/** A detector as it was: its regex and validator, run the way regexDetector runs them. */
function oldScan(pattern: string, validate: (c: string) => number, text: string): string[] {
  const regex = new RegExp(pattern, "g");
  const out: string[] = [];
  for (let m = regex.exec(text); m !== null; m = regex.exec(text)) {
    const keep = validate(m[0]);
    if (keep <= 0) {
      regex.lastIndex = m.index + 1;
      continue;
    }
    out.push(m[0].slice(0, keep));
    regex.lastIndex = m.index + keep;
  }
  return out;
}

describe("credit_card", () => {
  it("finds Luhn-valid numbers in the usual groupings", () => {
    cases(
      builtin("credit_card"),
      [
        ["visa 4111111111111111 ok", "4111111111111111"],
        ["visa 4111 1111 1111 1111", "4111 1111 1111 1111"],
        ["mc 5555-5555-5555-4444!", "5555-5555-5555-4444"],
        ["amex 3782 822463 10005", "3782 822463 10005"],
        ["amex 378282246310005", "378282246310005"],
        ["then 4111 1111 1111 1111 2024", "4111 1111 1111 1111"],
      ],
      ["not luhn 4111111111111112", "mixed 4111 1111-1111 1111", "too short 411111111111", "too long 41111111111111111111", "phone +1 415 555 2671"],
    );
  });

  it("checks Luhn", () => {
    expect(luhnValid("4111111111111111")).toBe(true);
    expect(luhnValid("4111-1111-1111-1111")).toBe(true);
    expect(luhnValid("4111111111111121")).toBe(false);
    expect(luhnValid("0")).toBe(false);
  });
});

describe("iban", () => {
  it("finds mod-97-valid IBANs, grouped or not", () => {
    cases(
      builtin("iban"),
      [
        ["pay DE89370400440532013000 now", "DE89370400440532013000"],
        ["pay DE89 3704 0044 0532 0130 00 now", "DE89 3704 0044 0532 0130 00"],
        ["GB82 WEST 1234 5698 7654 32", "GB82 WEST 1234 5698 7654 32"],
        ["NO9386011117947.", "NO9386011117947"],
        ["DE89 3704 0044 0532 0130 00 ABCD", "DE89 3704 0044 0532 0130 00"],
      ],
      ["DE89370400440532013001", "de89370400440532013000", "XX00 0000 0000", "ABCD1234"],
    );
  });

  it("checks mod 97", () => {
    expect(ibanValid("FR14 2004 1010 0505 0001 3M02 606")).toBe(true);
    expect(ibanValid("FR14 2004 1010 0505 0001 3M02 607")).toBe(false);
  });
});

describe("credit_card and iban, scanned without the regex engine's per-candidate cost", () => {
  const OLD_CARD = String.raw`(?<![\d])(?:\d{13,19}|\d{4}([ \-])\d{4}\1\d{4}\1\d{1,7}|\d{4}([ \-])\d{6}\2\d{5})(?![\d])`;
  const OLD_IBAN = String.raw`(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?(?![A-Za-z0-9])`;
  const oldIbanValidate = (candidate: string): number => {
    if (ibanValid(candidate)) return candidate.length;
    for (let end = candidate.lastIndexOf(" "); end > 0; end = candidate.lastIndexOf(" ", end - 1)) if (ibanValid(candidate.slice(0, end))) return end;
    return 0;
  };

  it("credit_card finds exactly what the old regex found, on texts of digit groups and separators", () => {
    // Groups of Luhn-valid and invalid cards, cut and joined at random.
    const part = fc.oneof(fc.stringMatching(/^[0-9]{1,7}$/), fc.constantFrom("4111", "1111", "3782", "822463", "10005", "4111111111111111", "378282246310005"), fc.constantFrom(" ", "-", " ", "a", "\n"));
    fc.assert(
      fc.property(fc.array(part, { maxLength: 24 }), (parts) => {
        const text = parts.join("");
        expect(found(builtin("credit_card"), text)).toEqual(oldScan(OLD_CARD, (c) => (luhnValid(c) ? c.length : 0), text));
      }),
      { numRuns: 10_000 },
    );
  });

  it("iban finds exactly what the old regex and validator found, valid IBANs among look-alike groups", () => {
    const part = fc.oneof(
      fc.constantFrom("DE89 3704 0044 0532 0130 00", "GB82 WEST 1234 5698 7654 32", "DE89370400440532013000", "NO9386011117947"),
      fc.constantFrom("DE89", "3704", "0044", "0532", "0130", "00", "GB82", "WEST", "1234", "5698", "7654", "32", "NO93", "8601", "1117", "947", "FR14", "2004", "1010", "0505", "0001", "3M02", "606", "ABCD"),
      fc.stringMatching(/^[A-Z0-9]{1,5}$/),
      fc.constantFrom(" ", " ", ".", "a", "\n"),
    );
    fc.assert(
      fc.property(fc.array(part, { maxLength: 20 }), (parts) => {
        const text = parts.join("");
        expect(found(builtin("iban"), text)).toEqual(oldScan(OLD_IBAN, oldIbanValidate, text));
      }),
      { numRuns: 10_000 },
    );
  });
});

describe("api_key", () => {
  it("finds the common secret formats", () => {
    const d = builtin("api_key");
    const keys = [
      "sk-proj-abcdefghijklmnopqrstuvwxyz012345",
      "sk-ant-api03-abcdefghijklmnopqrstuvwxyz_-0123",
      "sk-abcdefghijklmnopqrstuvwxyz0123",
      "AKIAIOSFODNN7EXAMPLE",
      "ghp_" + "a".repeat(36),
      "github_pat_" + "A1_".repeat(10),
      "glpat-abcdefghijklmnopqrst",
      "xoxb-123456789012-abcdefghij",
      "sk_live_abcdefghijklmnop1234",
      "AIza" + "B".repeat(35),
      "hf_" + "c".repeat(34),
      "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
      "-----BEGIN RSA PRIVATE KEY-----",
    ];
    for (const k of keys) expect(found(d, `my key is ${k} ok`), k).toEqual([k]);
  });

  it("leaves look-alikes alone", () => {
    cases(builtin("api_key"), [], ["sk-short", "task-runner-configuration-file", "AKIA lowercase akiaiosfodnn7example", "ghp_short", "the skeleton key"]);
  });
});

describe("ip_address", () => {
  it("finds IPv4 and IPv6 addresses", () => {
    cases(
      builtin("ip_address"),
      [
        ["host 10.0.0.1 up", "10.0.0.1"],
        ["at 192.168.1.255.", "192.168.1.255"],
        ["v6 2001:db8::8a2e:370:7334 here", "2001:db8::8a2e:370:7334"],
        ["loopback ::1", "::1"],
        ["full 2001:0db8:0000:0000:0000:ff00:0042:8329", "2001:0db8:0000:0000:0000:ff00:0042:8329"],
      ],
      ["version 1.2.3.4.5", "bad 256.1.1.1", "time 12:30:45", "std::vector", "mac 00:1A:2B:3C:4D:5E", "ratio 1:2"],
    );
    expect(ipv6Valid("1::2::3")).toBe(false);
  });
});

describe("pattern and deny", () => {
  it("pattern matches the policy's regex, case flags included", () => {
    const d = compileDetector({ kind: "pattern", source: "ignore (all )?previous instructions", flags: "i" });
    expect(d.name).toBe("matches /ignore (all )?previous instructions/i");
    cases(d, [["Please IGNORE ALL previous instructions.", "IGNORE ALL previous instructions"]], ["follow the previous instructions"]);
  });

  it("a pattern that can match the empty string does not loop", () => {
    const d = compileDetector({ kind: "pattern", source: "x*", flags: "" });
    expect(found(d, "abxxc")).toEqual(["xx"]);
  });

  it("deny matches whole words, case-insensitively", () => {
    const d = compileDetector({ kind: "deny", words: ["ass", "Credit Card", "c++", " "] });
    cases(d, [["He said ASS!", "ASS"], ["my credit card", "credit card"], ["I like C++ a lot", "C++"]], ["the class passed", "assistant", "credit cards? no: creditcard"]);
    expect(found(d, "Ünïcode ass")).toEqual(["ass"]);
    expect(found(compileDetector({ kind: "deny", words: [] }), "anything")).toEqual([]);
  });
});
