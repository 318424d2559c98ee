/**
 * Trace events: what `decide` reports to an optional tracer, in evaluation
 * order. `aigw explain` prints them and the server can log them. Without a
 * tracer none of these objects is built.
 */
import type { FactNode } from "../../compiler/graph.js";
import type { BudgetCharge, LimitCharge, RouteRef, SplitChoice } from "./decision.js";
import type { AttemptPlan } from "./plan.js";

export type TraceEvent =
  /** Which routes the index made candidates: those for the requested model plus those for any model. */
  | { readonly kind: "candidates"; readonly model: string | undefined; readonly forModel: number; readonly anyModel: number }
  /** A route was considered; `reason` says which part of its `when` decided. */
  | { readonly kind: "route"; readonly route: RouteRef; readonly matched: boolean; readonly reason: string }
  | { readonly kind: "no-route"; readonly model: string | undefined }
  | { readonly kind: "budget"; readonly charge: BudgetCharge }
  | { readonly kind: "limit"; readonly charge: LimitCharge }
  | { readonly kind: "downgrade"; readonly budget: string; readonly model: string }
  | { readonly kind: "rejected"; readonly message: string }
  | {
      readonly kind: "split";
      readonly route: RouteRef;
      readonly choice: SplitChoice | undefined;
      readonly arms: readonly { readonly model: string; readonly weight: number }[];
      readonly by: FactNode | undefined;
    }
  /** Targets cooling down after failures, moved to the end of the plan. */
  | { readonly kind: "cooldown"; readonly models: readonly string[] }
  | { readonly kind: "plan"; readonly plan: AttemptPlan };

/** Receives trace events. */
export type Tracer = (event: TraceEvent) => void;
