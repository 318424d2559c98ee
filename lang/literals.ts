/**
 * Decoding literal tokens: string escapes and quantity units. Returns values
 * plus diagnostics; an undecodable literal still yields a usable value so the
 * rest of the file keeps being checked.
 */
import type { Unit } from "./ast.js";
import { diagnostic, type Diagnostic } from "./diagnostics.js";
import type { Span } from "./span.js";

const ESCAPES: Record<string, string> = { '"': '"', "\\": "\\", n: "\n", t: "\t", r: "\r", "/": "/" };

/** Decodes a string literal's image (quotes included). */
export function decodeString(image: string, span: Span, diagnostics: Diagnostic[]): string {
  const body = image.slice(1, -1);
  // most strings have no escapes: nothing to decode
  if (!body.includes("\\")) return body;
  let out = "";
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== "\\") {
      out += c;
      continue;
    }
    const next = body[i + 1] ?? "";
    if (next === "u") {
      const m = /^\{([0-9A-Fa-f]{1,6})\}/.exec(body.slice(i + 2));
      const code = m ? parseInt(m[1]!, 16) : NaN;
      if (m && code <= 0x10ffff) {
        out += String.fromCodePoint(code);
        i += 2 + m[0].length - 1;
        continue;
      }
      diagnostics.push(diagnostic("P003", "bad unicode escape, expected `\\u{…}` with 1 to 6 hex digits", span));
      i++;
      continue;
    }
    const decoded = ESCAPES[next];
    if (decoded === undefined) {
      diagnostics.push(
        diagnostic("P003", `unknown escape \`\\${next}\` in string`, span, {
          help: 'the escapes are \\" \\\\ \\n \\t \\r and \\u{…}',
        }),
      );
      out += next;
    } else out += decoded;
    i++;
  }
  return out;
}

const QUANTITY = /^(\$)?(\d+(?:\.\d+)?)([A-Za-z%$]*)(?:\/([A-Za-z]+))?$/;

const PLAIN_UNITS: Record<string, { unit: Unit; factor: number }> = {
  "": { unit: "number", factor: 1 },
  ms: { unit: "duration", factor: 1 },
  s: { unit: "duration", factor: 1000 },
  m: { unit: "duration", factor: 60_000 },
  h: { unit: "duration", factor: 3_600_000 },
  d: { unit: "duration", factor: 86_400_000 },
  k: { unit: "tokens", factor: 1000 },
  M: { unit: "tokens", factor: 1_000_000 },
  "%": { unit: "percent", factor: 1 },
  B: { unit: "bytes", factor: 1 },
  KB: { unit: "bytes", factor: 1024 },
  MB: { unit: "bytes", factor: 1024 * 1024 },
  GB: { unit: "bytes", factor: 1024 * 1024 * 1024 },
  $: { unit: "money", factor: 1 },
};

/** Per how many tokens a price is written; normalised to dollars per million tokens. */
const PRICE_PER: Record<string, number> = { Mtok: 1, ktok: 1000, tok: 1_000_000 };

const UNIT_HELP = "units are ms s m h d (durations), k M (tokens), % (percent), KB MB GB (bytes), $ (money), $…/Mtok (prices) and 5xx (status classes)";

/** Interprets a quantity literal such as `30s`, `$2.50/Mtok` or `5xx`. */
export function decodeQuantity(raw: string, span: Span, diagnostics: Diagnostic[]): { unit: Unit; value: number } {
  const m = QUANTITY.exec(raw);
  if (!m) {
    diagnostics.push(diagnostic("P004", `cannot read \`${raw}\` as a number with a unit`, span, { help: UNIT_HELP }));
    return { unit: "number", value: 0 };
  }
  const [, dollar, digits, suffix = "", per] = m;
  const n = Number(digits);
  if (dollar) {
    if (suffix === "" && per === undefined) return { unit: "money", value: n };
    if (suffix === "" && per !== undefined && PRICE_PER[per] !== undefined) return { unit: "price", value: round(n * PRICE_PER[per]!) };
    const meant = suffix === "" && per !== undefined ? Object.keys(PRICE_PER).find((p) => p.toLowerCase() === per.toLowerCase()) : undefined;
    if (meant) return misspelt(raw, `$${digits}/${meant}`, span, diagnostics, { unit: "price", value: round(n * PRICE_PER[meant]!) });
    diagnostics.push(
      diagnostic("P004", `unknown unit in \`${raw}\``, span, { help: "money is written $200 and prices $2.50/Mtok, $0.002/ktok or $0.000001/tok" }),
    );
    return { unit: per !== undefined ? "price" : "money", value: n };
  }
  if (per !== undefined) {
    const unit = Object.keys(PRICE_PER).find((p) => p.toLowerCase() === per.toLowerCase());
    if (unit && suffix === "") return misspelt(raw, `$${digits}/${unit}`, span, diagnostics, { unit: "price", value: round(n * PRICE_PER[unit]!) });
    diagnostics.push(diagnostic("P004", `unknown unit in \`${raw}\``, span, { help: "prices start with a dollar sign: $2.50/Mtok" }));
    return { unit: "price", value: n };
  }
  if (/^[0-9]$/.test(digits!) && suffix === "xx") return { unit: "status", value: n };
  const plain = PLAIN_UNITS[suffix];
  if (plain) return { unit: plain.unit, value: plain.factor === 1 ? n : round(n * plain.factor) };
  const meant = meantUnit(suffix, digits!);
  if (meant !== undefined) {
    const value = meant === "xx" ? { unit: "status" as const, value: n } : { unit: PLAIN_UNITS[meant]!.unit, value: round(n * PLAIN_UNITS[meant]!.factor) };
    return misspelt(raw, `${digits}${meant}`, span, diagnostics, value);
  }
  diagnostics.push(diagnostic("P004", `unknown unit \`${suffix}\` in \`${raw}\``, span, { help: UNIT_HELP }));
  return { unit: "number", value: n };
}

/** Unit words from prose and other tools, for the unit they mean. */
const UNIT_WORDS: Record<string, string> = {
  sec: "s", secs: "s", second: "s", seconds: "s",
  min: "m", mins: "m", minute: "m", minutes: "m",
  hr: "h", hrs: "h", hour: "h", hours: "h",
  day: "d", days: "d",
  kb: "KB", mb: "MB", gb: "GB",
};

/**
 * The unit a wrongly written suffix stands for: one that differs only in
 * case (`150K`, `5XX`, `30S`) and means one thing, or a unit word
 * (`30sec`). `m`/`M` never get here: both are units.
 */
function meantUnit(suffix: string, digits: string): string | undefined {
  const lower = suffix.toLowerCase();
  if (lower === "xx" && /^[0-9]$/.test(digits)) return "xx";
  const word = UNIT_WORDS[lower];
  if (word) return word;
  const same = Object.keys(PLAIN_UNITS).filter((u) => u !== "" && u.toLowerCase() === lower);
  return same.length === 1 ? same[0] : undefined;
}

/** A quantity read as what it surely means, with P004 and the fix that writes it so. */
function misspelt(raw: string, meant: string, span: Span, diagnostics: Diagnostic[], value: { unit: Unit; value: number }): { unit: Unit; value: number } {
  diagnostics.push(diagnostic("P004", `unknown unit in \`${raw}\``, span, { fix: { message: `write \`${meant}\``, edits: [{ span, text: meant }] } }));
  return value;
}

/** Removes binary floating-point noise from scaled decimals (2.5 * 1000 stays 2500). */
function round(x: number): number {
  return Number.parseFloat(x.toPrecision(15));
}
