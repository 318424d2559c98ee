/**
 * The store a served policy uses, from its `gateway { state … }`: opened at
 * start, swept on a timer (expired reservations are released; counting never
 * depends on the sweep, it only frees space), closed at shutdown.
 *
 * A relative SQLite path (and the default `.aigw/state.db`) is resolved
 * against the directory of the policy (the first path given to `aigw serve`,
 * or its directory when it is a file), so the counters stay with the policy
 * whatever the working directory.
 *
 * A shared store (SQLite, Redis) is wrapped in leases (state/lease.ts): most
 * admissions are answered from a slice this process holds, with no store
 * transaction. `memory` is one process already and is used as is.
 */
import type { GatewayNode } from "../../compiler/graph.js";
import { leasedStore, openStore, sweepEvery, type Clock, type Store, type Swept } from "../state/index.js";

/** How often expired reservations and past windows are swept. */
export const SWEEP_INTERVAL_MS = 60_000;

/** An open store with its sweep timer. */
export type ManagedStore = Swept<Store>;

/** Opens the gateway block's store and starts sweeping it; `onError` hears sweep failures. */
export function openManagedStore(
  config: GatewayNode["state"],
  options: { env: Readonly<Record<string, string | undefined>>; baseDir: string; clock?: Clock; sweepMs?: number; onError?: (err: unknown) => void },
): ManagedStore {
  const clock = options.clock ?? Date.now;
  const opened = openStore(config, { env: options.env, clock, baseDir: options.baseDir });
  const store = opened.kind === "memory" ? opened : leasedStore(opened, { clock, ...(options.onError ? { onError: options.onError } : {}) });
  return sweepEvery(store, options.sweepMs ?? SWEEP_INTERVAL_MS, options.onError);
}
