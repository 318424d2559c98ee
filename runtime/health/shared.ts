/**
 * Health shared through the state store (`health H { shared 1s }`,
 * lang/SPEC.md §7.6): keeps this instance's records of shared policies in
 * step with the store's verdicts (runtime/state/health.ts), off the request
 * path. A decision still reads only the local records: sharing never adds a
 * store round-trip to a request.
 *
 * One sync is one atomic store call: it sends what this instance learnt
 * (an ejection, a close, a probe claim, renewal or release) and gets back
 * every verdict, which the local records then follow (machine.ts `follow`).
 * It runs every `shared` interval (the shortest of the graph's shared
 * policies) and at once when a local ejection or close needs telling, so
 * another instance honours an ejection within one interval plus a store
 * round-trip.
 *
 * The half-open probe is leased: a record whose ejection is over lets a
 * probe through only while this instance holds the store's lease. It claims
 * the lease when a request wanted the probe, renews it while its probe is
 * out or still wanted, and gives it back otherwise, so an idle instance
 * never sits on it. A lease lapses after {@link LEASE_SYNCS} intervals
 * without renewal: a crashed holder blocks probing for that long at most.
 *
 * The store down: the sync fails, every shared record falls back to
 * per-instance judgement (its own probes included), `/metrics` shows
 * `aigw_health_shared_up 0`, and what this instance learnt meanwhile is sent
 * once the store answers again.
 */
import type { HealthNode } from "../../compiler/graph.js";
import type { EjectCause } from "../engine/index.js";
import type { HealthNews, SharedHealth, Store } from "../state/index.js";
import { follow, type HealthRecord } from "./machine.js";

/** A lease is held this many sync intervals past its last renewal. */
export const LEASE_SYNCS = 3;

/** What the sharing needs from its tracker. */
export interface SharedRecords {
  recordOf(health: string, model: string): HealthRecord;
  clock(): number;
}

/** What a sync's outcome is told to (the log and `/metrics`). */
export interface SharingEvents {
  /** The store answered (true) or not (false) — called on each change only. */
  up?(up: boolean, error?: unknown): void;
  /** Another instance's ejection was taken on here. */
  followed?(health: string, model: string): void;
}

/** The key of (policy, target) in the store. */
export function sharedKey(health: string, model: string): string {
  return `${health}\t${model}`;
}

export class HealthSharing {
  /** Shared policies of the current graph, by name. */
  private policies = new Map<string, HealthNode>();
  /** Ejections and closes not yet told, by key: the latest per key is what counts. */
  private readonly pending = new Map<string, HealthNews>();
  /** Records of shared policies this instance has touched, by key. */
  private readonly records = new Map<string, { health: string; model: string; rec: HealthRecord }>();
  private intervalMs = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  /** Whether the last sync reached the store; undefined before the first. */
  up: boolean | undefined;

  constructor(
    private readonly tracker: SharedRecords,
    private readonly store: Store,
    /** This instance's name in the store's leases. */
    readonly owner: string,
    private readonly events: SharingEvents = {},
  ) {}

  /** The graph's health policies (at start and on each reload): which are shared, and how often to sync. */
  use(policies: Readonly<Record<string, HealthNode>> | undefined): void {
    this.policies = new Map(Object.entries(policies ?? {}).filter(([, p]) => p.sharedMs !== undefined));
    let every = Infinity;
    for (const p of this.policies.values()) every = Math.min(every, p.sharedMs!);
    const changed = every !== this.intervalMs;
    this.intervalMs = Number.isFinite(every) ? every : 0;
    for (const [key, r] of this.records) {
      if (this.policies.has(r.health)) continue;
      // No longer shared: judged here alone again.
      r.rec.shared = false;
      r.rec.lease = 0;
      this.records.delete(key);
    }
    if (changed) this.schedule(0);
  }

  /** Whether the graph shares any policy. */
  active(): boolean {
    return this.policies.size > 0;
  }

  /** Whether `health` is shared. */
  shares(health: string): boolean {
    return this.policies.has(health);
  }

  /** A local ejection to tell the other instances. */
  ejected(health: string, model: string, rec: HealthRecord): void {
    const key = this.track(health, model, rec);
    this.pending.set(key, { op: "eject", key, ejectedAt: rec.ejectedAt, until: rec.until, ejections: rec.ejections, cause: JSON.stringify(rec.cause ?? {}) });
    this.soon();
  }

  /** A local close (the probe, or a try of the ejected target, answered): closes the ejection this record followed. */
  closed(health: string, model: string, rec: HealthRecord): void {
    const key = this.track(health, model, rec);
    this.pending.set(key, { op: "close", key, epoch: rec.epoch });
    this.soon();
  }

  /** One sync now (tests and the bench call it to skip the wait). */
  sync(): Promise<void> {
    if (this.running !== undefined) {
      this.again = true;
      return this.running;
    }
    this.running = this.run().finally(() => {
      this.running = undefined;
      if (this.again && !this.stopped) {
        this.again = false;
        void this.sync();
      }
    });
    return this.running;
  }

  /** Stops syncing on its own (the gateway is closing; its leases lapse on their own); {@link sync} still runs when called. */
  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Waits for a sync in flight (closing: the store must outlive it). */
  async settled(): Promise<void> {
    await this.running;
  }

  private track(health: string, model: string, rec: HealthRecord): string {
    const key = sharedKey(health, model);
    if (!this.records.has(key)) this.records.set(key, { health, model, rec });
    return key;
  }

  private soon(): void {
    if (this.up === false || this.stopped) return; // the store is down: the next timed sync tells it all
    void this.sync();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.intervalMs === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.sync().finally(() => this.schedule(this.intervalMs));
    }, ms);
    this.timer.unref();
  }

  private async run(): Promise<void> {
    if (this.policies.size === 0) return;
    const now = this.tracker.clock();
    const news = [...this.pending.values()];
    const sent = new Map(this.pending);
    this.pending.clear();
    const holdMs = this.intervalMs * LEASE_SYNCS;
    for (const [key, { rec }] of this.records) {
      if (!rec.ejected || now < rec.until || sent.has(key)) continue;
      const holds = rec.lease > now;
      const demand = rec.wanted || rec.probeUntil > now;
      rec.wanted = false;
      if (demand) news.push({ op: "claim", key, holdMs });
      else if (holds) news.push({ op: "release", key });
    }
    let verdicts: SharedHealth[];
    try {
      verdicts = await this.store.shareHealth(this.owner, news);
    } catch (e) {
      // Keep what was not told (a newer local event for the same key wins), and judge locally meanwhile.
      for (const [key, n] of sent) if (!this.pending.has(key)) this.pending.set(key, n);
      for (const { rec } of this.records.values()) {
        rec.shared = false;
        rec.lease = 0;
      }
      this.setUp(false, e);
      return;
    }
    this.setUp(true);
    const at = this.tracker.clock();
    for (const v of verdicts) this.follow(v, at);
  }

  private follow(v: SharedHealth, now: number): void {
    const tab = v.key.indexOf("\t");
    if (tab < 0 || this.pending.has(v.key)) return; // newer local news for it is on its way
    const health = v.key.slice(0, tab);
    const model = v.key.slice(tab + 1);
    if (!this.policies.has(health)) return;
    const rec = this.tracker.recordOf(health, model);
    this.track(health, model, rec);
    const newly = follow(rec, { ...v, cause: parseCause(v.cause), lease: v.owner === this.owner ? v.lease : 0 }, now);
    if (newly) this.events.followed?.(health, model);
  }

  private setUp(up: boolean, error?: unknown): void {
    if (this.up === up) return;
    this.up = up;
    this.events.up?.(up, error);
  }
}

const GIVEN: EjectCause = Object.freeze({ kind: "given" });

/** The cause another instance wrote; anything unreadable reads as stated, not as a crash. */
function parseCause(json: string): EjectCause {
  try {
    const c = JSON.parse(json) as { kind?: unknown };
    return c !== null && typeof c === "object" && (c.kind === "consecutive" || c.kind === "rate" || c.kind === "retry-after" || c.kind === "given") ? (c as EjectCause) : GIVEN;
  } catch {
    return GIVEN;
  }
}
