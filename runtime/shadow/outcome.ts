/**
 * What the shadow compares of two decisions of one request (the live
 * policy's and the candidate's): how the request ends before anything is
 * sent — no route, the route's own refusal, a budget or limit, no target
 * able to take it — and otherwise the route, the set of targets it may
 * try, the first of them and the split arm. Pure.
 */
import type { Decision } from "../engine/index.js";

/** One decision, as the shadow compares it. */
export interface ShadowOutcome {
  /** The matched route; undefined for no route. */
  readonly route: string | undefined;
  /** How the request is refused before it is sent; undefined when it is sent. */
  readonly refusal: string | undefined;
  /** The targets the plan may try, in order. */
  readonly targets: readonly string[];
  /** The split's pick; undefined without a split. */
  readonly arm: string | undefined;
}

/** What differs, most telling first: the label `kind` of `aigw_shadow_differences_total`. */
export type DifferenceKind = "refusal" | "route" | "targets" | "first_target" | "split_arm";

export function outcomeOf(d: Decision): ShadowOutcome {
  if (d.kind === "no-route") return { route: undefined, refusal: "no route (404)", targets: [], arm: undefined };
  const route = d.route.name;
  if (d.kind === "refused") return { route, refusal: `rejected by the route (${d.status})`, targets: [], arm: undefined };
  if (d.kind === "rejected") return { route, refusal: `rejected by ${d.reason.kind} \`${d.reason.kind === "budget" ? d.reason.budget : d.reason.limit}\` (429)`, targets: [], arm: undefined };
  const targets = d.plan.targets.map((t) => t.model);
  const refusal = targets.length === 0 && d.unfit !== undefined ? "no target can take the request (400)" : undefined;
  return { route, refusal, targets, arm: d.split?.model };
}

/** The first way `b` differs from `a`, or undefined when they agree. */
export function differenceOf(a: ShadowOutcome, b: ShadowOutcome): DifferenceKind | undefined {
  if (a.refusal !== b.refusal) return "refusal";
  if (a.route !== b.route) return "route";
  if (a.refusal !== undefined) return undefined;
  if (!sameSet(a.targets, b.targets)) return "targets";
  if (a.targets[0] !== b.targets[0]) return "first_target";
  if (a.arm !== b.arm) return "split_arm";
  return undefined;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((x) => set.has(x));
}

/** An outcome in words, for samples and log lines: `route \`eu\` → [mini, big] (arm mini)`. */
export function outcomeText(o: ShadowOutcome): string {
  const route = o.route === undefined ? "no route" : `route \`${o.route}\``;
  if (o.refusal !== undefined) return o.route === undefined ? o.refusal : `${route}: ${o.refusal}`;
  return `${route} → [${o.targets.join(", ")}]${o.arm !== undefined ? ` (arm ${o.arm})` : ""}`;
}
