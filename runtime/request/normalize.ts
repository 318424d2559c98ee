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
 * costs one linear scan and returns the same string; so is other text that
 * NFKC leaves alone and that has nothing to remove or fold (ICU's quick
 * check makes that a second linear scan). Otherwise the text is cut at the
 * characters to remove or fold, and only the stretches NFKC changes are
 * normalised cluster by cluster.
 */

/**
 * A normalised text and the way back to the original's offsets, as
 * segments: segment k covers the normal form from `normStart[k]` (to the
 * next segment's start) and came from the original `[origStart[k],
 * origEnd[k])`; a one-for-one segment maps character i of the one to
 * character i of the other, a whole segment maps as a block.
 */
export interface NormalizedText {
  /** The normal form. */
  readonly text: string;
  /** Undefined when the text is its own normal form. */
  readonly segments: Segments | undefined;
}

interface Segments {
  readonly normStart: number[];
  readonly origStart: number[];
  readonly origEnd: number[];
  readonly oneForOne: boolean[];
}

/** Anything outside printable ASCII, `\n` and `\r`: the texts that need a closer look. */
const NOT_PLAIN = /[^\x20-\x7e\n\r]/;
const IGNORABLE_CLASS = "\\p{Cf}\\u034f\\u115f\\u1160\\u17b4\\u17b5\\u180b-\\u180f\\u3164\\ufe00-\\ufe0f\\uffa0\\u{e0100}-\\u{e01ef}";
/** Runs of characters that render as nothing. */
const IGNORABLES = new RegExp(`[${IGNORABLE_CLASS}]+`, "gu");
/** Whitespace to fold: every `\\s` but space, `\\n`, `\\r` (and the BOM, which is removed). All are one UTF-16 unit. */
const FOLD = /[^\S \n\r\ufeff]/g;
const MARK = /^\p{M}$/u;

function fold(c: string): string {
  return c === "\u2028" || c === "\u2029" || c === "\v" || c === "\f" ? "\n" : " ";
}

/** The normal form of `s` (see the module header). */
export function normalizeText(s: string): NormalizedText {
  if (!NOT_PLAIN.test(s)) return { text: s, segments: undefined };
  // Folding is one for one, so offsets in `folded` are offsets in `s`.
  const folded = s.replace(FOLD, fold);
  IGNORABLES.lastIndex = 0;
  const anyIgnorable = IGNORABLES.test(folded);
  // Most non-ASCII prose (accented letters, CJK) is already NFKC and has nothing to remove or fold.
  if (!anyIgnorable && folded === s && s.normalize("NFKC") === s) return { text: s, segments: undefined };
  const seg: Segments = { normStart: [], origStart: [], origEnd: [], oneForOne: [] };
  let out = "";
  const emit = (t: string, from: number, to: number, oneForOne: boolean): void => {
    if (t.length === 0) return;
    seg.normStart.push(out.length);
    seg.origStart.push(from);
    seg.origEnd.push(to);
    seg.oneForOne.push(oneForOne);
    out += t;
  };
  const run = (from: number, to: number): void => {
    if (from === to) return;
    const r = folded.slice(from, to);
    if (r.normalize("NFKC") === r) emit(r, from, to, true);
    else clusters(folded, from, to, emit);
  };
  let pos = 0;
  if (anyIgnorable) {
    IGNORABLES.lastIndex = 0;
    for (let m = IGNORABLES.exec(folded); m !== null; m = IGNORABLES.exec(folded)) {
      run(pos, m.index);
      pos = m.index + m[0].length;
    }
  }
  run(pos, s.length);
  return { text: out, segments: seg };
}

/**
 * A stretch of `s` that NFKC changes, cluster by cluster: a base and its
 * combining marks normalise together (NFKC composes within the cluster),
 * each cluster's output maps to the cluster as a block.
 */
function clusters(s: string, from: number, to: number, emit: (t: string, from: number, to: number, oneForOne: boolean) => void): void {
  let i = from;
  while (i < to) {
    const c = s.charCodeAt(i);
    // Printable ASCII not followed by a possible combining mark maps to itself.
    if (c >= 0x20 && c < 0x7f && (i + 1 >= to || s.charCodeAt(i + 1) < 0x300)) {
      emit(s[i]!, i, i + 1, true);
      i++;
      continue;
    }
    const ch = String.fromCodePoint(s.codePointAt(i)!);
    let j = i + ch.length;
    while (j < to) {
      const m = String.fromCodePoint(s.codePointAt(j)!);
      if (!MARK.test(m)) break;
      j += m.length;
    }
    emit(s.slice(i, j).normalize("NFKC"), i, j, false);
    i = j;
  }
}

/** The original range `[start, end)` of the normal-form range `[from, to)` (`to > from`). */
export function originalRange(n: NormalizedText, from: number, to: number): [number, number] {
  const seg = n.segments;
  if (seg === undefined) return [from, to];
  const a = segmentOf(seg, from);
  const b = segmentOf(seg, to - 1);
  const start = seg.oneForOne[a] ? seg.origStart[a]! + (from - seg.normStart[a]!) : seg.origStart[a]!;
  const end = seg.oneForOne[b] ? seg.origStart[b]! + (to - 1 - seg.normStart[b]!) + 1 : seg.origEnd[b]!;
  return [start, end];
}

/** The last segment starting at or before normal-form index `i`. */
function segmentOf(seg: Segments, i: number): number {
  let lo = 0;
  let hi = seg.normStart.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (seg.normStart[mid]! <= i) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
