/**
 * `email`: addresses like `ana.lopez+ci@mail.example.com`. The local part
 * allows every RFC 5322 atom character (`!#$%&'*+/=?^_\`{|}~.-`), the domain
 * is dot-separated labels ending in an alphabetic top-level domain. Quoted
 * local parts and IP-literal domains are not recognised.
 *
 * An address is at most 254 characters (RFC 5321): a local part of at most
 * 64 (a longer run of local-part characters before the `@` gives its last
 * 64) and a domain of at most 253 with labels of at most 63. The bound is
 * what lets a stream be inspected with a bounded hold-back
 * (`Detector.maxSpan`).
 *
 * The scan starts from each `@` rather than running a regex over the whole
 * text: a regex would try every position of every word as the start of a
 * local part (~5 µs per KB of prose), while from an `@` the start is found
 * by walking back, and a sticky regex checks the address from there. The
 * matches are the same: the longest local part (up to 64) not running on
 * into the previous match, the domain as the regex
 * `[LOCAL]{1,64}@(?:[A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,63}(?![A-Za-z0-9-])`
 * takes it, kept when the address is at most 254 characters.
 */
import type { Detector } from "./detector.js";

/** RFC 5321's limits: a local part, a whole address. */
const MAX_LOCAL = 64;
const MAX_ADDRESS = 254;
const LOCAL_CHARS = "A-Za-z0-9!#$%&'*+/=?^_`{|}~.\\-";
/** Which ASCII codes may be in a local part (a table: this runs for every character walked back over). */
const LOCAL = new Uint8Array(128);
for (let c = 0; c < 128; c++) LOCAL[c] = new RegExp(`[${LOCAL_CHARS}]`).test(String.fromCharCode(c)) ? 1 : 0;
// Labels exclude the dot, so the label repetition has one way to split and cannot backtrack badly.
const ADDRESS = new RegExp(`[${LOCAL_CHARS}]{1,${MAX_LOCAL}}@(?:[A-Za-z0-9-]{1,63}\\.)+[A-Za-z]{2,63}(?![A-Za-z0-9-])`, "y");

/** Whether the character at `i` may be part of a local part. */
const isLocal = (text: string, i: number): boolean => {
  const c = text.charCodeAt(i);
  return c < 128 && LOCAL[c] === 1;
};

/**
 * Appends the addresses of `text` to `out` as flat `[start, end)` pairs (or,
 * without `out`, stops at the first); returns whether there was one.
 */
function scan(text: string, out: number[] | undefined): boolean {
  let found = false;
  let from = 0; // the end of the previous match: matches never overlap
  for (let at = text.indexOf("@"); at >= 0; at = text.indexOf("@", Math.max(at + 1, from))) {
    let start = at;
    while (start > from && at - start < MAX_LOCAL && isLocal(text, start - 1)) start--;
    // No local part, or one running on into the previous match (not preceded by a non-local character).
    if (start === at || (start === from && start > 0 && isLocal(text, start - 1))) continue;
    ADDRESS.lastIndex = start;
    const m = ADDRESS.exec(text);
    // The domain's label repetition is bounded by this check, not the regex: a longer address is not one.
    if (m === null || m[0].length > MAX_ADDRESS) continue;
    found = true;
    if (out === undefined) break;
    from = start + m[0].length;
    out.push(start, from);
  }
  ADDRESS.lastIndex = 0;
  return found;
}

/** The email detector; placeholder `[EMAIL]`. */
export function emailDetector(): Detector {
  return {
    name: "email",
    placeholder: "[EMAIL]",
    // An address, and beyond it a label the domain's last-label search may read before giving up, and the end check's character.
    maxSpan: MAX_ADDRESS + 65,
    find(text) {
      const out: number[] = [];
      scan(text, out);
      return out;
    },
    test: (text) => scan(text, undefined),
  };
}
