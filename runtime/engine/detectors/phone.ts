/**
 * `phone`: telephone numbers written the way people write them.
 * - international: `+` country code then groups (`+44 20 7946 0958`,
 *   `+1-415-555-2671`, `+14155552671`, `+33 (0)1 23 45 67 89`), 8 to 15 digits;
 * - North American: `(415) 555-2671`, `415-555-2671`, `415.555.2671`,
 *   `415 555 2671`, optionally after `1-`.
 * A bare run of digits without `+` or separators is not a phone number
 * (too many order numbers and ids look like one).
 *
 * Runs in time linear in the text. The international form used to be the
 * regex `\+\d{1,3}(?:[ .\-]?(?:\(\d{1,4}\)|\d{1,4})){1,7}(?!\w)`, whose
 * groups split a digit run in thousands of ways: a `+` before a long digit
 * run ending in a letter (`+1111…1a`) cost each such `+` that many tries, and
 * 300 KB of them seconds of CPU. The same language is now scanned by hand
 * (`intlEnd`): a digit run of length L is at least ⌈L/4⌉ groups, so whether
 * an end is reachable within 7 groups is a running sum, and the candidate is
 * the longest reachable end, as the regex took it (test/engine/detectors
 * checks both agree). The North American form is a fixed-length regex.
 */
import { digitCount, type Detector } from "./detector.js";

const NANP = new RegExp(String.raw`(?<![\w+])(?:1[ .\-])?(?:\(\d{3}\) ?|\d{3}[ .\-])\d{3}[ .\-]\d{4}(?!\w)`, "g");

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
/** `\w`: ASCII letters, digits and `_`. */
const isWord = (c: number): boolean => isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isSep = (c: number): boolean => c === 32 || c === 46 || c === 45;
/** Most groups a match has after the country code. */
const MAX_GROUPS = 7;

/** Length of the digit run at `i`, counted no further than `cap`. */
function digitRun(text: string, i: number, cap: number): number {
  let n = 0;
  while (n <= cap && i + n < text.length && isDigit(text.charCodeAt(i + n))) n++;
  return n;
}

/**
 * The end of the longest international candidate starting with the `+` at
 * `s`, or -1: `+`, one to three digits, then one to seven groups (an optional
 * `[ .-]` and 1–4 digits or `(` 1–4 digits `)`), not followed by `\w`.
 */
function intlEnd(text: string, s: number): number {
  if (s > 0) {
    const before = text.charCodeAt(s - 1);
    if (isWord(before) || before === 43) return -1;
  }
  const cap = 3 + 4 * MAX_GROUPS + 1;
  const first = digitRun(text, s + 1, cap);
  if (first === 0) return -1;
  // Fewest groups the digits so far need (the country code takes up to three), and whether any group is possible.
  let groups = Math.ceil(Math.max(0, first - 3) / 4);
  let anyGroup = first >= 2;
  let at = s + 1 + first;
  let best = -1;
  const endsHere = (p: number): boolean => p >= text.length || !isWord(text.charCodeAt(p));
  if (groups <= MAX_GROUPS && anyGroup && endsHere(at)) best = at;
  while (groups <= MAX_GROUPS) {
    let start = at;
    if (start < text.length && isSep(text.charCodeAt(start))) start++;
    if (start >= text.length) break;
    const c = text.charCodeAt(start);
    if (isDigit(c)) {
      const run = digitRun(text, start, cap);
      groups += Math.ceil(run / 4);
      at = start + run;
    } else if (c === 40) {
      const run = digitRun(text, start + 1, 4);
      if (run === 0 || run > 4 || text.charCodeAt(start + 1 + run) !== 41) break;
      groups += 1;
      at = start + run + 2;
    } else break;
    anyGroup = true;
    if (groups <= MAX_GROUPS && endsHere(at)) best = at;
  }
  return best;
}

/**
 * The longest prefix of an international candidate, ending after a digit
 * group, that has 8 to 15 digits; so a number followed by more digit groups
 * keeps the number instead of being rejected whole.
 */
function validate(candidate: string): number {
  if (candidate[0] !== "+") return digitCount(candidate) === 10 || digitCount(candidate) === 11 ? candidate.length : 0;
  let digits = 0;
  let best = 0;
  for (let i = 0; i < candidate.length; i++) {
    const c = candidate.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      digits++;
      const next = candidate.charCodeAt(i + 1);
      const groupEnds = !(next >= 48 && next <= 57);
      if (groupEnds && digits >= 8 && digits <= 15) best = candidate[i + 1] === ")" ? i + 2 : i + 1;
      if (digits > 15) break;
    }
  }
  return best;
}

/**
 * Appends the numbers of `text` to `out` as flat `[start, end)` pairs (or,
 * without `out`, stops at the first); returns whether there was one. The
 * leftmost candidate of either form is taken first, as one alternation would.
 */
function scan(text: string, out: number[] | undefined): boolean {
  let found = false;
  let from = 0;
  let plus = text.indexOf("+");
  let intl = -1; // end of the international candidate at `plus`, once computed
  let nanp: RegExpExecArray | null | undefined;
  for (;;) {
    while (plus >= 0 && plus < from) plus = text.indexOf("+", from);
    while (plus >= 0 && (intl = intlEnd(text, plus)) < 0) plus = text.indexOf("+", plus + 1);
    if (nanp === undefined || (nanp !== null && nanp.index < from)) {
      NANP.lastIndex = from;
      nanp = NANP.exec(text);
    }
    let start: number;
    let candidate: string;
    if (plus >= 0 && (nanp === null || plus < nanp.index)) {
      start = plus;
      candidate = text.slice(plus, intl);
    } else if (nanp !== null) {
      start = nanp.index;
      candidate = nanp[0];
    } else break;
    const keep = validate(candidate);
    if (keep <= 0) {
      from = start + 1;
      continue;
    }
    found = true;
    if (out === undefined) break;
    out.push(start, start + keep);
    from = start + keep;
  }
  NANP.lastIndex = 0;
  return found;
}

/** The phone detector; placeholder `[PHONE]`. */
export function phoneDetector(): Detector {
  return {
    name: "phone",
    placeholder: "[PHONE]",
    // A candidate is at most `+`, 31 digits, 7 separators and parentheses (~53); a digit run is read up to 33 past a group's start.
    maxSpan: 96,
    find(text) {
      const out: number[] = [];
      scan(text, out);
      return out;
    },
    test: (text) => scan(text, undefined),
  };
}
