/**
 * The per-instance health tracker: one record (machine.ts) per (health
 * policy, target), in memory, kept across policy reloads (a reload that
 * changes a policy's thresholds judges the same history by the new ones).
 * The clock is the world's.
 *
 * Policies declared `shared` are also kept in step with the state store by
 * a {@link HealthSharing} (shared.ts), off the request path.
 *
 * Each request gets a `RequestHealth`: the state view's `health` reader for
 * `decide`, memoised so the two or three decides of one request (the traced
 * one, a budget re-plan) see one answer, and so a half-open target hands
 * its one probe to exactly one request. The request reports its tries'
 * outcomes through it and, when it ends, gives back any probe it took but
 * never sent (a guardrail blocked it, or an earlier target answered).
 */
import type { Graph, HealthNode } from "../../compiler/graph.js";
import { HEALTHY, PROBE, type EjectCause, type TargetHealth } from "../engine/index.js";
import type { Store } from "../state/index.js";
import { LatencyTracker } from "./latency.js";
import { HealthSharing, type SharingEvents } from "./shared.js";
import { look, newRecord, record, releaseProbe, takeProbe, type Ejection, type HealthRecord, type TryOutcome } from "./machine.js";

/** One ejection as the metrics count it. */
export interface EjectionEvent {
  readonly health: string;
  readonly model: string;
  readonly cause: EjectCause["kind"];
  readonly forMs: number;
}

/** A target's state for `/metrics`. */
export interface TargetReading {
  readonly model: string;
  /** False while any health policy has it ejected. */
  readonly healthy: boolean;
}

export class HealthTracker {
  /** Records by policy, then by target: nested maps keyed by the graph's own name strings, whose hashes are cached. */
  private readonly records = new Map<string, Map<string, HealthRecord>>();
  /** Ejections so far, by `model\u0000cause` (a counter for `/metrics`). */
  readonly ejections = new Map<string, number>();
  /** Latency estimates for `split fastest`, fed by the same tries. */
  readonly latency = new LatencyTracker();
  /** Keeps shared policies' records in step with the state store; absent until {@link share}. */
  sharing: HealthSharing | undefined;

  constructor(
    private readonly now: () => number,
    /** Hears every ejection (the log). */
    private readonly onEject?: (e: EjectionEvent) => void,
  ) {}

  /**
   * Shares the graph's `shared` policies through `store` as `owner` (a
   * memory store is this instance's alone: nothing to share, so no sync).
   */
  share(store: Store, owner: string, events?: SharingEvents): HealthSharing | undefined {
    if (store.kind === "memory") return undefined;
    return (this.sharing = new HealthSharing(this, store, owner, events));
  }

  /** The health of one request; `holdMs` bounds how long a probe it takes can stay out (the request deadline). */
  request(graph: Graph, holdMs: number): RequestHealth {
    return new RequestHealth(this, graph.health ?? NO_POLICIES, holdMs);
  }

  /** The record of (policy, model), created on first use. */
  recordOf(health: string, model: string): HealthRecord {
    let byModel = this.records.get(health);
    if (byModel === undefined) this.records.set(health, (byModel = new Map()));
    let rec = byModel.get(model);
    if (rec === undefined) byModel.set(model, (rec = newRecord()));
    return rec;
  }

  clock(): number {
    return this.now();
  }

  /** Counts an ejection, tells the listener and, for a shared policy, the other instances. */
  ejected(health: string, model: string, e: Ejection, rec: HealthRecord): void {
    const key = `${model}\u0000${e.cause.kind}`;
    this.ejections.set(key, (this.ejections.get(key) ?? 0) + 1);
    this.onEject?.({ health, model, cause: e.cause.kind, forMs: e.forMs });
    if (this.sharing?.shares(health) === true) this.sharing.ejected(health, model, rec);
  }

  /** An ejected target answered here: for a shared policy, the other instances close it too. */
  closed(health: string, model: string, rec: HealthRecord): void {
    if (this.sharing?.shares(health) === true) this.sharing.closed(health, model, rec);
  }

  /**
   * What a request would be told about (policy, model) now, taking nothing:
   * a half-open target reads as probing but no probe is taken. For the
   * shadow's decide (runtime/shadow), which must not change live health.
   */
  readonly peek = (health: string, model: string): TargetHealth => {
    const rec = this.records.get(health)?.get(model);
    if (rec === undefined || !rec.ejected) return HEALTHY;
    const state = look(rec, this.now());
    return state === "half-open" ? PROBE : state;
  };

  /** The state view's `latency` reader. */
  readonly latencyOf = (model: string): number | undefined => this.latency.estimate(model, this.now());

  /** Latency estimates now, in seconds, for `/metrics`. */
  latencies(): { model: string; seconds: number }[] {
    return this.latency.readings(this.now()).map((r) => ({ model: r.model, seconds: r.ms / 1000 }));
  }

  /** Whether the last shared sync reached the store; undefined while no policy is shared. */
  sharedUp(): boolean | undefined {
    return this.sharing?.active() === true ? this.sharing.up : undefined;
  }

  /** Every tracked target, healthy unless some policy has it ejected now (probing included). */
  readings(): TargetReading[] {
    const now = this.now();
    const healthy = new Map<string, boolean>();
    for (const byModel of this.records.values()) {
      for (const [model, rec] of byModel) {
        const state = look(rec, now);
        const ok = state !== "half-open" && state.status === "healthy";
        healthy.set(model, (healthy.get(model) ?? true) && ok);
      }
    }
    return [...healthy].map(([model, h]) => ({ model, healthy: h }));
  }
}

const NO_POLICIES: Readonly<Record<string, HealthNode>> = Object.freeze({});

/** What one request was told about one (policy, target). */
interface Seen {
  readonly health: string;
  readonly model: string;
  readonly rec: HealthRecord;
  readonly state: TargetHealth;
  /** This request holds the target's half-open probe and has not settled it. */
  probe: boolean;
}

/** One request's window on the tracker. A plan has a handful of targets: a list beats a map. */
export class RequestHealth {
  private readonly seen: Seen[] = [];

  constructor(
    private readonly tracker: HealthTracker,
    private readonly policies: Readonly<Record<string, HealthNode>>,
    private readonly holdMs: number,
  ) {}

  /** The state view's `health` reader. */
  readonly read = (health: string, model: string): TargetHealth => {
    const seen = this.seen;
    for (let i = 0; i < seen.length; i++) {
      const s = seen[i]!;
      if (s.model === model && s.health === health) return s.state;
    }
    const rec = this.tracker.recordOf(health, model);
    // Closed, the common case, needs no clock.
    if (!rec.ejected) {
      seen.push({ health, model, rec, state: HEALTHY, probe: false });
      return HEALTHY;
    }
    const now = this.tracker.clock();
    const state = look(rec, now);
    if (state === "half-open") {
      takeProbe(rec, now, this.holdMs);
      seen.push({ health, model, rec, state: PROBE, probe: true });
      return PROBE;
    }
    // Shared and over: the probe is another instance's or not claimed yet; the next sync claims it.
    if (rec.shared && now >= rec.until) rec.wanted = true;
    seen.push({ health, model, rec, state, probe: false });
    return state;
  };

  /**
   * The state view's `health` reader for a second decide of this request
   * (the shadow's): what this request was already told, else a peek that
   * takes no probe, so the second decide sees what the first did and
   * changes nothing.
   */
  readonly peek = (health: string, model: string): TargetHealth => {
    for (const s of this.seen) if (s.model === model && s.health === health) return s.state;
    return this.tracker.peek(health, model);
  };

  /** One try of `model` ended after `ms`; an answer feeds its latency estimate, and every health policy the decision read for it hears the outcome. */
  readonly tried = (model: string, outcome: TryOutcome, ms?: number): void => {
    const seen = this.seen;
    let now = -1;
    if (outcome.ok && ms !== undefined) this.tracker.latency.observe(model, ms, (now = this.tracker.clock()));
    for (let i = 0; i < seen.length; i++) {
      const s = seen[i]!;
      if (s.model !== model) continue;
      const node = Object.hasOwn(this.policies, s.health) ? this.policies[s.health] : undefined;
      if (node === undefined) continue;
      if (now < 0) now = this.tracker.clock();
      const was = s.rec.ejected;
      const e = record(s.rec, node, outcome, now);
      s.probe = false;
      if (e !== undefined) this.tracker.ejected(s.health, model, e, s.rec);
      else if (was && !s.rec.ejected) this.tracker.closed(s.health, model, s.rec);
    }
  };

  /** The request is over: probes taken but never sent go back. */
  finish(): void {
    const seen = this.seen;
    for (let i = 0; i < seen.length; i++) {
      const s = seen[i]!;
      if (s.probe) {
        releaseProbe(s.rec);
        s.probe = false;
      }
    }
  }
}




