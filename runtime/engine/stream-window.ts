/**
 * The hold-back window of one output rule over one streamed text: text is
 * appended as it arrives and comes out as soon as no match that could still
 * change is in it. Pure.
 *
 * Every detector declares the longest stretch of text that decides one of
 * its matches (`Detector.maxSpan`, normal-form characters); the window
 * holds that much (`hold`, the rule's largest) at the end of the text, plus
 * whatever a match found before it still covers. Everything before is
 * settled: the same matches as in the whole text, because a match starting
 * there ends, and is decided, inside what has arrived. Matches are found on
 * the normal form of the settled text's last `hold` characters (kept as
 * left context, never released twice) plus what is pending, exactly as
 * redaction does (redact.ts), and mapped back to the original characters.
 *
 * Memory is bounded by the window, not the stream: at most `2 × hold`
 * characters of context and pending text, and pending text longer than
 * `MAX_PENDING_FACTOR × hold` (only text that normalises to almost nothing,
 * such as a run of zero-width characters) is settled anyway.
 */
import { normalizeText, originalRange, type NormalizedText } from "../request/index.js";
import type { Detector } from "./detectors/index.js";
import { redactionSpans } from "./redact.js";

/** Pending text this many windows long is settled even though its normal form is shorter than the window. */
const MAX_PENDING_FACTOR = 16;

/** A settled stretch of the original text and its redactions, as flat `start, end, detector` triples relative to it. */
export interface Settled {
  readonly text: string;
  readonly spans: readonly number[];
}

const NOTHING: Settled = Object.freeze({ text: "", spans: Object.freeze([]) });

export class StreamWindow {
  /** Settled text kept to give the next matches their left context. */
  private left = "";
  private pending = "";
  /** Pending text is settled in steps of at least this many characters, so a stream of one-character deltas is not scanned per character. */
  private readonly step: number;

  constructor(
    private readonly detectors: readonly Detector[],
    /** Normal-form characters held back at the end. */
    readonly hold: number,
  ) {
    this.step = Math.max(32, hold >> 3);
  }

  /** Characters held now (pending, not yet released). */
  get held(): number {
    return this.pending.length;
  }

  /** Appends `text`; returns what is settled. With `final`, the text has ended and everything is. */
  push(text: string, final: boolean): Settled {
    this.pending += text;
    if (this.pending === "") return NOTHING;
    if (!final && this.pending.length < this.hold + this.step) return NOTHING;
    const window = this.left + this.pending;
    const base = this.left.length;
    const view = normalizeText(window);
    let cut = final ? window.length : originalIndex(view, window.length, view.text.length - this.hold);
    const forced = !final && window.length - cut > MAX_PENDING_FACTOR * this.hold;
    if (forced) cut = window.length - MAX_PENDING_FACTOR * this.hold;
    if (cut <= base) return NOTHING;
    const all = redactionSpans(this.detectors, view);
    const spans: number[] = [];
    for (let i = 0; i < all.length; i += 3) {
      const start = all[i]!;
      const end = all[i + 1]!;
      // A match starting in the context was decided (and released) before; one the context's cut edge made up is not in the whole text.
      if (start < base) continue;
      if (start >= cut) break;
      if (end > cut) {
        // Not decided yet: it is released with what comes after it. A forced cut takes it whole instead.
        if (forced) cut = end;
        else {
          cut = start;
          break;
        }
      }
      spans.push(start - base, end - base, all[i + 2]!);
    }
    if (cut <= base) return NOTHING;
    const settled = window.slice(base, cut);
    this.pending = window.slice(cut);
    this.left = window.slice(Math.max(0, cut - this.hold), cut);
    return { text: settled, spans };
  }
}

/** The original offset where normal-form character `n` starts, clamped to the text (a composed character's whole cluster). */
function originalIndex(view: NormalizedText, length: number, n: number): number {
  if (n <= 0) return 0;
  if (n >= view.text.length) return length;
  return view.segments === undefined ? n : originalRange(view, n, n + 1)[0];
}
