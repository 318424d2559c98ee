/**
 * The usage ledger on the request path: each finished request adds to one
 * in-memory cell (a few Map lookups by its minute and dimensions, then a
 * dozen field increments and two histogram buckets); nothing waits on the
 * store. Every `flushMs` (and at `close`, which the gateway calls
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
import { cacheOf, priceMicros } from "../budget/price.js";
import { addCounts, bucketOf, emptyCounts } from "./counts.js";
import { dimsKey, minuteOf, type Outcome, type UsageRow } from "./row.js";
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
  /**
   * minute → key → team → user → route → target → api → outcome → cell.
   * Nested Maps keyed by strings the graph and the caller index already
   * hold (their hashes are cached in the strings), so finding a cell costs
   * a few lookups and builds no string; the cell's dimensions (and the key
   * id) are built once, when it is created.
   */
  private cells: Tree = new Map();
  private size = 0;
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
    const c = v.caller;
    const target = v.target ?? "";
    const node = target === "" || !Object.hasOwn(f.graph.models, target) ? undefined : f.graph.models[target]!;
    const outcome = outcomeOf(f);
    const cell = this.cellOf(minuteOf(this.clock()), c?.key ?? "", c?.team ?? v.team ?? "", c?.user ?? "", v.route ?? "", target, v.request?.api ?? "", outcome, node?.provider ?? "");
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
      if (node !== undefined) n.costMicros += priceMicros(node, usage.promptTokens, usage.completionTokens, cacheOf(usage));
      n.cacheReadTokens += usage.cacheReadTokens ?? 0;
      n.cacheWriteTokens += usage.cacheWriteTokens ?? 0;
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

  /** The cell of these dimensions, created when missing (`provider` follows from `model`). */
  private cellOf(minute: number, key: string, team: string, user: string, route: string, model: string, api: string, outcome: Outcome, provider: string): UsageRow {
    const path = [key, team, user, route, model, api, outcome];
    let level: Tree = this.cells.get(minute) as Tree | undefined ?? setLevel(this.cells, minute);
    for (let i = 0; i < path.length - 1; i++) level = (level.get(path[i]!) as Tree | undefined) ?? setLevel(level, path[i]!);
    let cell = level.get(outcome) as UsageRow | undefined;
    if (cell === undefined) {
      cell = { minute, dims: { team, key: key === "" ? "" : keyId(key), user, route, model, provider, api, outcome }, counts: emptyCounts() };
      level.set(outcome, cell);
      this.size++;
    }
    return cell;
  }

  private async flushNow(): Promise<void> {
    if (this.size === 0) return;
    const rows = merged(this.cells);
    this.cells = new Map();
    this.size = 0;
    try {
      await this.store.add(rows, this.retentionMs());
    } catch (err) {
      this.putBack(rows);
      this.onError(err);
    }
  }

  /** A failed flush's cells, merged into what came since (by their dimensions), up to `maxCells`. */
  private putBack(rows: readonly UsageRow[]): void {
    const byId = new Map<string, UsageRow>();
    for (const r of merged(this.cells)) byId.set(r.minute + SEP + dimsKey(r.dims), r);
    for (const r of rows) {
      const id = r.minute + SEP + dimsKey(r.dims);
      const cell = byId.get(id);
      if (cell !== undefined) addCounts(cell.counts, r.counts);
      else if (byId.size < this.maxCells) byId.set(id, r);
      else this.dropped++;
    }
    // Kept apart under one key: new requests build their own paths, and the next flush collects both.
    this.cells = new Map([[PUT_BACK, new Map([...byId].map(([id, r]) => [id, r]))]]);
    this.size = byId.size;
  }
}

/** Nested Maps of cells (see {@link UsageLedger}); leaves are {@link UsageRow}s. */
type Tree = Map<unknown, Tree | UsageRow>;

/** The top-level key under which put-back cells wait (no minute is NaN). */
const PUT_BACK = Number.NaN;

function setLevel(parent: Tree, key: unknown): Tree {
  const m: Tree = new Map();
  parent.set(key, m);
  return m;
}

/**
 * The tree's cells, one per minute and dimensions: a cell put back after a
 * failed flush and one recorded since share their dimensions but not their
 * path (the path holds the key, the dimensions its id), and are added here.
 */
function merged(tree: Tree): UsageRow[] {
  const all: UsageRow[] = [];
  collect(tree, all);
  const byId = new Map<string, UsageRow>();
  for (const r of all) {
    const id = r.minute + SEP + dimsKey(r.dims);
    const seen = byId.get(id);
    if (seen === undefined) byId.set(id, r);
    else addCounts(seen.counts, r.counts);
  }
  return [...byId.values()];
}

function collect(tree: Tree, out: UsageRow[]): void {
  for (const v of tree.values()) {
    if (v instanceof Map) collect(v, out);
    else out.push(v);
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
