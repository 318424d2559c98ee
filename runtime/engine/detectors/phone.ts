/**
 * `phone`: telephone numbers written the way people write them.
 * - international: `+` country code then groups (`+44 20 7946 0958`,
 *   `+1-415-555-2671`, `+14155552671`, `+33 (0)1 23 45 67 89`), 8 to 15 digits;
 * - North American: `(415) 555-2671`, `415-555-2671`, `415.555.2671`,
 *   `415 555 2671`, optionally after `1-`.
 * A bare run of digits without `+` or separators is not a phone number
 * (too many order numbers and ids look like one).
 */
import { digitCount, regexDetector, type Detector } from "./detector.js";

const INTL = String.raw`\+\d{1,3}(?:[ .\-]?(?:\(\d{1,4}\)|\d{1,4})){1,7}`;
const NANP = String.raw`(?:1[ .\-])?(?:\(\d{3}\) ?|\d{3}[ .\-])\d{3}[ .\-]\d{4}`;

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

/** The phone detector; placeholder `[PHONE]`. */
export function phoneDetector(): Detector {
  return regexDetector({
    name: "phone",
    placeholder: "[PHONE]",
    regex: new RegExp(String.raw`(?<![\w+])(?:${INTL}|${NANP})(?![\w])`, "g"),
    validate,
  });
}
