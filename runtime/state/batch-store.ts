/**
 * The single-check and single-settlement forms of the {@link Store}
 * interface (`reserve`, `take`, `settle`, `add`), written once over the
 * batch methods every implementation has (`admit`, `finish`): each form is
 * its batch of one, so it keeps the batch's atomicity and its errors.
 */
import type { WindowNode } from "../../compiler/graph.js";
import type { HealthNews, SharedHealth } from "./health.js";
import type { Addition, Admission, Check, CheckResult, CounterEntry, CounterRef, CounterValue, Reservation, Settlement, Store } from "./store.js";

export abstract class BatchStore implements Store {
  abstract readonly kind: Store["kind"];
  abstract admit(checks: readonly Check[]): Promise<Admission>;
  abstract finish(settlements: readonly Settlement[], additions?: readonly Addition[]): Promise<boolean[]>;
  abstract read(counters: readonly CounterRef[]): Promise<CounterValue[]>;
  abstract list(): Promise<CounterEntry[]>;
  abstract sweep(now?: number): Promise<number>;
  abstract shareHealth(owner: string, news: readonly HealthNews[]): Promise<SharedHealth[]>;
  abstract close(): Promise<void>;

  reserve(key: string, amount: number, limit: number, window: WindowNode, ttlMs?: number): Promise<CheckResult> {
    const check: Check = ttlMs === undefined ? { kind: "reserve", key, amount, limit, window } : { kind: "reserve", key, amount, limit, window, ttlMs };
    return this.admit([check]).then(first);
  }

  take(key: string, amount: number, limit: number, window: WindowNode): Promise<CheckResult> {
    return this.admit([{ kind: "take", key, amount, limit, window }]).then(first);
  }

  settle(reservation: Reservation, actual: number): Promise<boolean> {
    return this.finish([{ reservation, actual }]).then((live) => live[0]!);
  }

  add(key: string, amount: number, window: WindowNode): Promise<void> {
    return this.finish([], [{ key, amount, window }]).then(() => undefined);
  }
}

function first(a: Admission): CheckResult {
  return a.results[0]!;
}
