/**
 * The budget and rate-limit headers a policy test's request gets (`expect
 * header`, lang/SPEC.md §8.3), made by the server's own code: the test's
 * `given budget … spent` and `given limit … used` are written into a
 * memory store on a clock stopped at 0 (1970-01-01T00:00:00Z), the decision
 * is admitted by the server's admission (runtime/budget/admission.ts) on
 * the request the test describes (one user message holding its `input`,
 * with its `max_tokens`), and the pipeline's refusals.ts builds the
 * headers: `x-ratelimit-*` and `x-aigw-budget-warning` for an admitted
 * request, the 429's `retry-after` and `x-ratelimit-*` for a refused one.
 * So `x-ratelimit-remaining-requests` counts this request, and a reset is
 * the whole window (a rolling minute is `1m0s`, a calendar day `24h0m0s`).
 */
import type { Decision } from "../engine/decision.js";
import type { Facts } from "../engine/facts.js";
import type { PreparedGraph } from "../engine/prepare.js";
import type { StateView } from "../engine/state.js";
import { Budgets } from "../budget/admission.js";
import { requestSize } from "../budget/cost.js";
import { readCounters } from "../budget/counters.js";
import type { HeaderList } from "../pipeline/headers.js";
import { admittedHeaders, budgetError, limitError, rejectedError } from "../pipeline/refusals.js";
import { decodeChat } from "../request/index.js";
// The state modules themselves, not ../state/index.js: that one loads the Redis store, and `aigw check` must run without ioredis (an optional dependency).
import { budgetKey, limitKey } from "../state/keys.js";
import { dollarsToMicros } from "../state/money.js";
import { memoryStore } from "../state/memory.js";
import type { Store } from "../state/store.js";

/** The headers the admission step adds for `decision` (none for no route, a refusing route or a route without budgets and limits). */
export async function testHeaders(p: PreparedGraph, decision: Decision, facts: Facts, state: StateView): Promise<HeaderList> {
  if (decision.kind !== "route" && decision.kind !== "rejected") return [];
  if (decision.budgets.length === 0 && decision.limits.length === 0) return [];
  const store = memoryStore({ clock: () => 0 });
  try {
    await seed(store, decision, state);
    if (decision.kind === "rejected") return [...rejectedError(decision, await readCounters(store, decision), 0).headers];
    const request = decodeChat({ model: facts.model ?? "", messages: [{ role: "user", content: facts.text }], ...(facts.maxTokens === undefined ? {} : { max_tokens: facts.maxTokens }) });
    const admission = await new Budgets(store).admit(p.graph, decision, requestSize(request), request);
    if (admission.admitted) return admittedHeaders(admission.counted, admission.warnings, 0);
    if (admission.limit !== undefined) return [...limitError(admission.limit, 0).headers];
    const refused = admission.budgets[0];
    return refused === undefined ? [] : [...budgetError("", refused.slot.name, refused.result.resetAt, 0).headers];
  } finally {
    await store.close();
  }
}

/** Writes what the givens say was spent and used into the counters the decision reads. */
async function seed(store: Store, d: Extract<Decision, { kind: "route" | "rejected" }>, state: StateView): Promise<void> {
  for (const b of d.budgets) {
    const spent = state.budgetSpent(b.budget, b.scopeKey);
    if (spent > 0) await store.add(budgetKey(b.budget, b.scopeKey), dollarsToMicros(spent), b.node.window);
  }
  for (const l of d.limits) {
    for (const m of ["requests", "tokens"] as const) {
      const spec = l.node[m];
      const used = state.limitUsed(l.limit, l.scopeKey, m);
      if (spec !== undefined && used > 0) await store.add(limitKey(l.limit, m, l.scopeKey), used, spec.window);
    }
  }
}
