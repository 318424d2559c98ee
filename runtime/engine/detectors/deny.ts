/**
 * `deny ["word", "two words"]`: any listed word or phrase, case-insensitive,
 * as a whole word (not inside a longer word: `deny ["ass"]` does not match
 * `class`). Letters and digits of every script count as word characters.
 */
import { regexDetector, type Detector } from "./detector.js";

function escape(word: string): string {
  return word.replace(/[\\^$.*+?()[\]{}|\/]/g, "\\$&");
}

/** A detector for a deny list; placeholder `[REDACTED]`. An empty list never matches. */
export function denyDetector(words: readonly string[]): Detector {
  const list = [...new Set(words.map((w) => w.trim()).filter((w) => w !== ""))]
    // Longer first, so `credit card` wins over `credit` at the same position.
    .sort((a, b) => b.length - a.length)
    .map(escape);
  const source = list.length === 0 ? "(?!)" : String.raw`(?<![\p{L}\p{N}_])(?:${list.join("|")})(?![\p{L}\p{N}_])`;
  // Case folding can turn one UTF-16 unit into two (and back), and the end check reads one code point.
  const longest = list.reduce((n, w) => Math.max(n, w.length), 0);
  return regexDetector({ name: "deny", placeholder: "[REDACTED]", regex: new RegExp(source, "giu"), maxSpan: 2 * longest + 2 });
}
