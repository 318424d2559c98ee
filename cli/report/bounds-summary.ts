/**
 * The worst case per request that `aigw check` reports (compiler/bounds):
 * one summary line for people, every route's bound for JSON. Pure.
 */
import type { RouteBound } from "../../compiler/bounds/worst-case.js";
import { dollarText, durationText } from "../../compiler/units-text.js";

function worst(bounds: readonly RouteBound[], score: (b: RouteBound) => number): RouteBound | undefined {
  let top: RouteBound | undefined;
  for (const b of bounds) if (!top || score(b) > score(top)) top = b;
  return top;
}

/** `worst case per request: 6 tries (route `premium`), 2m (route `long`, the deadline), $12.24 (route `long`)`. */
export function boundsLine(bounds: readonly RouteBound[]): string | undefined {
  const tries = worst(bounds, (b) => b.tries);
  const time = worst(bounds, (b) => b.latencyMs);
  const cost = worst(bounds, (b) => b.cost);
  if (!tries || !time || !cost) return undefined;
  const deadline = time.uncappedMs > time.latencyMs ? ", the deadline" : "";
  const money = cost.cost === Infinity ? `no cost bound (route \`${cost.route}\`: ${cost.unbounded.map((m) => `\`${m}\``).join(", ")} declare no context)` : `${dollarText(cost.cost)} (route \`${cost.route}\`)`;
  return `worst case per request: ${tries.tries} tries (route \`${tries.route}\`), ${durationText(time.latencyMs)} (route \`${time.route}\`${deadline}), ${money}`;
}

/** Every route's bound as JSON: durations in ms, cost in dollars (null: unbounded). */
export function boundsJson(bounds: readonly RouteBound[]): unknown[] {
  return bounds.map((b) => ({
    route: b.route,
    tries: b.tries,
    latencyMs: b.latencyMs,
    deadline: b.uncappedMs > b.latencyMs,
    cost: b.cost === Infinity ? null : b.cost,
    ...(b.unbounded.length ? { unbounded: b.unbounded } : {}),
    ...(b.unpriced.length ? { unpriced: b.unpriced } : {}),
  }));
}
