/**
 * E309: proves a policy's invariants over every route and every plan, or
 * shows a counterexample — the route, the path (violations.ts) and a
 * witness, a request that reaches the route and breaks the invariant there.
 *
 * A route breaks an invariant only for requests that reach it: those its
 * `when` admits that no earlier route takes, inside the invariant's `when`
 * (and, for `require context`, with the prompt sizes that break it). That is
 * the hidden-route question (compiler/conditions) asked of the route's cube
 * joined with the invariant's: is it covered by the earlier routes? Earlier
 * routes are read from below and the route and the invariant from above
 * (translate.ts), so a policy reported as keeping its invariants does keep
 * them; a counterexample is exact when nothing it rests on was approximated,
 * and said to be possible otherwise. Only a route that breaks a requirement
 * is asked about, against earlier routes indexed by fact and value
 * (CubeStore), so proving costs about linear time in the routes. Requests
 * the route's own guardrails block (`block when …`) reach no model and
 * break nothing; they join the covering cubes.
 *
 * Runs on the lowered graph (plans, defaults and downgrades applied), with
 * the declarations for residencies and spans. The error is at the route —
 * the fallback, split, `to` or `budget` line that sends there, where the fix
 * usually goes — related to the invariant's `require`.
 */
import type { Ident, InvariantDecl, ModelDecl, RouteDecl } from "../../lang/ast.js";
import { diagnostic, type Diagnostic } from "../../lang/diagnostics.js";
import type { Span } from "../../lang/span.js";
import { conjoin, contains, coveredBy, CubeStore, describe, newWork, pointOf, translate, type Cube, type Item, type Source } from "../conditions/index.js";
import { translateNode } from "../conditions/translate-node.js";
import type { Graph, RouteNode } from "../graph.js";
import { isRequirement, type Requirement } from "../passes/check-invariants.js";
import { arr, nameOf, spanOf, statements } from "../rules/walk.js";
import type { SymbolTable } from "../symbols.js";
import { pathText, violations, type Residency, type Violation } from "./violations.js";

interface Prepared {
  name: string;
  scope: readonly Cube[];
  exact: boolean;
  requires: { what: Requirement; names: string[]; span: Span }[];
}

function prepare(inv: InvariantDecl): Prepared {
  const whens = arr(inv.body).flatMap((s) => (s?.kind === "when" ? [s.condition] : []));
  const scope = translate(whens, "over");
  const requires = arr(inv.body).flatMap((s) => {
    if (s?.kind !== "require") return [];
    const what = nameOf(s.what);
    return isRequirement(what) ? [{ what, names: arr(s.names).map((n) => nameOf(n) ?? ""), span: s.span }] : [];
  });
  return { name: nameOf(inv.name) ?? "", scope: scope.cubes, exact: scope.exact, requires };
}

function settingWord(settings: readonly { name: Ident; value: { kind: string } }[] | undefined, name: string): string | undefined {
  const s = arr(settings).find((x) => nameOf(x?.name) === name);
  return s?.value.kind === "ident" ? (s.value as Ident).name : undefined;
}

function residencyOf(symbols: SymbolTable): Residency {
  return (model) => {
    const m: ModelDecl | undefined = symbols.models.get(model);
    if (!m) return undefined;
    return settingWord(m.settings, "residency") ?? settingWord(symbols.providers.get(nameOf(m.provider) ?? "")?.settings, "residency");
  };
}

interface Reach {
  witness: string;
  /** The witness surely reaches the route and breaks the invariant (nothing approximated, the search finished). */
  sure: boolean;
}

/**
 * The requests the route's own guardrails block before any model sees them
 * (`block when …` on the input), read from below: they reach no model, so
 * they break no invariant (`guardrail size { block when input_tokens > 180k }`
 * keeps longer prompts from a route's small fallbacks).
 */
function blocked(graph: Graph, route: RouteNode, i: number): Item[] {
  return route.guard.flatMap((g) =>
    (graph.guardrails[g]?.rules ?? []).flatMap((r) => (r.on === "input" && r.action === "block" && r.when ? translateNode(r.when, "under").cubes.map((cube) => ({ cube, route: i })) : [])),
  );
}

/** The earlier routes (indexed) and the route's blocking guardrails, as one source of covering cubes. */
function source(store: CubeStore, blockers: readonly Item[]): Source {
  if (!blockers.length) return store;
  return { candidates: (c) => [...store.candidates(c), ...blockers], named: (k, v) => store.named(k, v) };
}

/** A request of `cubes` ∧ `scope` ∧ `needs` that nothing in `store` takes, if there is one. */
function reach(cubes: readonly Cube[], scope: readonly Cube[], needs: Cube, store: Source, exact: boolean): Reach | undefined {
  for (const c of cubes) {
    for (const s of scope) {
      const joined = conjoin(c, s);
      const e = joined && conjoin(joined, needs);
      if (!e) continue;
      const work = newWork();
      if (coveredBy(e, store, work)) continue;
      const point = pointOf(work.gap ?? e);
      const sure = exact && work.gap !== undefined && contains(e, point) && !store.candidates(e).some((i) => contains(i.cube, point));
      return { witness: describe(point), sure };
    }
  }
  return undefined;
}

/** Where `route` sends along the violation's path — where to fix it; the route's name for a route-wide break. */
function culprit(route: RouteDecl, v: Violation): Span | undefined {
  if (v.wholeRoute) return route.name?.span;
  const model = v.plan.models[v.at];
  for (const s of statements(route)) {
    if (v.plan.downgradeOf !== undefined) {
      if (s.kind === "budget" && arr(s.names).some((n) => nameOf(n) === v.plan.downgradeOf)) return s.span;
      continue;
    }
    const names = v.at > 0 ? (s.kind === "fallback" ? arr(s.targets) : []) : s.kind === "to" ? [s.target] : s.kind === "split" ? arr(s.arms).map((a) => a.target) : [];
    const hit = names.find((n) => nameOf(n) === model);
    if (hit) return hit.span;
  }
  return undefined;
}

/** Every broken invariant, once per (invariant, requirement, route, model), in route order. */
export function proveInvariants(graph: Graph, symbols: SymbolTable): Diagnostic[] {
  const invariants = [...(symbols.invariants?.values() ?? [])].map(prepare);
  if (!invariants.length) return [];
  const residency = residencyOf(symbols);
  const out: Diagnostic[] = [];
  const store = new CubeStore();
  graph.routes.forEach((route, i) => {
    const over = translateNode(route.when, "over");
    const decl = symbols.routesByName.get(route.name);
    let covering: Source | undefined;
    for (const inv of invariants) {
      for (const req of inv.requires) {
        for (const v of violations(graph, route, req.what, req.names, residency)) {
          covering ??= source(store, blocked(graph, route, i));
          const found = reach(over.cubes, inv.scope, v.needs, covering, over.exact && inv.exact);
          if (!found) continue;
          const at = (decl && culprit(decl, v)) ?? spanOf(decl?.span?.file ?? "", decl?.name, decl);
          const eg = found.sure ? `e.g. ${found.witness} goes there` : `possibly ${found.witness} (a condition was approximated)`;
          out.push(
            diagnostic("E309", `route \`${route.name}\` breaks invariant \`${inv.name}\`: ${v.why}, on ${pathText(v.plan, v.at)}; ${eg}`, at, {
              related: { message: `invariant \`${inv.name}\` requires this`, span: req.span },
              help: HELP[req.what],
            }),
          );
        }
      }
    }
    const under = over.exact ? over.cubes : translateNode(route.when, "under").cubes;
    for (const cube of under) store.add({ cube, route: i });
  });
  return out;
}

const HELP: Record<Requirement, string> = {
  guard: "add the guardrail to the route's `guard` line, or narrow the invariant's `when`",
  residency: "send these requests only to models with the required `residency` (declare it on the model or its provider), or narrow the route's `when`",
  price: "declare the model's `input` and `output` prices",
  context: "fall back to a model with at least the first target's `context`, or bound the route's `input_tokens` in its `when`",
};

