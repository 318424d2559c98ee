/**
 * bench/table: number formatting and aligned text tables for the bench
 * reports (first column left-aligned, the others right-aligned).
 */

/** `n` with `digits` decimals, "-" when missing or not finite. */
export function num(n: number | undefined, digits = 0): string {
  if (n === undefined || !Number.isFinite(n)) return "-";
  return digits === 0 ? Math.round(n).toLocaleString("en-US") : n.toFixed(digits);
}

/** A share (0–1) as a whole percentage, "-" when missing. */
export function pct(n: number | undefined): string {
  return n === undefined || !Number.isFinite(n) ? "-" : `${Math.round(n * 100)}%`;
}

/** A signed difference with `digits` decimals (`+0.123`). */
export function signed(n: number | undefined, digits: number): string {
  if (n === undefined || !Number.isFinite(n)) return "-";
  return `${n >= 0 ? "+" : ""}${n.toFixed(digits)}`;
}

/** Bytes as MB with one decimal. */
export function mb(bytes: number | undefined): string {
  return bytes === undefined ? "-" : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** Lays out `rows` under `header` with two spaces between columns, indented by two. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  const line = (r: readonly string[]): string =>
    `  ${r
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join("  ")
      .trimEnd()}`;
  return all.map(line).join("\n");
}
