/**
 * `aigw usage`'s output: the report (runtime/usage/report.ts) as an aligned
 * table with a totals row, as CSV (one header line, raw numbers, cost in
 * dollars), or as the JSON `GET /admin/usage` answers.
 */
import type { UsageReport, UsageSummary } from "../../runtime/usage/index.js";

const COLUMNS = ["requests", "errors", "input tokens", "output tokens", "cached tokens", "cost $", "fallbacks", "p50 ms", "p95 ms", "overhead p95 ms"] as const;

function cells(s: UsageSummary): (number | null)[] {
  return [s.requests, s.errors, s.inputTokens, s.outputTokens, s.cachedTokens, s.cost, s.fallbacks, s.latencyMs.p50, s.latencyMs.p95, s.overheadMs.p95];
}

/** The first column's heading and a group key as shown ("" is a request without that dimension). */
function label(r: UsageReport, key: string): string {
  return r.by === null ? "all" : key === "" ? "(none)" : key;
}

export function renderUsageTable(r: UsageReport): string {
  const head = [r.by ?? "", ...COLUMNS];
  const rows = r.groups.map((g) => [label(r, g.key), ...cells(g).map(show)]);
  rows.push(["TOTAL", ...cells(r.totals).map(show)]);
  const cost = COLUMNS.indexOf("cost $") + 1;
  [...r.groups, r.totals].forEach((g, i) => (rows[i]![cost] = dollars(g.cost)));
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (row: readonly string[]) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ").trimEnd();
  const out = [`usage ${r.since} .. ${r.until}${r.by === null ? "" : ` by ${r.by}`}`, line(head), ...rows.slice(0, -1).map(line), line(head.map((_, i) => "-".repeat(widths[i]!))), line(rows[rows.length - 1]!)];
  return out.join("\n") + "\n";
}

export function renderUsageCsv(r: UsageReport): string {
  const head = [r.by ?? "group", ...COLUMNS].map(csvCell).join(",");
  const rows = r.groups.map((g) => [g.key, ...cells(g).map(raw)].map(csvCell).join(","));
  rows.push(["TOTAL", ...cells(r.totals).map(raw)].map(csvCell).join(","));
  return [head, ...rows].join("\n") + "\n";
}

function show(n: number | null): string {
  if (n === null) return "-";
  return Number.isInteger(n) ? n.toLocaleString("en-US") : n.toLocaleString("en-US", { maximumFractionDigits: 6 });
}

/** Cents from a dollar up; below it, to the micro-dollar the ledger counts. */
function dollars(n: number): string {
  return n >= 1 ? n.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 }) : n.toLocaleString("en-US", { maximumFractionDigits: 6 });
}

function raw(n: number | null): string {
  return n === null ? "" : String(n);
}

/** RFC 4180: quoted when it holds a comma, quote or line break; a leading =, +, - or @ is prefixed with ' so a spreadsheet does not run it. */
function csvCell(s: string): string {
  const safe = /^[=+\-@]/.test(s) && !/^-?\d/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
