/**
 * The normalised form guardrail detectors and `matches` conditions read, so
 * that invisible or look-alike characters cannot hide a secret from them:
 *
 * - characters that render as nothing are removed: format characters
 *   (`\p{Cf}`: zero-width space, joiners, soft hyphen, bidi controls, BOM,
 *   tag characters), variation selectors, the combining grapheme joiner and
 *   the Hangul fillers;
 * - every whitespace character is folded, one for one: line and paragraph
 *   separators, vertical tab and form feed to `\n`, every other (NBSP, the
 *   U+2000 spaces, ideographic space, tab …) to a space; `\n` and `\r` stay;
 * - the rest is NFKC: fullwidth and other compatibility forms become their
 *   plain letters and digits (`ａｎａ＠ｅｘａｍｐｌｅ．ｃｏｍ` reads as an email),
 *   combining sequences compose.
 *
 * Redaction never edits this form: each normalised character remembers the
 * range of original characters it came from, and {@link originalRange} maps
 * a match back, so the redaction removes the original characters (the
 * invisible ones inside the match included) and leaves the rest untouched.
 *
 * Plain printable ASCII (with `\n`, `\r`) is its own normal form: that case
 * costs one linear scan and returns the same string.
 */

/** A normalised text and the way back to the original's offsets. */
export interface NormalizedText {
  /** The normal form. */
  readonly text: string;
  /** For normal-form index i, where its original characters start and end; both undefined when the text is unchanged. */
  readonly starts: readonly number[] | undefined;
  readonly ends: readonly number[] | undefined;
}

/** Anything outside printable ASCII, `\n` and `\r`: the texts that need the slow path. */
const NOT_PLAIN = /[^\x20-\x7e\n\r]/;
/** Characters that render as nothing (see the module header). */
const IGNORABLE = /^[\p{Cf}\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u3164\ufe00-\ufe0f\uffa0\u{e0100}-\u{e01ef}]$/u;
const MARK = /^\p{M}$/u;
const WHITESPACE = /^\s$/u;

/** The normal form of `s` (see the module header). */
export function normalizeText(s: string): NormalizedText {
  if (!NOT_PLAIN.test(s)) return { text: s, starts: undefined, ends: undefined };
  let out = "";
  const starts: number[] = [];
  const ends: number[] = [];
  const emit = (t: string, from: number, to: number): void => {
    out += t;
    for (let k = 0; k < t.length; k++) {
      starts.push(from);
      ends.push(to);
    }
  };
  let i = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    // Printable ASCII not followed by a possible combining mark maps to itself.
    if (c >= 0x20 && c < 0x7f && (i + 1 >= s.length || s.charCodeAt(i + 1) < 0x300)) {
      emit(s[i]!, i, i + 1);
      i++;
      continue;
    }
    const cp = s.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    const next = i + ch.length;
    if (IGNORABLE.test(ch)) {
      i = next;
      continue;
    }
    if (ch === "\n" || ch === "\r") {
      emit(ch, i, next);
      i = next;
      continue;
    }
    if (WHITESPACE.test(ch)) {
      emit(cp === 0x2028 || cp === 0x2029 || cp === 0x0b || cp === 0x0c ? "\n" : " ", i, next);
      i = next;
      continue;
    }
    // A base and its combining marks normalise together (NFKC composes within the cluster); ignorables inside are dropped.
    let cluster = ch;
    let j = next;
    while (j < s.length) {
      const m = String.fromCodePoint(s.codePointAt(j)!);
      if (IGNORABLE.test(m)) j += m.length;
      else if (MARK.test(m)) {
        cluster += m;
        j += m.length;
      } else break;
    }
    emit(cluster.normalize("NFKC"), i, j);
    i = j;
  }
  return { text: out, starts, ends };
}

/** The original range `[start, end)` of the normal-form range `[from, to)` (`to > from`). */
export function originalRange(n: NormalizedText, from: number, to: number): [number, number] {
  if (n.starts === undefined || n.ends === undefined) return [from, to];
  return [n.starts[from]!, n.ends[to - 1]!];
}
