/**
 * `iban`: International Bank Account Numbers, upper case, contiguous
 * (`DE89370400440532013000`) or in groups of four (`DE89 3704 0044 0532
 * 0130 00`), 15 to 34 characters, accepted only when the ISO 13616 mod-97
 * check gives 1. A candidate that runs on into a following upper-case word is
 * cut back to the longest group boundary that passes the check.
 */
import { regexDetector, type Detector } from "./detector.js";

const PATTERN = String.raw`(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?(?![A-Za-z0-9])`;

/** The ISO 13616 check: move the first four characters to the end, letters to 10–35, and the number mod 97 must be 1. */
export function ibanValid(s: string): boolean {
  const compact = s.replace(/ /g, "");
  if (compact.length < 15 || compact.length > 34 || !/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(compact)) return false;
  const rearranged = compact.slice(4) + compact.slice(0, 4);
  let rem = 0;
  for (let i = 0; i < rearranged.length; i++) {
    const c = rearranged.charCodeAt(i);
    if (c >= 48 && c <= 57) rem = (rem * 10 + (c - 48)) % 97;
    else rem = (rem * 100 + (c - 55)) % 97;
  }
  return rem === 1;
}

/** `(rem * 10^k + the digits of char c) mod 97`, a letter counting as its two digits 10–35. */
function mod97(rem: number, c: number): number {
  return c >= 48 && c <= 57 ? (rem * 10 + (c - 48)) % 97 : (rem * 100 + (c - 55)) % 97;
}

/**
 * The longest prefix of a regex candidate that passes {@link ibanValid}:
 * the whole candidate or one cut at a space, 0 if none. One pass, no
 * copies: the check's number is the rest's digits followed by the first
 * four characters', so at each boundary it is `rest mod 97` shifted by the
 * head's digit count plus the head's value (the candidate already has the
 * shape the regex gives it: two letters, two digits, then groups).
 */
function validate(candidate: string): number {
  let head = 0;
  let shift = 1;
  for (let i = 0; i < 4; i++) {
    const c = candidate.charCodeAt(i);
    head = mod97(head, c);
    shift = (shift * (c >= 48 && c <= 57 ? 10 : 100)) % 97;
  }
  let rest = 0;
  let compact = 4;
  let best = 0;
  for (let i = 4; i <= candidate.length; i++) {
    const c = i < candidate.length ? candidate.charCodeAt(i) : 32;
    if (c === 32) {
      if (compact >= 15 && compact <= 34 && (rest * shift + head) % 97 === 1) best = i;
      continue;
    }
    rest = mod97(rest, c);
    compact++;
  }
  return best;
}

/** The IBAN detector; placeholder `[IBAN]`. */
export function ibanDetector(): Detector {
  // At most 34 characters and 8 spaces, then the end check's character.
  return regexDetector({ name: "iban", placeholder: "[IBAN]", regex: new RegExp(PATTERN, "g"), validate, maxSpan: 44 });
}
