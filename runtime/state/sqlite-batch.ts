/**
 * Group commit for the SQLite store: every operation submitted during one
 * turn of the event loop runs, in submission order, inside ONE transaction,
 * committed before any of their promises resolve.
 *
 * Why: a WAL commit costs a few microseconds of system calls however little
 * it writes, and under load the gateway admits and settles many requests
 * per loop turn. Each operation stays atomic and isolated (they run one
 * after another, each seeing the ones before it, with the write lock held
 * throughout), so the store's guarantees are those of one transaction per
 * operation, at a fraction of the commits. With one operation in flight the
 * cost is one `setImmediate` hop.
 *
 * A batch with any write begins with `BEGIN IMMEDIATE` (the writer lock
 * first, so no other process can slip between a check and its write); a
 * batch of reads is a deferred transaction, one consistent snapshot. If the
 * transaction fails, it rolls back and every operation in it rejects.
 */
import type { Database } from "better-sqlite3";

interface Pending {
  readonly op: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/** Queues operations and runs each loop turn's queue as one transaction. */
export class GroupCommit {
  private queue: Pending[] = [];
  private writes = false;
  private scheduled = false;
  private readonly runImmediate: (ops: readonly Pending[], out: unknown[]) => void;
  private readonly runDeferred: (ops: readonly Pending[], out: unknown[]) => void;

  constructor(db: Database) {
    const run = db.transaction((ops: readonly Pending[], out: unknown[]) => {
      for (const p of ops) out.push(p.op());
    });
    this.runImmediate = (ops, out) => run.immediate(ops, out);
    this.runDeferred = (ops, out) => run.deferred(ops, out);
  }

  /** Runs `op` in the next batch; `write` says whether it may write. */
  submit<T>(write: boolean, op: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ op, resolve: resolve as (value: unknown) => void, reject });
      if (write) this.writes = true;
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Runs everything queued now, synchronously (also used before closing). */
  flush(): void {
    this.scheduled = false;
    const ops = this.queue;
    if (ops.length === 0) return;
    const write = this.writes;
    this.queue = [];
    this.writes = false;
    const out: unknown[] = [];
    try {
      if (write) this.runImmediate(ops, out);
      else this.runDeferred(ops, out);
    } catch (e) {
      for (const p of ops) p.reject(e);
      return;
    }
    for (let i = 0; i < ops.length; i++) ops[i]!.resolve(out[i]);
  }
}
