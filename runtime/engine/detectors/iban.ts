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

function validate(candidate: string): number {
  if (ibanValid(candidate)) return candidate.length;
  // Try shorter candidates, cut at each space from the right.
  for (let end = candidate.lastIndexOf(" "); end > 0; end = candidate.lastIndexOf(" ", end - 1)) {
    if (ibanValid(candidate.slice(0, end))) return end;
  }
  return 0;
}

/** The IBAN detector; placeholder `[IBAN]`. */
export function ibanDetector(): Detector {
  return regexDetector({ name: "iban", placeholder: "[IBAN]", regex: new RegExp(PATTERN, "g"), validate });
}
