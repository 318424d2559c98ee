/**
 * Trace events: what `decide` reports to an optional tracer, in evaluation
 * order. `aigw explain` prints them and the server can log them. Without a
 * tracer none of these objects is built.
 */
import type { FactNode, SourceRef } from "../../compiler/graph.js";
import { describeUnfit, type UnfitTarget } from "./fit.js";
import { describeEjection, type SkippedTarget } from "./live.js";
import type { BudgetCharge, LimitCharge, NotApplied, RouteRef, SplitChoice } from "./decision.js";
import type { AttemptPlan } from "./plan.js";

/** One step of a decision, as reported to a tracer. */
export type TraceEvent =
  /** Which routes the index made candidates: those for the requested model plus those for any model. */
  | { readonly kind: "candidates"; readonly model: string | undefined; readonly forModel: number; readonly anyModel: number }
  /** A route was considered; `reason` says which part of its `when` decided. */
  | { readonly kind: "route"; readonly route: RouteRef; readonly matched: boolean; readonly reason: string }
  | { readonly kind: "no-route"; readonly model: string | undefined }
  | { readonly kind: "budget"; readonly charge: BudgetCharge }
  | { readonly kind: "limit"; readonly charge: LimitCharge }
  /** A budget or limit of the route whose `when` is false for this request: not counted, cannot refuse. */
  | { readonly kind: "not-applied"; readonly notApplied: NotApplied }
  | { readonly kind: "downgrade"; readonly budget: string; readonly model: string }
  | { readonly kind: "rejected"; readonly message: string }
  | {
      readonly kind: "split";
      readonly route: RouteRef;
      readonly choice: SplitChoice | undefined;
      readonly arms: readonly { readonly model: string; readonly weight: number }[];
      readonly by: FactNode | undefined;
    }
  | { readonly kind: "skipped"; readonly skipped: SkippedTarget; readonly span: SourceRef | undefined }
  /** A target left out (of the plan or the split's draw) because it cannot take the request. */
  | { readonly kind: "unfit"; readonly unfit: UnfitTarget }
  | { readonly kind: "plan"; readonly plan: AttemptPlan };

/** Receives trace events. */
export type Tracer = (event: TraceEvent) => void;

const at = (span: { file: string; line: number }): string => `${span.file}:${span.line}`;
const money = (n: number): string => `$${Number.isInteger(n) ? n : n.toFixed(2)}`;

/**
 * One trace event as a line in the policy's own terms, for `aigw explain`
 * and debug logs: `route premium-chat (main.route:23) does not match: …`.
 */
export function describeTraceEvent(e: TraceEvent): string {
  switch (e.kind) {
    case "candidates":
      return `model ${e.model === undefined ? "(none)" : `\`${e.model}\``}: ${e.forModel} route(s) for this model and ${e.anyModel} for any model`;
    case "route":
      return `route ${e.route.name} (${at(e.route.span)}) ${e.matched ? "matches" : "does not match"}: ${e.reason}`;
    case "no-route":
      return `no route matches`;
    case "budget": {
      const c = e.charge;
      return `budget ${c.budget} (${c.scope} \`${c.scopeKey}\`): ${money(c.spent)} of ${money(c.limit)} spent${c.state === "ok" ? "" : `, ${c.state}`}`;
    }
    case "limit": {
      const c = e.charge;
      const parts: string[] = [];
      if (c.requestsUsed !== undefined) parts.push(`${c.requestsUsed} of ${c.requestsCap!} requests`);
      if (c.tokensUsed !== undefined) parts.push(`${c.tokensUsed} of ${c.tokensCap!} tokens`);
      if (c.concurrentUsed !== undefined) parts.push(`${c.concurrentUsed} of ${c.node.concurrent!} in flight`);
      return `limit ${c.limit} (${c.scope} \`${c.scopeKey}\`): ${parts.join(", ")} used${c.exhausted ? `, ${c.exhausted} used up` : ""}`;
    }
    case "not-applied":
      return `${e.notApplied.kind} ${e.notApplied.name} (${at(e.notApplied.span)}) does not apply: ${e.notApplied.reason}`;
    case "downgrade":
      return `budget ${e.budget} is exceeded: downgraded to ${e.model}`;
    case "rejected":
      return `rejected: ${e.message}`;
    case "split": {
      const arms = e.arms.map((a) => `${a.weight}% ${a.model}`).join(" ");
      const c = e.choice;
      if (c === undefined) return `split { ${arms} } has no positive weight: fallbacks only`;
      const ms = (x: number | undefined): string => (x === undefined ? "unmeasured" : `${Math.round(x)} ms`);
      const fast = c.fastest === undefined ? "" : `; fastest of ${c.fastest.drawn.map((m, i) => `${m} (${ms(c.fastest!.estimates[i])})`).join(" and ")}`;
      const instead = c.instead === undefined ? "" : `; instead of ejected ${c.instead}`;
      const cheap = c.cheapest === undefined ? "" : `; cheapest of ${c.cheapest.arms.map((m, i) => `${m} (${c.cheapest!.costs[i] === undefined ? "unpriced" : `$${c.cheapest!.costs[i]!.toPrecision(3)}`})`).join(", ")}`;
      const how = (c.forced ? "forced by the test" : c.value !== undefined ? `by ${e.by ? `${e.by.name}${e.by.arg !== undefined ? `("${e.by.arg}")` : ""}` : "fact"} \`${c.value}\`` : `by draw ${c.draw!.toFixed(4)}`) + fast + cheap + instead;
      return `split${c.fastest !== undefined ? " fastest" : c.cheapest !== undefined ? " cheapest" : ""} { ${arms} } picks ${c.model} (${how})`;
    }
    case "skipped":
      return `${e.skipped.model} skipped: ${describeEjection(e.skipped.state)}, health ${e.skipped.health}${e.span === undefined ? "" : ` (${at(e.span)})`}`;
    case "unfit":
      return describeUnfit(e.unfit);
    case "plan": {
      const p = e.plan;
      const targets = p.targets.map((t) => (t.retries > 0 ? `${t.model} (+${t.retries} retries)` : t.model)).join(" → ");
      return `attempts: ${targets === "" ? "(none)" : targets}; fall back on ${p.fallbackOn.join(", ")}${p.backoffMs > 0 ? `; backoff ${p.backoffMs}ms` : ""}`;
    }
  }
}
