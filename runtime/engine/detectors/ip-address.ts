/**
 * `ip_address`: IPv4 dotted quads with every octet 0–255 (`10.0.0.1`) and
 * IPv6 addresses, full or `::`-compressed (`2001:db8::8a2e:370:7334`, `::1`).
 * A trailing sentence period does not stop a match; `1.2.3.4.5` (a version
 * number) and `12:30:45` (a time) are not addresses.
 */
import { regexDetector, type Detector } from "./detector.js";

const OCTET = String.raw`(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)`;
const V4 = String.raw`(?<![\w.])(?:${OCTET}\.){3}${OCTET}(?!\w|\.\d)`;
const V6 = String.raw`(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])`;

/** Whether a string is a valid IPv6 address in text form (no zone, no embedded IPv4). */
export function ipv6Valid(s: string): boolean {
  const halves = s.split("::");
  if (halves.length > 2) return false;
  const groups = (part: string): string[] | undefined => {
    if (part === "") return [];
    const g = part.split(":");
    return g.every((x) => /^[0-9A-Fa-f]{1,4}$/.test(x)) ? g : undefined;
  };
  const head = groups(halves[0]!);
  if (head === undefined) return false;
  if (halves.length === 1) return head.length === 8;
  const tail = groups(halves[1]!);
  if (tail === undefined) return false;
  // `::` stands for at least one zero group; an address needs at least one written group.
  return head.length + tail.length <= 7 && head.length + tail.length >= 1;
}

/** The IP address detector; placeholder `[IP_ADDRESS]`. */
export function ipAddressDetector(): Detector {
  return regexDetector({
    name: "ip_address",
    placeholder: "[IP_ADDRESS]",
    regex: new RegExp(`${V4}|${V6}`, "g"),
    validate: (c) => (c.includes(":") ? (ipv6Valid(c) ? c.length : 0) : c.length),
    // An IPv6 candidate is at most 8 groups of 4 and 7 colons (39); the end check reads two more (`.5`).
    maxSpan: 42,
  });
}
