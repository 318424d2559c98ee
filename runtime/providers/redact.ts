/**
 * Scrubs secrets out of text that came from an upstream (error bodies may
 * echo request headers) before it can reach an error message, a log line or
 * a response. Known keys are removed verbatim; bearer tokens and key-shaped
 * strings are removed by pattern, for keys this process was never told about.
 *
 * Text is always redacted before it is shortened (`redactedPrefix`): a cut
 * through a secret would otherwise leave its head, which no longer matches
 * the secret, to pass through.
 */

const REDACTED = "[redacted]";

// Bearer tokens, `x-api-key: …` echoes, the common vendor key prefixes, and Google's API keys and OAuth access tokens.
const PATTERNS: RegExp[] = [
  /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi,
  /\b(x-api-key|api-key|authorization|x-goog-api-key)(["']?\s*[:=]\s*["']?)[^\s"',}]+/gi,
  /\b(sk|pk|rk)-[A-Za-z0-9_-]{8,}|\bAIza[0-9A-Za-z_-]{35}|\bya29\.[0-9A-Za-z._-]+/g,
];

/** Returns `text` with every secret in `secrets` and every key-shaped token replaced. */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) {
    // Very short values would redact ordinary words; such keys are not real keys.
    if (secret.length >= 6) out = out.split(secret).join(REDACTED);
  }
  out = out.replace(PATTERNS[0]!, (_m, scheme: string) => `${scheme} ${REDACTED}`);
  out = out.replace(PATTERNS[1]!, (_m, name: string, sep: string) => `${name}${sep}${REDACTED}`);
  out = out.replace(PATTERNS[2]!, REDACTED);
  return out;
}

// A key-shaped token cut short at the end of a text (shorter than PATTERNS[2] needs).
const KEY_SHAPED_TAIL = /\b(sk|pk|rk)-[A-Za-z0-9_-]*$/;

/**
 * The first `max` characters of `text` with every secret removed: redacted
 * first, then cut. When the text was cut (here, or before: `readCut` for a
 * body read only up to a limit), a tail that is the beginning of a known
 * secret, or of a key-shaped token, is replaced too, so no part of a key
 * straddling either cut survives.
 */
export function redactedPrefix(text: string, max: number, secrets: readonly string[] = [], readCut = false): string {
  const clean = redact(text, secrets);
  if (!readCut && clean.length <= max) return clean;
  let out = clean.slice(0, max);
  const tail = secretTail(out, secrets);
  if (tail > 0) out = `${out.slice(0, out.length - tail)}${REDACTED}`;
  return out;
}

/** How many characters at the end of `text` are the beginning of a secret (the longest such run), or 0. */
function secretTail(text: string, secrets: readonly string[]): number {
  let longest = KEY_SHAPED_TAIL.exec(text)?.[0].length ?? 0;
  for (const secret of secrets) {
    if (secret.length < 6) continue; // as in `redact`
    for (let n = Math.min(secret.length - 1, text.length); n > longest; n--) {
      if (text.endsWith(secret.slice(0, n))) {
        longest = n;
        break;
      }
    }
  }
  return longest;
}

/** Shortens upstream text for a message: one line, at most `max` characters. */
export function excerpt(text: string, max = 300): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
