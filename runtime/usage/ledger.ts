/**
 * The usage ledger on the request path: each finished request adds to one
 * in-memory cell (a Map lookup by a string of its minute and dimensions,
 * then a dozen field increments and two histogram buckets); nothing waits
 * on the store. Every `flushMs` (and at `close`, which the gateway calls
 * when it drains) the cells gathered so far are handed to the store in one
 * batch and a fresh Map takes the next requests. A flush that fails puts
 * its cells back to be tried again with the next, up to `maxCells`, beyond
 * which cells are dropped and counted (a store down for hours must not
 * grow the process without bound).
 *
 * Retention: the sweep deletes minutes older than the serving policy's
 * `usage_retention` (read on each sweep, so a reload changes it).
 */
import type { FinishedRequest } from "../observe/request.js";
import { keyId } from "../observe/access-log.js";
import { priceMicros } from "../budget/price.js";
import { addCounts, bucketOf, emptyCounts } from "./counts.js";
import { dimsKey, minuteOf, type Outcome, type UsageDims, type UsageRow } from "./row.js";
import type { UsageStore } from "./store.js";

/** How often cells are flushed to the store by default. */
export const DEFAULT_FLUSH_MS = 5_000;
/** Cells kept in memory at most while the store cannot be written. */
const DEFAULT_MAX_CELLS = 100_000;
const SEP = "\u001f";

export interface LedgerOptions {
  store: UsageStore;
  /** Wall clock, epoch ms: which minute a request counts in. */
  clock: () => number;
  /** How long minutes are kept (the policy's `usage_retention`), read at each flush and sweep. */
  retentionMs: () => number;
  /** Flush timer period; 0: no timer (tests call {@link UsageLedger.flush}). Default {@link DEFAULT_FLUSH_MS}. */
  flushMs?: number;
  maxCells?: number;
  /** Hears flush failures (the cells are kept for the next flush). */
  onError?: (err: unknown) => void;
}

/** Gathers finished requests into per-minute cells and flushes them to a {@link UsageStore}. */
export class UsageLedger {
  private cells = new Map<string, UsageRow>();
  private readonly store: UsageStore;
  private readonly clock: () => number;
  private readonly retentionMs: () => number;
  private readonly maxCells: number;
  private readonly onError: (err: unknown) => void;
  private readonly timer: ReturnType<typeof setInterval> | undefined;
  private flushing: Promise<void> = Promise.resolve();
  /** Cells dropped because the store could not take them for too long. */
  dropped = 0;

  constructor(options: LedgerOptions) {
    this.store = options.store;
    this.clock = options.clock;
    this.retentionMs = options.retentionMs;
    this.maxCells = options.maxCells ?? DEFAULT_MAX_CELLS;
    this.onError = options.onError ?? (() => {});
    const every = options.flushMs ?? DEFAULT_FLUSH_MS;
    if (every > 0) {
      this.timer = setInterval(() => void this.flush(), every);
      this.timer.unref();
    }
  }

  /** The store cells are flushed to (reports read it). */
  get usageStore(): UsageStore {
    return this.store;
  }

  /** Adds one finished request to its cell. */
  record(f: FinishedRequest): void {
    const v = f.view;
    const minute = minuteOf(this.clock());
    const c = v.caller;
    const team = c?.team ?? v.team ?? "";
    const key = c?.key === undefined ? "" : keyId(c.key);
    const user = c?.user ?? "";
    const route = v.route ?? "";
    const model = v.target ?? "";
    const node = model === "" || !Object.hasOwn(f.graph.models, model) ? undefined : f.graph.models[model]!;
    const provider = node?.provider ?? "";
    const api = v.request?.api ?? "";
    const outcome = outcomeOf(f);
    // The same string as `minute + SEP + dimsKey(dims)`, without building the dims object for a cell that exists.
    const id = minute + SEP + team + SEP + key + SEP + user + SEP + route + SEP + model + SEP + provider + SEP + api + SEP + outcome;
    let cell = this.cells.get(id);
    if (cell === undefined) {
      const dims: UsageDims = { team, key, user, route, model, provider, api, outcome };
      cell = { minute, dims, counts: emptyCounts() };
      this.cells.set(id, cell);
    }
    const n = cell.counts;
    n.requests++;
    if (outcome !== "ok") {
      n.errors++;
      const kind = errorKind(f);
      n.errorKinds[kind] = (n.errorKinds[kind] ?? 0) + 1;
    }
    const usage = f.usage;
    if (usage !== undefined) {
      n.inputTokens += usage.promptTokens;
      n.outputTokens += usage.completionTokens;
      if (node !== undefined) n.costMicros += priceMicros(node, usage.promptTokens, usage.completionTokens);
    }
    const cache = v.cache;
    if (cache?.result === "hit") {
      n.cacheHits++;
      if (cache.usage !== undefined) n.cachedTokens += cache.usage.promptTokens + cache.usage.completionTokens;
    }
    if (fellBack(v.attempts)) n.fallbacks++;
    if (v.skipped !== undefined && v.skipped.length > 0) n.skipped++;
    n.redacted += v.redacted.length;
    n.flagged += v.flagged.length;
    if (v.blocked !== undefined) n.blocked++;
    const lat = bucketOf(f.totalMs);
    n.latency[lat] = (n.latency[lat] ?? 0) + 1;
    const over = bucketOf(f.overheadMs);
    n.overhead[over] = (n.overhead[over] ?? 0) + 1;
  }

  /** Hands the cells gathered so far to the store; resolves when they are written (or put back after a failure). */
  flush(): Promise<void> {
    const run = this.flushing.then(() => this.flushNow());
    this.flushing = run;
    return run;
  }

  /** Deletes minutes older than the retention. */
  sweep(): Promise<number> {
    return this.store.sweep(minuteOf(this.clock() - this.retentionMs()));
  }

  /** Stops the timer, flushes what is left and closes the store. */
  async close(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.flush();
    await this.store.close();
  }

  private async flushNow(): Promise<void> {
    if (this.cells.size === 0) return;
    const rows = [...this.cells.values()];
    this.cells = new Map();
    try {
      await this.store.add(rows, this.retentionMs());
    } catch (err) {
      this.putBack(rows);
      this.onError(err);
    }
  }

  private putBack(rows: readonly UsageRow[]): void {
    for (const r of rows) {
      const id = r.minute + SEP + dimsKey(r.dims);
      const cell = this.cells.get(id);
      if (cell !== undefined) addCounts(cell.counts, r.counts);
      else if (this.cells.size < this.maxCells) this.cells.set(id, r);
      else this.dropped++;
    }
  }
}

/** How a request ended (row.ts). */
export function outcomeOf(f: FinishedRequest): Outcome {
  const v = f.view;
  if (f.written.aborted) return "aborted";
  if (v.rejected !== undefined) return "refused";
  if (v.blocked !== undefined && f.status >= 400) return "blocked";
  if (f.status >= 500 || f.written.streamError !== undefined) return "upstream_error";
  if (f.status >= 400) return "client_error";
  return "ok";
}

/** The error kind a failed request counts under: its error code, else its status. */
function errorKind(f: FinishedRequest): string {
  if (f.written.streamError !== undefined) return "stream_error";
  if (f.written.aborted) return "aborted";
  return f.view.errorCode ?? String(f.status);
}

/** Whether a target other than the first was tried. */
function fellBack(attempts: FinishedRequest["view"]["attempts"]): boolean {
  for (let i = 1; i < attempts.length; i++) if (attempts[i]!.model !== attempts[0]!.model) return true;
  return false;
}
