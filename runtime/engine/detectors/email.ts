/**
 * `email`: addresses like `ana.lopez+ci@mail.example.com`. The local part
 * allows every RFC 5322 atom character (`!#$%&'*+/=?^_\`{|}~.-`), the domain
 * is dot-separated labels ending in an alphabetic top-level domain. Quoted
 * local parts and IP-literal domains are not recognised.
 */
import { regexDetector, type Detector } from "./detector.js";

const LOCAL = "A-Za-z0-9!#$%&'*+/=?^_`{|}~.\\-";

/** The email detector; placeholder `[EMAIL]`. */
export function emailDetector(): Detector {
  return regexDetector({
    name: "email",
    placeholder: "[EMAIL]",
    // Labels exclude the dot, so the label repetition has one way to split and cannot backtrack badly.
    regex: new RegExp(`(?<![${LOCAL}])[${LOCAL}]+@(?:[A-Za-z0-9-]+\\.)+[A-Za-z]{2,}(?![A-Za-z0-9-])`, "g"),
    mayMatch: (text) => text.includes("@"),
  });
}
