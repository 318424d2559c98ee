/**
 * `matches /regex/flags` as a detector: any match of the policy's own
 * pattern. The regex is compiled once; the `g` flag is added for scanning.
 */
import { regexDetector, type Detector } from "./detector.js";

/** A detector for a policy regex; placeholder `[REDACTED]`. Throws a SyntaxError for a bad pattern. */
export function patternDetector(source: string, flags: string): Detector {
  const scanFlags = flags.replace(/[gy]/g, "") + "g";
  return regexDetector({ name: `matches /${source}/${flags}`, placeholder: "[REDACTED]", regex: new RegExp(source, scanFlags) });
}
