/**
 * `credit_card`: payment card numbers of 13 to 19 digits that pass the Luhn
 * check, written contiguously (`4111111111111111`), in groups of four with
 * one consistent separator (`4111 1111 1111 1111`, `4111-1111-1111-1111`),
 * or in the 4-6-5 grouping of American Express (`3782 822463 10005`).
 */
import { regexDetector, type Detector } from "./detector.js";

const PATTERN = String.raw`(?<![\d])(?:\d{13,19}|\d{4}([ \-])\d{4}\1\d{4}\1\d{1,7}|\d{4}([ \-])\d{6}\2\d{5})(?![\d])`;

/** The Luhn (mod 10) checksum over the digits of a string, ignoring separators. */
export function luhnValid(s: string): boolean {
  let sum = 0;
  let double = false;
  let digits = 0;
  for (let i = s.length - 1; i >= 0; i--) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) continue;
    let d = c - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
    digits++;
  }
  return digits >= 13 && digits <= 19 && sum % 10 === 0;
}

/** The credit card detector; placeholder `[CREDIT_CARD]`. */
export function creditCardDetector(): Detector {
  return regexDetector({
    name: "credit_card",
    placeholder: "[CREDIT_CARD]",
    regex: new RegExp(PATTERN, "g"),
    validate: (candidate) => (luhnValid(candidate) ? candidate.length : 0),
  });
}
