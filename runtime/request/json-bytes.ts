/**
 * The UTF-8 byte length of a JSON value's `JSON.stringify` text, without
 * building the text. The budget's bound (runtime/budget/cost.ts) measures
 * every request this way: on Node 20's V8, serialising a 1 KB chat body
 * costs ~10 µs, walking it costs well under one, and the number is the
 * same (test/request/json-bytes.test.ts checks it against `JSON.stringify`
 * for any JSON value). Pure.
 *
 * Only what JSON data holds is measured: strings, finite and non-finite
 * numbers, booleans, null, arrays and plain objects (as `JSON.parse` makes
 * them and the codecs build them); `undefined` members are skipped as
 * `JSON.stringify` skips them, and are `null` in arrays.
 */

/** A string needs the slow count when it holds a character JSON escapes or that is more than one UTF-8 byte. */
const NOT_PLAIN = /[\u0000-\u001f"\\\u007f-\uffff]/;

/** `Buffer.byteLength(JSON.stringify(value))` for JSON data; 0 for `undefined` (which has no text). */
export function jsonBytes(value: unknown): number {
  switch (typeof value) {
    case "string":
      return stringBytes(value);
    case "number":
      return Number.isFinite(value) ? String(value).length : 4;
    case "boolean":
      return value ? 4 : 5;
    case "object": {
      if (value === null) return 4;
      if (Array.isArray(value)) {
        let n = 2 + Math.max(0, value.length - 1);
        for (const v of value) n += v === undefined || typeof v === "function" ? 4 : jsonBytes(v);
        return n;
      }
      let n = 2;
      let members = 0;
      for (const k in value) {
        if (!Object.hasOwn(value, k)) continue;
        const v = (value as Record<string, unknown>)[k];
        if (v === undefined || typeof v === "function") continue;
        n += stringBytes(k) + 1 + jsonBytes(v);
        members++;
      }
      return n + Math.max(0, members - 1);
    }
    default:
      return 0;
  }
}

/** The bytes of `s` as a JSON string literal, quotes included. */
function stringBytes(s: string): number {
  if (!NOT_PLAIN.test(s)) return s.length + 2;
  let n = 2;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20) n += c === 8 || c === 9 || c === 10 || c === 12 || c === 13 ? 2 : 6;
    else if (c === 0x22 || c === 0x5c) n += 2;
    else if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const d = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 6; // a lone high surrogate: \udXXX
    } else if (c >= 0xdc00 && c <= 0xdfff) n += 6; // a lone low surrogate
    else n += 3;
  }
  return n;
}
