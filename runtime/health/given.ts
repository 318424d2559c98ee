/**
 * The live world a `test` block or `aigw explain` states — `given T
 * ejected`, `given T failures F of N` — as the state view's `health`
 * reader. Each given is fed through the same machine the server's tracker
 * runs (machine.ts), at time 0 of a virtual clock, under every health
 * policy of the graph; the route's policy then judges it exactly as it
 * would in production: `failures 5 of 10` ejects under `consecutive 5`, not
 * under `consecutive 6`.
 */
import type { Graph, HealthNode } from "../../compiler/graph.js";
import { HEALTHY, PROBE, type TargetHealth } from "../engine/index.js";
import { ejectNow, look, newRecord, record, type HealthRecord } from "./machine.js";

/** One target's stated health. */
export type HealthGiven = { readonly kind: "ejected"; readonly target: string } | { readonly kind: "failures"; readonly target: string; readonly failures: number; readonly of: number };

/** The `health` reader for these givens; undefined when there are none (every target healthy). */
export function givenHealth(graph: Pick<Graph, "health">, givens: readonly HealthGiven[]): ((health: string, model: string) => TargetHealth) | undefined {
  if (givens.length === 0) return undefined;
  const policies = graph.health ?? {};
  const states = new Map<string, TargetHealth>();
  for (const name of Object.keys(policies)) {
    const node = policies[name]!;
    for (const g of givens) {
      const rec = newRecord();
      if (g.kind === "ejected") ejectNow(rec, node, 0, { kind: "given" });
      else feed(rec, node, g.failures, g.of);
      const state = look(rec, 0);
      states.set(`${name}\u0000${g.target}`, state === "half-open" ? PROBE : state);
    }
  }
  return (health, model) => states.get(`${health}\u0000${model}`) ?? HEALTHY;
}

/** `of − failures` answered tries, then `failures` failing ones with the policy's first counted reason. */
function feed(rec: HealthRecord, node: HealthNode, failures: number, of: number): void {
  const cause = causeOf(node.on[0] ?? "5xx");
  for (let i = 0; i < of - failures; i++) record(rec, node, { ok: true }, 0);
  for (let i = 0; i < failures; i++) record(rec, node, { ok: false, cause }, 0);
}

/** A concrete cause for a reason: `5xx` → 500, `429` → 429, `timeout` → timeout. */
function causeOf(reason: string): number | "timeout" | "connection" {
  if (reason === "timeout" || reason === "connection") return reason;
  return reason.endsWith("xx") ? Number(reason[0]) * 100 : Number(reason);
}

