/**
 * Quantities written back in the policy's units, for what `aigw diff` (and
 * the bounds) say: `250ms`, `30s`, `$2.50`, `128k`.
 */

/** A duration in the largest unit that writes it whole: `250ms`, `30s`, `5m`, `1h`. */
export function durationText(ms: number): string {
  if (!Number.isFinite(ms)) return "unbounded";
  for (const [unit, size] of [["d", 86_400_000], ["h", 3_600_000], ["m", 60_000], ["s", 1000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return ms >= 1000 ? `${+(ms / 1000).toFixed(3)}s` : `${+ms.toFixed(3)}ms`;
}

/** Dollars as a policy writes them: `$2.50`, `$0.0004`, `$200`. */
export function dollarText(dollars: number): string {
  if (!Number.isFinite(dollars)) return "unbounded";
  if (Number.isInteger(dollars)) return `$${dollars}`;
  return dollars >= 0.01 ? `$${dollars.toFixed(2)}` : `$${+dollars.toPrecision(2)}`;
}

/** A token count: `128k`, `1M`, `1500`. */
export function tokenText(n: number): string {
  if (n >= 1_000_000 && n % 1_000_000 === 0) return `${n / 1_000_000}M`;
  if (n >= 1000 && n % 1000 === 0) return `${n / 1000}k`;
  return String(n);
}
