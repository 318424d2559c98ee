/**
 * W508 always-unfit-target and W509 unsupported-capability: capability
 * constraints (lang/SPEC.md §7.8) the policy can see will bite.
 *
 * - **W508**: a target of a route (its `to`, a split arm, a fallback) that
 *   every request the route takes cannot use: the route's `when` requires
 *   `images`, `tools` or `stream` and the model's `supports` leaves it out,
 *   or requires more `input_tokens` than its `context`. The `when` is read
 *   as a union of cubes from above (compiler/conditions): every request the
 *   route can take lies in one, so when each cube needs what the model
 *   lacks, the target really is always skipped. The witness is a request
 *   the route takes, drawn from the first cube (when the reading is exact).
 * - **W509**: a capability some test's request states (`images`, `tools`,
 *   `json_schema`, `stream`) that no target of a route supports, while the
 *   route's `when` does not rule it out: such a request that the route takes
 *   is refused (400). The witness is a request the route takes, with the
 *   capability.
 *
 * Models without `supports` (or `context`) are never reported: unknown is
 * not lacking.
 */
import type { ModelDecl, RouteDecl, TestDecl, Value } from "../../lang/ast.js";
import { diagnostic, type Diagnostic } from "../../lang/diagnostics.js";
import { CAPABILITIES, type Capability } from "../graph.js";
import { describe, pointOf, translate, type Cube } from "../conditions/index.js";
import { TRUE, FALSE } from "../conditions/constraint.js";
import type { Rule } from "./rule.js";
import { arr, nameOf, routesInOrder, spanOf, statements } from "./walk.js";

/** What a model declares it can take: undefined parts are not declared. */
interface Declared {
  supports: ReadonlySet<string> | undefined;
  context: number | undefined;
}

function declared(m: ModelDecl | undefined): Declared {
  const setting = (n: string): Value | undefined => arr(m?.settings).find((s) => nameOf(s?.name) === n)?.value;
  const s = setting("supports");
  const c = setting("context");
  return {
    supports: s?.kind === "list" ? new Set(arr(s.items).flatMap((i) => (i?.kind === "ident" ? [i.name] : []))) : undefined,
    context: c?.kind === "quantity" ? c.value : undefined,
  };
}

/** The capability flags a `when` can state (json_schema is not a fact). */
const FLAG_CAPABILITIES: readonly Capability[] = ["tools", "images", "stream"];

/** What every request of `cube` needs that `d` lacks: a capability word or `context`. */
function cubeLacks(cube: Cube, d: Declared): string[] {
  const out: string[] = [];
  for (const c of FLAG_CAPABILITIES) {
    const k = cube.get(c);
    if (d.supports !== undefined && !d.supports.has(c) && k?.kind === "in" && k.values.has(TRUE) && !k.values.has(FALSE)) out.push(c);
  }
  const tokens = cube.get("input_tokens");
  if (d.context !== undefined && tokens?.kind === "ranges" && tokens.parts.length > 0 && tokens.parts.every(([lo]) => lo > d.context!)) out.push("context");
  return out;
}

/** Whether some request of `cube` may have capability `c` (a flag the cube does not pin to false). */
function mayHave(cube: Cube, c: Capability): boolean {
  const k = cube.get(c);
  return k === undefined || k.kind !== "in" || k.values.has(TRUE);
}

interface Target {
  model: string;
  span: ReturnType<typeof spanOf>;
  role: string;
}

function targetsOf(route: RouteDecl, file: string): Target[] {
  const out: Target[] = [];
  for (const s of statements(route)) {
    if (s.kind === "to" && nameOf(s.target)) out.push({ model: nameOf(s.target)!, span: spanOf(file, s.target, s), role: "its target" });
    else if (s.kind === "split") {
      for (const a of arr(s.arms)) if (nameOf(a?.target)) out.push({ model: nameOf(a.target)!, span: spanOf(file, a.target, a), role: "a split arm" });
    } else if (s.kind === "fallback") {
      for (const t of arr(s.targets)) if (nameOf(t)) out.push({ model: nameOf(t)!, span: spanOf(file, t, s), role: "a fallback" });
    }
  }
  return out;
}

/** Each capability some test's request states, with the first such test. */
function testedCapabilities(tests: readonly TestDecl[]): Map<Capability, TestDecl> {
  const out = new Map<Capability, TestDecl>();
  for (const t of tests) {
    for (const s of arr(t?.body)) {
      if (s?.kind !== "request") continue;
      for (const f of arr(s.facts)) {
        const name = nameOf(f?.name);
        const v = arr(f?.args)[0];
        // A bare fact states it; a malformed argument (a broken tree: rules are total) states nothing.
        const on = v === undefined || (typeof v === "object" && v !== null && v.kind === "bool" && v.value === true);
        if (name !== undefined && (CAPABILITIES as readonly string[]).includes(name) && on && !out.has(name as Capability)) out.set(name as Capability, t);
      }
    }
  }
  return out;
}

function witness(cube: Cube, exact: boolean, extra?: Capability): string {
  if (!exact && extra === undefined) return "";
  const p = new Map(pointOf(cube));
  if (extra !== undefined) p.set(extra, true);
  return `, e.g. ${describe(p)}`;
}

export const unfitTarget: Rule = {
  name: "unfit-target",
  codes: ["W508", "W509"],
  check(ctx) {
    const out: Diagnostic[] = [];
    const models = ctx.symbols?.models ?? new Map<string, ModelDecl>();
    const tested = testedCapabilities(arr(ctx.symbols?.tests));
    for (const route of routesInOrder(ctx)) {
      const file = route.span?.file ?? "";
      const name = nameOf(route.name) ?? "";
      const whens = statements(route).flatMap((s) => (s.kind === "when" ? [s.condition] : []));
      if (whens.length > 1) continue; // E306: which reading applies is unsettled
      const { cubes, exact } = translate(whens, "over");
      if (cubes.length === 0) continue; // never matches: E304's business
      const targets = targetsOf(route, file);
      for (const t of targets) {
        const d = declared(models.get(t.model));
        const lacks = cubes.map((c) => cubeLacks(c, d));
        if (!lacks.every((l) => l.length > 0)) continue;
        const what = [...new Set(lacks.flat())].map((l) => (l === "context" ? `more input than its context of ${d.context} tokens` : l)).join(", ");
        out.push(
          diagnostic("W508", `\`${t.model}\` is always skipped on route \`${name}\`: every request it takes needs ${what}${witness(cubes[0]!, exact)}`, t.span, {
            help: `\`${t.model}\` (${t.role}) is never attempted here; remove it, or add what it lacks to its \`supports\` if the model has it`,
          }),
        );
      }
      const unique = [...new Set(targets.map((t) => t.model))];
      if (unique.length === 0) continue;
      for (const [cap, test] of tested) {
        const cube = cubes.find((c) => mayHave(c, cap));
        if (cube === undefined) continue;
        if (!unique.every((m) => declared(models.get(m)).supports?.has(cap) === false)) continue;
        out.push(
          diagnostic("W509", `no target of route \`${name}\` supports ${cap}, so a request with ${cap} that it takes is refused (400)${witness(cube, exact, cap)}`, spanOf(file, route.name, route), {
            related: { message: `test \`${test.name?.value ?? ""}\` sends ${cap}`, span: spanOf(test.span?.file ?? file, test.name, test) },
            help: `add a model that supports ${cap} to the route (a fallback will do)${cap === "json_schema" ? "" : `, or \`not ${cap}\` to its \`when\` if such requests belong elsewhere`}`,
          }),
        );
      }
    }
    return out;
  },
};
