/**
 * Parsing with repairs, then recovery. A file that does not parse is
 * repaired one slip at a time (lang/slips.ts): each proposed repair is
 * tried with the fast parser and kept only if the first error moves
 * further into the file (or goes away), as in Burke and Fisher's
 * repair-based recovery. What no repair explains is left to chevrotain's
 * recovering parse, which reports it as it always has. So one slip gives
 * one diagnostic, with its fix, instead of a cascade.
 */
import type { CstNode, IRecognitionException, IToken } from "chevrotain";
import type { Diagnostic } from "./diagnostics.js";
import type { LineMap } from "./line-map.js";
import { parseFast, parseRecovering } from "./parser.js";
import { repairsAt } from "./slips.js";

/** Enough for every slip of a hand-written file; each costs one parse per proposal. */
const MAX_REPAIRS = 25;

export interface Recovered {
  cst: CstNode;
  /** The slips repaired, each with its fix. */
  slips: Diagnostic[];
  /** What no repair explained, from the recovering parse. */
  errors: IRecognitionException[];
}

function position(e: IRecognitionException): number {
  return Number.isFinite(e.token.startOffset) ? e.token.startOffset : Infinity;
}

/**
 * Did the repair help? The parse must now succeed, or fail later having
 * read at least one token of the text from the slip on: a repair that only
 * deletes its way to the end of the file explains nothing.
 */
function progressed(repaired: IToken[], at: number, error: IRecognitionException | undefined): boolean {
  if (!error) return true;
  const next = position(error);
  if (next <= at) return false;
  return repaired.some((t) => t.startOffset >= at && t.startOffset < next && t.endOffset! >= t.startOffset);
}

export function parseWithRepairs(tokens: IToken[], lines: LineMap): Recovered {
  let current = tokens;
  let attempt = parseFast(current);
  const slips: Diagnostic[] = [];
  for (let n = 0; attempt.error && n < MAX_REPAIRS; n++) {
    const at = position(attempt.error);
    let kept = false;
    for (const repair of repairsAt(current, attempt.error, lines)) {
      const tried = parseFast(repair.tokens);
      if (!progressed(repair.tokens, at, tried.error)) continue;
      current = repair.tokens;
      attempt = tried;
      slips.push(...repair.diagnostics);
      kept = true;
      break;
    }
    if (!kept) break;
  }
  if (!attempt.error) return { cst: attempt.cst, slips, errors: [] };
  const recovered = parseRecovering(current);
  return { cst: recovered.cst, slips, errors: recovered.errors };
}
