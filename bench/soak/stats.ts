/**
 * bench/soak/stats: counting outcomes. Per report window (a minute; 10 s
 * with `--quick`): requests, classes, unexpected ones, p50/p99 latency of
 * everything and p99 of the healthy `plain` route alone (a gateway that
 * stalls shows there, not hidden behind the upstreams' deliberate
 * slowness), and the window's last memory reading. Over the whole run:
 * counts by kind and class, and the first examples of each unexpected class.
 */
import type { Outcome } from "./client.js";
import type { ProcessSample } from "./gateway.js";

/** One row of the report. */
export interface WindowRow {
  /** Seconds since the traffic started: [from, to). */
  from: number;
  to: number;
  requests: number;
  /** Requests the generator could not send because `concurrency` were already in flight. */
  shed: number;
  classes: Record<string, number>;
  unexpected: number;
  p50Ms?: number;
  p99Ms?: number;
  plainP99Ms?: number;
  rss?: number;
  heap?: number;
  fds?: number;
}

/** Totals of a run. */
export interface Totals {
  requests: number;
  shed: number;
  unexpected: number;
  byClass: Record<string, number>;
  /** kind → class → count. */
  byKind: Record<string, Record<string, number>>;
  /** Up to 3 examples per unexpected `kind:class`. */
  examples: Record<string, string[]>;
}

const PLAIN = new Set(["plain", "plain-stream"]);

/** Accumulates outcomes into windows and totals. */
export class Stats {
  private row: WindowRow;
  private lat: number[] = [];
  private plain: number[] = [];
  private readonly done: WindowRow[] = [];
  readonly totals: Totals = { requests: 0, shed: 0, unexpected: 0, byClass: {}, byKind: {}, examples: {} };

  constructor(from = 0) {
    this.row = emptyRow(from);
  }

  /** Counts one outcome; `unexpected` when its class is not allowed for its kind (or its policy version was wrong). */
  add(o: Outcome, unexpected: boolean): void {
    const r = this.row;
    r.requests++;
    r.classes[o.cls] = (r.classes[o.cls] ?? 0) + 1;
    this.lat.push(o.ms);
    if (PLAIN.has(o.kind) && o.cls === "ok") this.plain.push(o.ms);
    const t = this.totals;
    t.requests++;
    t.byClass[o.cls] = (t.byClass[o.cls] ?? 0) + 1;
    const k = (t.byKind[o.kind] ??= {});
    k[o.cls] = (k[o.cls] ?? 0) + 1;
    if (unexpected) {
      r.unexpected++;
      t.unexpected++;
      const ex = (t.examples[`${o.kind}:${o.cls}`] ??= []);
      if (ex.length < 3) ex.push(`status ${o.status}, ${o.ms.toFixed(0)} ms${o.policy ? `, policy ${o.policy}` : ""}${o.detail ? `: ${o.detail}` : ""}`);
    }
  }

  /** Counts a request the generator skipped. */
  shed(): void {
    this.row.shed++;
    this.totals.shed++;
  }

  /** Records a memory reading into the current window (the last one wins). */
  sample(s: ProcessSample): void {
    if (s.rss !== undefined) this.row.rss = s.rss;
    if (s.heapUsed !== undefined) this.row.heap = s.heapUsed;
    if (s.fds !== undefined) this.row.fds = s.fds;
  }

  /** Closes the current window at `to` seconds and starts the next; returns the closed row. */
  close(to: number): WindowRow {
    const r = this.row;
    r.to = to;
    if (this.lat.length > 0) {
      this.lat.sort((a, b) => a - b);
      r.p50Ms = pct(this.lat, 50);
      r.p99Ms = pct(this.lat, 99);
    }
    if (this.plain.length > 0) r.plainP99Ms = pct(this.plain.sort((a, b) => a - b), 99);
    this.done.push(r);
    this.row = emptyRow(to);
    this.lat = [];
    this.plain = [];
    return r;
  }

  /** The closed rows. */
  rows(): WindowRow[] {
    return [...this.done];
  }
}

function emptyRow(from: number): WindowRow {
  return { from, to: from, requests: 0, shed: 0, classes: {}, unexpected: 0 };
}

function pct(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
