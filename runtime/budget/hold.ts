/**
 * An admitted request's holds: the reservations of its budgets and of the
 * token limits it counts against. Settled with the provider's usage (checked
 * against the bound admission reserved, settle.ts), or released, exactly
 * once, whatever path the request takes.
 */
import type { Graph } from "../../compiler/graph.js";
import type { ChatStream, Completion, Usage } from "../providers/index.js";
import { tapStream } from "../providers/tap.js";
import type { Reservation } from "../state/index.js";
import type { Budgets, Counted } from "./admission.js";
import { inputBound, type CostedRequest, type RequestSize } from "./cost.js";
import { settlementOf } from "./settle.js";

export interface Hold {
  /** What admission measured of the request (cost.ts). */
  readonly size: RequestSize;
  /** Settles with the cost of `usage` on `model` (checked against its bound, settle.ts); without usage, releases (charges 0). Later calls do nothing. */
  settle(model: string | undefined, usage: Usage | undefined): Promise<void>;
  /** Settles a non-streaming completion: its usage, else the input bound and its choices' bytes as output tokens. */
  settleCompletion(model: string, completion: Completion): Promise<void>;
  /**
   * A stream that settles once it ends, fails or is cancelled: with the
   * upstream's usage chunk when it sent one, else with the input bound (the
   * upstream read the whole prompt before its first chunk) and the bytes of
   * every delta as output tokens — content, tool calls, refusals, whatever
   * the choices carried, as JSON (a token covers at least one byte).
   */
  wrap(stream: ChatStream, model: string): ChatStream;
}

export function openHold(graph: Graph, budgets: Budgets, counted: readonly Counted[], size: RequestSize, body: CostedRequest): Hold {
  const { store, log } = budgets;
  const reservations: Reservation[] = [];
  const tokenHolds: Reservation[] = [];
  // `concurrent` slots: held while the request is in flight, released (charged nothing) when it ends.
  const inFlight: Reservation[] = [];
  for (const { slot, result } of counted) {
    if (slot.kind === "tokens" && result.reservation) tokenHolds.push(result.reservation);
    if (slot.kind === "budget" && result.reservation) reservations.push(result.reservation);
    if (slot.kind === "concurrent" && result.reservation) inFlight.push(result.reservation);
  }
  let done = false;
  /** `reported`: the upstream's own usage (a fault when it passes the bound); else the gateway's byte count (capped silently). */
  const settle = async (model: string | undefined, usage: Usage | undefined, reported = true): Promise<void> => {
    if (done) return;
    done = true;
    if (reservations.length === 0 && tokenHolds.length === 0 && inFlight.length === 0) return;
    const m = model === undefined ? undefined : graph.models[model];
    const s = m === undefined || usage === undefined ? undefined : settlementOf(m, size, body, usage);
    if (s?.fault !== undefined && reported && model !== undefined) {
      // The provider reported usage no honest bill can reach (or no number at all): its fault, not the store's.
      log?.warn("upstream fault: reported usage is above the reservation or not a token count; charged the bound instead", {
        target: model,
        fault: s.fault,
        promptTokens: String(usage!.promptTokens),
        completionTokens: String(usage!.completionTokens),
        chargedInput: s.input,
        chargedOutput: s.output,
      });
      budgets.onUsageFault?.(model, s.fault);
    }
    const actual = s?.micros ?? 0;
    const tokens = s === undefined ? 0 : s.input + s.output;
    try {
      await store.finish([
        // Never above what was held: an honest bill is within the bound, so this only caps rounding.
        ...reservations.map((reservation) => ({ reservation, actual: Math.min(actual, reservation.amount) })),
        ...tokenHolds.map((reservation) => ({ reservation, actual: Math.min(tokens, reservation.amount) })),
        ...inFlight.map((reservation) => ({ reservation, actual: 0 })),
      ]);
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
  const inputOf = (model: string): number => {
    const m = graph.models[model];
    return m === undefined ? 0 : inputBound(m, size);
  };
  return {
    size,
    settle: (model, usage) => settle(model, usage),
    settleCompletion: (model, c) =>
      c.usage !== undefined
        ? settle(model, c.usage)
        : settle(model, { promptTokens: inputOf(model), completionTokens: Buffer.byteLength(JSON.stringify(c.completion.choices)) }, false),
    wrap: (stream, model) =>
      tapStream(stream, {
        onEnd: (seen) => {
          const usage = stream.usage;
          return usage !== undefined ? settle(model, usage, true) : settle(model, { promptTokens: inputOf(model), completionTokens: seen.deltaBytes }, false);
        },
      }).stream,
  };
}
