/**
 * Redaction before truncation: a provider key placed at every offset
 * around the cut (and around the end of a body read only up to a limit)
 * never survives in part — not one run of 6 or more of its characters.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { redactedPrefix } from "../../runtime/providers/redact.js";

const KEY = "Zq7uXw2PbL9mR4tYcV8nK3sD6fH1jG5a";
const MAX = 200;

/** Every run of 6 characters of the key found in `text`. */
function leaks(text: string, key: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 6 <= key.length; i++) if (text.includes(key.slice(i, i + 6))) out.push(key.slice(i, i + 6));
  return out;
}

describe("redactedPrefix", () => {
  it("leaves no part of a key at any offset around the cut", () => {
    for (let at = MAX - KEY.length - 2; at <= MAX + 2; at++) {
      const text = "x".repeat(at) + KEY + " trailing words";
      const out = redactedPrefix(text, MAX, [KEY]);
      expect(leaks(out, KEY), `key at ${at}`).toEqual([]);
      expect(out.length).toBeLessThanOrEqual(MAX + "[redacted]".length);
    }
  });

  it("leaves no part of a key cut off by the read limit", () => {
    for (let keep = 1; keep < KEY.length; keep++) {
      const out = redactedPrefix("y".repeat(50) + KEY.slice(0, keep), MAX, [KEY], true);
      expect(leaks(out, KEY), `first ${keep} characters`).toEqual([]);
    }
  });

  it("holds for any text, key position, limit and key-shaped tokens (property)", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.nat(300), fc.integer({ min: 1, max: 320 }), fc.boolean(), (pad, at, max, readCut) => {
        const text = pad.slice(0, at) + KEY + pad.slice(at);
        const read = readCut ? text.slice(0, Math.min(text.length, at + (max % KEY.length))) : text;
        expect(leaks(redactedPrefix(read, max, [KEY], readCut), KEY)).toEqual([]);
      }),
      { numRuns: 2000 },
    );
  });

  it("keeps ordinary text whole when nothing was cut", () => {
    expect(redactedPrefix("rate limited, try later", MAX, [KEY])).toBe("rate limited, try later");
    expect(redactedPrefix(`bad key ${KEY}`, MAX, [KEY])).toBe("bad key [redacted]");
  });

  it("masks a key-shaped token cut short", () => {
    expect(redactedPrefix("Incorrect API key provided: sk-pro", 100, [], true)).toBe("Incorrect API key provided: [redacted]");
  });
});
