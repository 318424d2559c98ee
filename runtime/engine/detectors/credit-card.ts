/**
 * `credit_card`: payment card numbers of 13 to 19 digits that pass the Luhn
 * check, written contiguously (`4111111111111111`), in groups of four with
 * one consistent separator (`4111 1111 1111 1111`, `4111-1111-1111-1111`),
 * or in the 4-6-5 grouping of American Express (`3782 822463 10005`).
 *
 * The candidates are those of the regex
 * `(?<!\d)(?:\d{13,19}|\d{4}([ -])\d{4}\1\d{4}\1\d{1,7}|\d{4}([ -])\d{6}\2\d{5})(?!\d)`,
 * found by a scan over the digit runs instead: text full of digit groups
 * (`1111 1111 …`) makes a candidate at every group, and the scan checks one
 * in a few character reads where the regex engine took ~0.5 µs.
 */
import type { Detector } from "./detector.js";

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

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

const NEXT_DIGIT = /[0-9]/g;

/** The length of the digit run at `i`. */
function runAt(text: string, i: number): number {
  let j = i;
  while (j < text.length && isDigit(text.charCodeAt(j))) j++;
  return j - i;
}

/**
 * The end of the card-shaped candidate starting at `i` (a digit run's
 * first digit, `run` digits long), or -1: one run of 13–19 digits, or
 * groups of 4-4-4-(1 to 7) or 4-6-5 with one separator (space or hyphen).
 */
function candidateEnd(text: string, i: number, run: number): number {
  if (run >= 13 && run <= 19) return i + run;
  if (run !== 4) return -1;
  const sep = text.charCodeAt(i + 4);
  if (sep !== 32 && sep !== 45) return -1;
  const second = runAt(text, i + 5);
  if (second === 4) {
    if (text.charCodeAt(i + 9) !== sep || runAt(text, i + 10) !== 4 || text.charCodeAt(i + 14) !== sep) return -1;
    const last = runAt(text, i + 15);
    return last >= 1 && last <= 7 ? i + 15 + last : -1;
  }
  if (second === 6 && text.charCodeAt(i + 11) === sep && runAt(text, i + 12) === 5) return i + 17;
  return -1;
}

/** Appends the card numbers of `text` as flat `[start, end)` pairs (or, without `out`, stops at the first); returns whether there was one. */
function scan(text: string, out: number[] | undefined): boolean {
  let found = false;
  let i = 0;
  while (i < text.length) {
    if (!isDigit(text.charCodeAt(i))) {
      // Prose has few digits: the regex engine finds the next one faster than a loop over every character.
      NEXT_DIGIT.lastIndex = i;
      if (NEXT_DIGIT.exec(text) === null) break;
      i = NEXT_DIGIT.lastIndex - 1;
    }
    const run = runAt(text, i);
    const end = candidateEnd(text, i, run);
    if (end > 0 && luhnValid(text.slice(i, end))) {
      found = true;
      if (out === undefined) return true;
      out.push(i, end);
      i = end;
      continue;
    }
    // A rejected candidate: the next one starts at the next digit run.
    i += run;
  }
  return found;
}

/** The credit card detector; placeholder `[CREDIT_CARD]`. */
export function creditCardDetector(): Detector {
  return {
    name: "credit_card",
    placeholder: "[CREDIT_CARD]",
    // At most 22 characters (4-4-4-7 with separators); the digit run after the last is read to its end, and a run over 19 is no card.
    maxSpan: 24,
    find(text) {
      const out: number[] = [];
      scan(text, out);
      return out;
    },
    test: (text) => scan(text, undefined),
  };
}
