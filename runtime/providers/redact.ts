/**
 * Scrubs secrets out of text that came from an upstream (error bodies may
 * echo request headers) before it can reach an error message, a log line or
 * a response. Known keys are removed verbatim; bearer tokens and key-shaped
 * strings are removed by pattern, for keys this process was never told about.
 */

const REDACTED = "[redacted]";

// Bearer tokens, `x-api-key: …` echoes and the common vendor key prefixes.
const PATTERNS: RegExp[] = [
  /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi,
  /\b(x-api-key|api-key|authorization)(["']?\s*[:=]\s*["']?)[^\s"',}]+/gi,
  /\b(sk|pk|rk)-[A-Za-z0-9_-]{8,}/g,
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

/** Shortens upstream text for a message: one line, at most `max` characters. */
export function excerpt(text: string, max = 300): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
