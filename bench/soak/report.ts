/**
 * bench/soak/report: the soak's printed report. A header, one row per
 * window as it closes (requests, unexpected, latency, memory, then the
 * error classes of the window), and at the end the totals, the checks and
 * the verdict. Text only; `npm run soak -- --json` prints the result object
 * instead.
 */
import type { SoakOptions, SoakResult } from "./run.js";
import type { WindowRow } from "./stats.js";

const MB = 1024 * 1024;
const SUCCESS = new Set(["ok", "downgraded"]);

/** The line before the first row. */
export function header(o: SoakOptions): string {
  const cfg =
    `aigw soak: ${o.seconds} s at ${o.rate} req/s (at most ${o.concurrency} in flight), a reload step every ${o.reloadSeconds} s, ` +
    `memory sampled every ${o.sampleSeconds} s, a row every ${o.reportSeconds} s, seed ${o.seed}`;
  const cols = `${"window".padEnd(11)}${"req".padStart(7)}${"req/s".padStart(7)}${"unexp".padStart(6)}${"p50 ms".padStart(8)}${"p99 ms".padStart(8)}${"plain p99".padStart(10)}${"RSS MB".padStart(8)}${"heap MB".padStart(8)}${"fds".padStart(5)}  errors by class`;
  return `${cfg}\n${cols}`;
}

/** One window's row. */
export function row(r: WindowRow): string {
  const span = r.to - r.from;
  const errors = Object.entries(r.classes)
    .filter(([c]) => !SUCCESS.has(c))
    .sort((a, b) => b[1] - a[1])
    .map(([c, n]) => `${c}=${n}`)
    .join(" ");
  return (
    `${`${r.from.toFixed(0)}-${r.to.toFixed(0)}s`.padEnd(11)}${String(r.requests).padStart(7)}${(span > 0 ? r.requests / span : 0).toFixed(1).padStart(7)}` +
    `${String(r.unexpected).padStart(6)}${num(r.p50Ms, 1).padStart(8)}${num(r.p99Ms, 1).padStart(8)}${num(r.plainP99Ms, 1).padStart(10)}` +
    `${num(r.rss === undefined ? undefined : r.rss / MB, 1).padStart(8)}${num(r.heap === undefined ? undefined : r.heap / MB, 1).padStart(8)}${String(r.fds ?? "-").padStart(5)}` +
    `  ${errors}${r.shed > 0 ? ` (shed ${r.shed})` : ""}`
  );
}

/** Everything after the rows. */
export function summary(res: SoakResult): string {
  const out: string[] = [];
  const t = res.totals;
  out.push("");
  out.push(`totals: ${t.requests} requests in ${res.elapsed.toFixed(1)} s (${(t.requests / Math.max(res.elapsed, 1e-3)).toFixed(1)} req/s), ${t.unexpected} unexpected, ${t.shed} shed; engine: ${res.engine}`);
  out.push(`  by class: ${Object.entries(t.byClass).sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n} (${((100 * n) / Math.max(t.requests, 1)).toFixed(1)}%)`).join(", ")}`);
  out.push("  by kind:");
  for (const [kind, classes] of Object.entries(t.byKind).sort()) {
    out.push(`    ${kind.padEnd(15)} ${Object.entries(classes).sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n}`).join(", ")}`);
  }
  for (const [key, examples] of Object.entries(t.examples)) {
    out.push(`  UNEXPECTED ${key}:`);
    for (const e of examples) out.push(`    ${e}`);
  }

  const r = res.reloads;
  const live = [...r.liveMs].sort((a, b) => a - b);
  const c = r.counters;
  out.push(
    `reloads: ${r.validWrites} valid writes, ${r.invalidWrites} invalid, ${r.adminReloads} POST /admin/reload; ` +
      `live after ${live.length > 0 ? `p50 ${live[Math.floor(live.length / 2)]!.toFixed(0)} ms, max ${live[live.length - 1]!.toFixed(0)} ms` : "-"}; ` +
      `gateway counters: ${c ? `${c.applied} applied, ${c.unchanged} unchanged, ${c.rejected} refused` : "-"}; versions served: ${r.versions.join(", ")}`,
  );
  for (const p of r.problems) out.push(`  PROBLEM ${p}`);

  const h = res.holds;
  out.push(`reservations after the traffic: live ${h.live ? `${h.live.count} counter(s), $${h.live.reserved}` : "-"}; in SQLite after exit ${h.resting ? `${h.resting.count} row(s), ${h.resting.reserved} µ$` : "-"}`);
  const s = res.shutdown;
  out.push(`shutdown (SIGTERM): ${s ? `${s.killed ? "KILLED after the timeout" : `exit code ${s.code}${s.signal ? ` signal ${s.signal}` : ""}`} in ${s.ms.toFixed(0)} ms` : "-"}`);
  const faults = Object.entries(res.upstream.faults).sort().map(([f, n]) => `${f} ${n}`).join(", ");
  out.push(`upstream: ${res.upstream.requests} requests, ${res.upstream.leaks} with the raw email; faults injected: ${faults}`);
  const g = res.gatewayLog;
  const warns = Object.entries(g.warningMessages).map(([m, n]) => `${m} ×${n}`).join("; ");
  out.push(`gateway log: ${g.access} access lines, ${g.warnings} warnings${warns ? ` (${warns})` : ""}, ${g.refusals} lines of refused reloads (${g.rejected} refusals), ${g.errors} other errors, ${g.malformed} non-JSON`);
  for (const l of g.errorLines) out.push(`  ${l}`);

  const m = res.memory;
  out.push(`memory: ${m.verdict.toUpperCase()} (warm-up ${m.warmup.toFixed(0)} s left out, ${m.judged} samples judged)`);
  for (const v of m.series) {
    out.push(
      `  ${v.series.padEnd(4)} trend ${(v.perHour / MB).toFixed(1)} MB/h (limit ${(v.limitPerHour / MB).toFixed(0)}), ` +
        `${(v.growth / MB).toFixed(1)} MB over the judged span (noise floor ${(v.noise / MB).toFixed(0)})${v.failed ? "  FAIL" : ""}`,
    );
  }
  if (m.rssFirst !== undefined && m.rssLast !== undefined) out.push(`  rss  ${(m.rssFirst / MB).toFixed(1)} MB → ${(m.rssLast / MB).toFixed(1)} MB (bound: +max(64 MB, 50%))${m.rssBoundFailed ? "  FAIL" : ""}`);
  if (m.detectableBytesPerRequest !== undefined) out.push(`  smallest steady leak this run would fail on: ~${m.detectableBytesPerRequest.toFixed(0)} B per request`);

  out.push("");
  const reasons = res.failures.map((f) => `\n  - ${f}`).join("");
  out.push(res.interrupted ? `INTERRUPTED${reasons}` : res.ok ? "PASS" : `FAIL${reasons}`);
  return out.join("\n");
}

function num(n: number | undefined, d: number): string {
  return n === undefined || !Number.isFinite(n) ? "-" : n.toFixed(d);
}
