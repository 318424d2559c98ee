/**
 * The per-instance health tracker: one record (machine.ts) per (health
 * policy, target), in memory, kept across policy reloads (a reload that
 * changes a policy's thresholds judges the same history by the new ones).
 * The clock is the world's.
 *
 * Each request gets a `RequestHealth`: the state view's `health` reader for
 * `decide`, memoised so the two or three decides of one request (the traced
 * one, a budget re-plan) see one answer, and so a half-open target hands
 * its one probe to exactly one request. The request reports its tries'
 * outcomes through it and, when it ends, gives back any probe it took but
 * never sent (a guardrail blocked it, or an earlier target answered).
 */
import type { Graph, HealthNode } from "../../compiler/graph.js";
import { type EjectCause, type FailureCause, type TargetHealth } from "../engine/index.js";
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
  private readonly records = new Map<string, HealthRecord>();
  /** Ejections so far, by `model\u0000cause` (a counter for `/metrics`). */
  readonly ejections = new Map<string, number>();

  constructor(
    private readonly now: () => number,
    /** Hears every ejection (the log). */
    private readonly onEject?: (e: EjectionEvent) => void,
  ) {}

  /** The health of one request; `holdMs` bounds how long a probe it takes can stay out (the request deadline). */
  request(graph: Graph, holdMs: number): RequestHealth {
    return new RequestHealth(this, graph.health ?? NO_POLICIES, holdMs);
  }

  /** The record of (policy, model), created on first use. */
  recordOf(health: string, model: string): HealthRecord {
    const key = `${health}\u0000${model}`;
    let rec = this.records.get(key);
    if (rec === undefined) this.records.set(key, (rec = newRecord()));
    return rec;
  }

  clock(): number {
    return this.now();
  }

  /** Counts an ejection and tells the listener. */
  ejected(health: string, model: string, e: Ejection): void {
    const key = `${model}\u0000${e.cause.kind}`;
    this.ejections.set(key, (this.ejections.get(key) ?? 0) + 1);
    this.onEject?.({ health, model, cause: e.cause.kind, forMs: e.forMs });
  }

  /** Every tracked target, healthy unless some policy has it ejected now (probing included). */
  readings(): TargetReading[] {
    const now = this.now();
    const healthy = new Map<string, boolean>();
    for (const [key, rec] of this.records) {
      const model = key.slice(key.indexOf("\u0000") + 1);
      const state = look(rec, now);
      const ok = state !== "half-open" && state.status === "healthy";
      healthy.set(model, (healthy.get(model) ?? true) && ok);
    }
    return [...healthy].map(([model, h]) => ({ model, healthy: h }));
  }
}

const NO_POLICIES: Readonly<Record<string, HealthNode>> = Object.freeze({});

/** One request's window on the tracker. */
export class RequestHealth {
  /** Answers given to `decide`, by `policy\u0000model`. */
  private readonly seen = new Map<string, TargetHealth>();
  /** Probes this request took and has not settled: `policy\u0000model`. */
  private readonly probes: string[] = [];

  constructor(
    private readonly tracker: HealthTracker,
    private readonly policies: Readonly<Record<string, HealthNode>>,
    private readonly holdMs: number,
  ) {}

  /** The state view's `health` reader. */
  readonly read = (health: string, model: string): TargetHealth => {
    const key = `${health}\u0000${model}`;
    const known = this.seen.get(key);
    if (known !== undefined) return known;
    const rec = this.tracker.recordOf(health, model);
    const now = this.tracker.clock();
    let state = look(rec, now);
    if (state === "half-open") {
      takeProbe(rec, now, this.holdMs);
      this.probes.push(key);
      state = PROBE;
    }
    this.seen.set(key, state);
    return state;
  };

  /** One try of `model` ended; every health policy the decision read for it hears the outcome. */
  readonly tried = (model: string, outcome: TryOutcome): void => {
    if (this.seen.size === 0) return;
    const now = this.tracker.clock();
    for (const key of this.seen.keys()) {
      const sep = key.indexOf("\u0000");
      if (key.slice(sep + 1) !== model) continue;
      const health = key.slice(0, sep);
      const node = Object.hasOwn(this.policies, health) ? this.policies[health] : undefined;
      if (node === undefined) continue;
      const e = record(this.tracker.recordOf(health, model), node, outcome, now);
      const i = this.probes.indexOf(key);
      if (i >= 0) this.probes.splice(i, 1);
      if (e !== undefined) this.tracker.ejected(health, model, e);
    }
  };

  /** The request is over: probes taken but never sent go back. */
  finish(): void {
    for (const key of this.probes) {
      const sep = key.indexOf("\u0000");
      releaseProbe(this.tracker.recordOf(key.slice(0, sep), key.slice(sep + 1)));
    }
    this.probes.length = 0;
  }
}

const PROBE: TargetHealth = Object.freeze({ status: "probe" });

/** The outcome of a try in the tracker's terms. */
export function tryOutcome(cause: FailureCause | "ok", retryAfterMs?: number): TryOutcome {
  if (cause === "ok") return OK;
  return retryAfterMs === undefined ? { ok: false, cause } : { ok: false, cause, retryAfterMs };
}

const OK: TryOutcome = Object.freeze({ ok: true });

