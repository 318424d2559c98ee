/**
 * Budget spend for `/metrics`, read from the state store (runtime/state):
 * every budget counter with something spent or reserved in its current
 * window becomes one reading, spent and reserved together (what a new
 * request is checked against). Read at scrape time, never per request.
 */
import { parseKey } from "../state/keys.js";
import { microsToDollars } from "../state/money.js";
import type { CounterEntry } from "../state/store.js";
import type { BudgetReader, BudgetReading } from "./metrics.js";

/** A {@link BudgetReader} over a store's `list()` (the memory, SQLite and Redis stores all have it). */
export function storeBudgetReader(store: { list(): Promise<readonly CounterEntry[]> }): BudgetReader {
  return {
    async budgetReadings(): Promise<BudgetReading[]> {
      const out: BudgetReading[] = [];
      for (const e of await store.list()) {
        if (e.kind !== "budget") continue;
        const k = parseKey(e.key);
        if (k?.kind !== "budget") continue;
        out.push({ budget: k.name, scopeKey: k.scopeValue, spent: microsToDollars(e.spent + e.reserved) });
      }
      return out;
    },
  };
}
