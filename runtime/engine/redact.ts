/**
 * Redaction: replace every match of a set of detectors with the detector's
 * placeholder. Matches of different detectors may overlap (an international
 * phone number running on into the card number after it): overlapping
 * matches are merged into one redaction, so nothing of either survives, and
 * it takes the placeholder of the match that starts first (the longest, then
 * the detector listed first, on a tie). A text with no match is returned as
 * the very same string, so redaction can never alter clean text.
 *
 * Detectors read the text's normal form (runtime/request/normalize.ts:
 * NFKC, invisible characters removed, whitespace folded), so a zero-width
 * space or fullwidth digits cannot hide a match; the match is mapped back
 * and the original characters are replaced, invisible ones included.
 */
import { normalizeText, originalRange, type NormalizedText } from "../request/index.js";
import type { Detector } from "./detectors/index.js";

/** A redacted text and what was replaced. */
export interface Redaction {
  text: string;
  /** Matches replaced, per detector index. */
  counts: number[];
  /** Total matches replaced. */
  total: number;
}

/**
 * The redactions of a text, in order and merged: flat triples `start, end,
 * detector index` in the original text's offsets, none overlapping (an
 * overlap is widened into the match that starts first). `view` is the
 * text's normal form. A stream's window (stream-guard.ts) reads these too.
 */
export function redactionSpans(detectors: readonly Detector[], view: NormalizedText): number[] {
  // Flat triples: start, end, detector index.
  const spans: number[] = [];
  for (let d = 0; d < detectors.length; d++) {
    const found = detectors[d]!.find(view.text);
    for (let i = 0; i < found.length; i += 2) {
      const [start, end] = originalRange(view, found[i]!, found[i + 1]!);
      spans.push(start, end, d);
    }
  }
  if (spans.length === 0) return spans;
  const order: number[] = [];
  for (let i = 0; i < spans.length; i += 3) order.push(i);
  order.sort((a, b) => spans[a]! - spans[b]! || spans[b + 1]! - spans[a + 1]! || spans[a + 2]! - spans[b + 2]!);
  const merged: number[] = [];
  let pos = 0;
  for (const i of order) {
    const start = spans[i]!;
    const end = spans[i + 1]!;
    if (start < pos) {
      // Overlaps the redaction just kept: widen it instead of leaving a tail behind.
      if (end > pos) merged[merged.length - 2] = pos = end;
      continue;
    }
    merged.push(start, end, spans[i + 2]!);
    pos = end;
  }
  return merged;
}

/** Redacts `text` with `detectors`; `view` is its normal form when the caller already has it. */
export function redactText(text: string, detectors: readonly Detector[], view: NormalizedText = normalizeText(text)): Redaction {
  const counts = detectors.map(() => 0);
  const spans = redactionSpans(detectors, view);
  if (spans.length === 0) return { text, counts, total: 0 };
  let out = "";
  let pos = 0;
  for (let i = 0; i < spans.length; i += 3) {
    const d = spans[i + 2]!;
    out += text.slice(pos, spans[i]!) + detectors[d]!.placeholder;
    pos = spans[i + 1]!;
    counts[d]!++;
  }
  out += text.slice(pos);
  return { text: out, counts, total: spans.length / 3 };
}
