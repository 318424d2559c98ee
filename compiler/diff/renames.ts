/**
 * What a policy change only renamed: a route, model, budget, limit,
 * guardrail, cache or health policy whose name went away while a new name
 * stands for the same thing. Reported beside "no change in behaviour",
 * since a reader who sees the names change wants to know nothing else did.
 * Counters are kept by name, so a renamed budget or limit starts from zero:
 * it is listed here and, since that is behaviour, as a change of every
 * region whose route it meters (outcome.ts `counted`).
 */
import type { Side } from "./regions.js";

export interface Rename {
  kind: "route" | "model" | "budget" | "limit" | "guardrail" | "cache" | "health";
  was: string;
  now: string;
}

/** Declarations by name, each with the fingerprint of what it stands for (names it reaches resolved). */
function declared(s: Side): Record<Rename["kind"], Map<string, string>> {
  const g = s.graph;
  const r = s.resolver;
  const of = (names: Iterable<string>, fp: (n: string) => string): Map<string, string> => new Map([...names].map((n) => [n, fp(n)]));
  return {
    route: new Map(g.routes.map((route, i) => [route.name, s.keys[i]!])),
    model: of(Object.keys(g.models), (n) => r.model(n).fp),
    budget: of(Object.keys(g.budgets), (n) => r.budget(n).content ?? r.budget(n).fp),
    limit: of(Object.keys(g.limits), (n) => r.limit(n).content ?? r.limit(n).fp),
    guardrail: of(Object.keys(g.guardrails), (n) => r.guardrail(n).fp),
    cache: of(Object.keys(g.caches).filter((n) => !n.startsWith("route:")), (n) => r.cache(n).fp),
    health: of(Object.keys(g.health ?? {}), (n) => r.health(n).fp),
  };
}

/** Names only in `a` paired with names only in `b` that stand for the same content. */
export function renames(a: Side, b: Side): Rename[] {
  const da = declared(a);
  const db = declared(b);
  const out: Rename[] = [];
  for (const kind of Object.keys(da) as Rename["kind"][]) {
    const gone = [...da[kind]].filter(([n]) => !db[kind].has(n));
    const fresh = [...db[kind]].filter(([n]) => !da[kind].has(n));
    for (const [was, fp] of gone) {
      const i = fresh.findIndex(([, f]) => f === fp);
      if (i < 0) continue;
      out.push({ kind, was, now: fresh[i]![0] });
      fresh.splice(i, 1);
    }
  }
  return out;
}
