/**
 * An admitted request's holds: the reservations of its budgets and the
 * token limits its output will count against. Settled with the provider's
 * usage, or released, exactly once, whatever path the request takes.
 */
import type { Graph } from "../../compiler/graph.js";
import type { ChatStream, Completion, Usage } from "../providers/index.js";
import { tapStream } from "../providers/tap.js";
import type { Check, Reservation, Store } from "../state/index.js";
import type { BudgetLog, Counted } from "./admission.js";
import { actualMicros } from "./cost.js";

export interface Hold {
  /** Input tokens counted at admission. */
  readonly inputTokens: number;
  /** Settles with the cost of `usage` on `model`; without usage, releases (charges 0). Later calls do nothing. */
  settle(model: string | undefined, usage: Usage | undefined): Promise<void>;
  /** Settles a non-streaming completion: its usage, else its text's bytes as output tokens. */
  settleCompletion(model: string, completion: Completion): Promise<void>;
  /** A stream that settles once it ends, fails or is cancelled (from its usage chunk, else the streamed text's bytes). */
  wrap(stream: ChatStream, model: string): ChatStream;
}

export function openHold(graph: Graph, store: Store, counted: readonly Counted[], inputTokens: number, log: BudgetLog | undefined): Hold {
  const reservations: Reservation[] = [];
  const tokenChecks: Check[] = [];
  for (const { slot, result } of counted) {
    if (slot.kind === "tokens") tokenChecks.push(slot.check);
    if (slot.kind === "budget" && result.reservation) reservations.push(result.reservation);
  }
  let done = false;
  const settle = async (model: string | undefined, usage: Usage | undefined): Promise<void> => {
    if (done) return;
    done = true;
    const actual = model === undefined || usage === undefined ? 0 : actualMicros(graph, model, usage);
    const output = usage?.completionTokens ?? 0;
    const additions = output > 0 ? tokenChecks.map((c) => ({ key: c.key, amount: output, window: c.window })) : [];
    if (reservations.length === 0 && additions.length === 0) return;
    try {
      await store.finish(
        reservations.map((reservation) => ({ reservation, actual })),
        additions,
      );
    } catch (err) {
      // The reply was paid for: the caller still gets it. The cost is logged for reconciliation; the holds expire.
      log?.error("state store unavailable: a cost was not recorded", {
        error: err instanceof Error ? err.message : String(err),
        costMicros: actual,
        model,
        budgets: reservations.map((r) => r.key),
      });
    }
  };
  return {
    inputTokens,
    settle,
    settleCompletion: (model, c) => settle(model, c.usage ?? { promptTokens: inputTokens, completionTokens: Buffer.byteLength(JSON.stringify(c.completion.choices)) }),
    wrap: (stream, model) =>
      tapStream(stream, {
        onEnd: (seen) => settle(model, stream.usage ?? (seen.bytes > 0 ? { promptTokens: inputTokens, completionTokens: seen.bytes } : undefined)),
      }).stream,
  };
}
