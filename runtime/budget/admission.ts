/**
 * Admission of a routed decision's budgets and limits, as data: the worst
 * case is reserved and the limits taken in ONE atomic store `admit`, and
 * the answer says what happened — admitted (with a {@link Hold} to settle)
 * or refused, naming the limit or the budgets that refused with their
 * counters. What to do about a refusal (re-plan with `decide`, or a 429 and
 * its headers) is the pipeline's admit step; this file never decides and
 * never builds an HTTP error. Store failures propagate.
 *
 * A budget that is already exceeded and only downgrades the request is not
 * reserved against (the downgrade is its answer); every other budget and
 * limit of the route is, in the same batch.
 */
import type { Graph, WindowNode } from "../../compiler/graph.js";
import type { RoutedDecision } from "../engine/index.js";
import { budgetKey, limitKey } from "../state/keys.js";
import { dollarsToMicros } from "../state/money.js";
import type { Check, CheckResult, Store } from "../state/store.js";
import { worstCase, type CostedRequest, type RequestSize } from "./cost.js";
import type { UsageFault } from "./settle.js";
import { openHold, type Hold } from "./hold.js";

/** Logs what a budget does (a warning crossed, a store that failed); the server's logger fits. */
export interface BudgetLog {
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** One check of the batch and what it stands for. */
export interface Slot {
  readonly check: Check;
  readonly kind: "budget" | "requests" | "tokens" | "concurrent";
  /** The budget's or limit's name. */
  readonly name: string;
  readonly warnPercent?: number;
}

/** A slot with its result. */
export interface Counted {
  readonly slot: Slot;
  readonly result: CheckResult;
}

export type Admission =
  | {
      readonly admitted: true;
      readonly hold: Hold;
      /** Every slot with its counter after the admission. */
      readonly counted: readonly Counted[];
      /** The budgets at or past their `warn at` percentage, with the percentage reached. */
      readonly warnings: readonly { readonly budget: string; readonly percent: number }[];
    }
  | {
      readonly admitted: false;
      /** The first refusing limit (requests or tokens), with every slot of that limit; a limit answers before budgets. */
      readonly limit?: { readonly refused: Counted; readonly slots: readonly Counted[] };
      /** The budgets that refused (no room for the worst case). */
      readonly budgets: readonly Counted[];
    };

/** Budgets and rate limits over one store; one per gateway. */
export class Budgets {
  /** Counter windows this process has already logged a warning crossing for (bounded). */
  readonly #warned = new Set<string>();

  constructor(
    readonly store: Store,
    readonly log?: BudgetLog,
    /** Hears each settlement whose reported usage was above the reservation or unrecordable (the `aigw_usage_clamped_total` metric). */
    readonly onUsageFault?: (target: string, fault: UsageFault) => void,
  ) {}

  /** Admits `d` for a request of `size` (cost.ts; measured on the body as sent), see the module comment. */
  async admit(graph: Graph, d: RoutedDecision, size: RequestSize, body: CostedRequest): Promise<Admission> {
    const slots = slotsOf(graph, d, size, body);
    const { admitted, results } = await this.store.admit(slots.map((s) => s.check));
    const counted = slots.map((slot, i) => ({ slot, result: results[i]! }));
    if (!admitted) {
      const refused = counted.filter((c) => !c.result.admitted);
      const limit = refused.find((c) => c.slot.kind !== "budget");
      const budgets = refused.filter((c) => c.slot.kind === "budget");
      return limit === undefined ? { admitted: false, budgets } : { admitted: false, budgets, limit: { refused: limit, slots: counted.filter((c) => c.slot.kind !== "budget" && c.slot.name === limit.slot.name) } };
    }
    const warnings: { budget: string; percent: number }[] = [];
    for (const { slot, result: r } of counted) {
      if (slot.kind !== "budget" || slot.warnPercent === undefined || r.limit === 0) continue;
      const after = (r.spent + r.reserved) / r.limit;
      if (after * 100 < slot.warnPercent) continue;
      const percent = Math.floor(after * 100);
      warnings.push({ budget: slot.name, percent });
      if (this.#firstWarning(`${slot.check.key}@${r.resetAt}`)) {
        this.log?.warn("budget warning crossed", { budget: slot.name, key: slot.check.key, percent, warnPercent: slot.warnPercent, resetAt: new Date(r.resetAt).toISOString() });
      }
    }
    return { admitted: true, hold: openHold(graph, this, counted, size, body), counted, warnings };
  }

  /** True the first time this process sees a counter window in its warn zone (the crossing may have been by settlement). */
  #firstWarning(id: string): boolean {
    if (this.#warned.has(id)) return false;
    if (this.#warned.size >= 10_000) this.#warned.clear(); // bounded: a cleared set logs a window at most once more
    this.#warned.add(id);
    return true;
  }
}

/**
 * The admission batch: the worst case reserved on every budget not already
 * exceeded, one request taken and the worst case's tokens (in + out)
 * reserved on every limit. An amount above a counter's limit is sent as
 * limit + 1: refused all the same, and never an unsafe integer the store
 * would reject as a bad argument (which would read as a store outage).
 */
/** The window of a `concurrent` counter: nothing is ever spent in it, so its length only has to outlast a reservation. */
const IN_FLIGHT_WINDOW: WindowNode = { kind: "rolling", ms: 86_400_000 };

function slotsOf(graph: Graph, d: RoutedDecision, size: RequestSize, body: CostedRequest): Slot[] {
  const slots: Slot[] = [];
  const worst = worstCase(graph, d.plan.targets, size, body);
  // At least 1 µ$: a budget already at its limit refuses even a request priced at nothing, as `spent >= limit` says.
  const micros = Math.max(1, worst.micros);
  for (const b of d.budgets) {
    if (b.state === "exceeded") continue; // it downgraded this request: the downgrade is its answer
    const limit = dollarsToMicros(b.limit);
    const check: Check = { kind: "reserve", key: budgetKey(b.budget, b.scopeKey), amount: Math.min(micros, limit + 1), limit, window: b.node.window };
    slots.push(b.node.warnPercent === undefined ? { check, kind: "budget", name: b.budget } : { check, kind: "budget", name: b.budget, warnPercent: b.node.warnPercent });
  }
  for (const l of d.limits) {
    const r = l.node.requests;
    if (r) slots.push({ kind: "requests", name: l.limit, check: { kind: "take", key: limitKey(l.limit, "requests", l.scopeKey), amount: 1, limit: l.requestsCap ?? r.count, window: r.window } });
    if (l.node.concurrent !== undefined) {
      // One slot held while the request is in flight (hold.ts releases it); a crashed gateway's slots lapse with the reservation TTL.
      const check: Check = { kind: "reserve", key: limitKey(l.limit, "concurrent", l.scopeKey), amount: 1, limit: l.node.concurrent, window: IN_FLIGHT_WINDOW };
      slots.push({ kind: "concurrent", name: l.limit, check });
    }
    const t = l.node.tokens;
    if (t) {
      // the cap of this scope value (decide read it from the limit's amount table)
      const cap = l.tokensCap ?? t.count;
      const check: Check = { kind: "reserve", key: limitKey(l.limit, "tokens", l.scopeKey), amount: Math.min(worst.tokens, cap + 1), limit: cap, window: t.window };
      slots.push({ kind: "tokens", name: l.limit, check });
    }
  }
  return slots;
}
