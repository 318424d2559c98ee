/**
 * `matches /regex/flags` as a detector: any match of the policy's own
 * pattern, run on the linear-time engine (compiler/linear-regex.ts) so no
 * text makes it slow. Compiled once.
 */
import { compileLinear } from "../../../compiler/linear-regex.js";
import { regexMaxLength } from "../../../compiler/regex-span.js";
import type { Detector } from "./detector.js";

/**
 * A detector for a policy regex; placeholder `[REDACTED]`. Throws a
 * SyntaxError for a bad or unsupported pattern. Its `maxSpan` is the
 * regex's longest match (plus the character a `$` or `\b` reads after it),
 * else `window` (the guardrail's `window N`), else unbounded.
 */
export function patternDetector(source: string, flags: string, window?: number): Detector {
  const re = compileLinear(source, flags);
  function scan(text: string, out: number[] | undefined): boolean {
    let found = false;
    for (let from = 0; from <= text.length; ) {
      const m = re.find(text, from);
      if (m === undefined) break;
      const [start, end] = m;
      if (end === start) {
        // An empty match finds nothing to report; step over it so the scan ends.
        from = start + 1;
        continue;
      }
      found = true;
      if (out === undefined) break;
      out.push(start, end);
      from = end;
    }
    return found;
  }
  return {
    name: `matches /${source}/${flags}`,
    placeholder: "[REDACTED]",
    maxSpan: spanOf(source, flags, window),
    find(text) {
      const out: number[] = [];
      scan(text, out);
      return out;
    },
    test: (text) => scan(text, undefined),
  };
}

function spanOf(source: string, flags: string, window: number | undefined): number | undefined {
  const longest = regexMaxLength(source, flags) ?? window;
  return longest === undefined ? undefined : longest + 2;
}
