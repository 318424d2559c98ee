/**
 * The chat chain of one loaded graph, composed once when the graph is
 * loaded:
 *
 *   respond → auth → decode → facts → [explain] → decide → input guard
 *     → [shape] → [bodies] → [cache] → [admit] → [output guard] → execute
 *
 * A bracketed step is present only when its feature is: `explain` when
 * decisions are logged, `bodies` with `log_bodies true`, `admit` when the
 * policy has budgets or limits, `shape` when a route shapes requests (after
 * the guardrails, before the cache and admission: the reservation reads the
 * shaped request), `output guard` when a guardrail has output
 * rules, `cache` when a route has a cache (before admit: a hit is free). A
 * new feature is a new step file in steps/ and one line here. Another
 * inbound API (apis.ts) swaps respond and decode for its own and keeps
 * every step between.
 */
import type { Graph } from "../../compiler/graph.js";
import { compose } from "./compose.js";
import type { ChatContext, ChatStep } from "./context.js";
import type { Reply } from "./respond.js";
import { admit } from "./steps/admit.js";
import { auth } from "./steps/auth.js";
import { bodies } from "./steps/bodies.js";
import { cache } from "./steps/cache.js";
import { decide } from "./steps/decide.js";
import { decode, decodeAs } from "./steps/decode.js";
import type { InboundShape } from "./apis.js";
import { execute } from "./steps/execute.js";
import { explain } from "./steps/explain.js";
import { facts } from "./steps/facts.js";
import { inputGuard } from "./steps/input-guard.js";
import { outputGuard } from "./steps/output-guard.js";
import { respond, respondAs } from "./steps/respond.js";
import { shape as shaping } from "./steps/shape.js";

/** Which optional steps are in the chain. */
export interface ChainFeatures {
  /** Keep the decision record of every request (`aigw explain`'s JSON) for the access log. */
  explain: boolean;
}

/** The steps of the chat chain for `graph`, in order (for another inbound API when `shape` is given). */
export function chatSteps(graph: Graph, features: ChainFeatures, shape?: InboundShape): ChatStep[] {
  const steps: ChatStep[] = shape === undefined ? [respond, auth, decode, facts] : [respondAs(shape), auth, decodeAs(shape), facts];
  if (features.explain) steps.push(explain);
  steps.push(decide, inputGuard);
  if (graph.routes.some((r) => r.shaping !== undefined)) steps.push(shaping);
  if (graph.gateway.logBodies) steps.push(bodies);
  if (graph.routes.some((r) => r.cache !== undefined)) steps.push(cache);
  if (Object.keys(graph.budgets).length > 0 || Object.keys(graph.limits).length > 0) steps.push(admit);
  if (Object.values(graph.guardrails).some((g) => g.rules.some((r) => r.on === "output"))) steps.push(outputGuard);
  steps.push(execute);
  return steps;
}

/** The chain as one function. */
export function chatChain(graph: Graph, features: ChainFeatures, shape?: InboundShape): (ctx: ChatContext) => Promise<Reply | null> {
  return compose(chatSteps(graph, features, shape));
}
