/**
 * The detector contract shared by every built-in and user detector, and the
 * regex-plus-validator helper most of them are made of. Detectors are
 * compiled once (at prepare time) and are safe to reuse: a global regex's
 * `lastIndex` is reset before every scan and nothing else is kept between calls.
 */

/** Finds one kind of sensitive content in a text. */
export interface Detector {
  /** How reports name it: `email`, `matches /secret/i`, `deny`. */
  readonly name: string;
  /** What `redact` puts in place of a match: `[EMAIL]`, `[REDACTED]`. */
  readonly placeholder: string;
  /**
   * The longest stretch of text (normal-form UTF-16 units) that decides one
   * match: the match itself and whatever it reads after it (a lookahead).
   * A stream is held back this much (runtime/engine/stream-guard.ts);
   * undefined for a pattern with no bound, which cannot inspect a stream.
   */
  readonly maxSpan: number | undefined;
  /** Match ranges in order, non-overlapping, flat: `[start0, end0, start1, end1, …]` (ends exclusive). */
  find(text: string): number[];
  /** Whether the text holds at least one match (stops at the first). */
  test(text: string): boolean;
}

/**
 * Checks a regex candidate and says how much of it is a real match: its
 * length for a full match, a shorter length to keep only a prefix, or 0 to
 * reject it (the scan then resumes one character after the candidate's start).
 */
export type Validate = (candidate: string) => number;

/** What `regexDetector` builds a detector from. */
export interface RegexDetectorSpec {
  name: string;
  placeholder: string;
  /** Must have the `g` flag. */
  regex: RegExp;
  validate?: Validate;
  /** A cheap test that rules the detector out without running the regex (e.g. no `@`, no email). */
  mayMatch?: (text: string) => boolean;
  /** See {@link Detector.maxSpan}. */
  maxSpan: number | undefined;
}

/** A detector from a global regex and an optional validator (Luhn, mod-97, …). */
export function regexDetector(spec: RegexDetectorSpec): Detector {
  const { name, placeholder, regex, validate, mayMatch, maxSpan } = spec;
  if (!regex.global) throw new Error(`detector \`${name}\`: the regex needs the g flag`);
  function scan(text: string, out: number[] | undefined): boolean {
    if (mayMatch !== undefined && !mayMatch(text)) return false;
    let found = false;
    regex.lastIndex = 0;
    for (;;) {
      const m = regex.exec(text);
      if (m === null) break;
      const start = m.index;
      const candidate = m[0];
      if (candidate.length === 0) {
        // An empty match finds nothing to report; step over it so the scan ends.
        regex.lastIndex = start + 1;
        continue;
      }
      const keep = validate === undefined ? candidate.length : validate(candidate);
      if (keep <= 0) {
        regex.lastIndex = start + 1;
        continue;
      }
      found = true;
      if (out === undefined) break;
      out.push(start, start + keep);
      regex.lastIndex = start + keep;
    }
    regex.lastIndex = 0;
    return found;
  }
  return {
    name,
    placeholder,
    maxSpan,
    find(text) {
      const out: number[] = [];
      scan(text, out);
      return out;
    },
    test: (text) => scan(text, undefined),
  };
}

/** Count of ASCII digits in a string. */
export function digitCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) n++;
  }
  return n;
}
