/**
 * The `defaults` phase: every route's `use` replaced by the statements it
 * stands for (lang/SPEC.md §4.13), so each later check, lint and the lowering
 * see a route as it will run, and nothing after this phase knows `use`.
 *
 * The layers of a route, earliest first: each name of each `use` in the
 * order written (a block's own `use`s before its own statements, by the same
 * rule), then the route's own statements. A later layer's single statement
 * (`fallback`, `retry`, `timeout`, `cache`, `health`, `max_latency`,
 * `max_cost`) replaces an earlier one of the same kind; `guard`, `budget`
 * and `limit` lists are joined in layer order (the lowering keeps each name
 * once, at its first place). So the route's own word always wins, and a
 * block included twice (through two others) changes nothing the second time.
 *
 * E310: a block that includes itself, directly or through others, reported
 * once per cycle at the `use` that closes it, with the path. The blocks on
 * a cycle contribute nothing past it, so the rest of the policy is still
 * checked. (Names that resolve to nothing are E101, from unknown-reference.)
 */
import type { DefaultsDecl, Ident, RouteDecl, RouteStmt } from "../../lang/ast.js";
import { diagnostic, type Diagnostic } from "../../lang/diagnostics.js";
import type { SymbolTable } from "../symbols.js";
import { arr, nameOf, statements } from "../rules/walk.js";

/** Route statements a `defaults` block may not hold: they say which requests a route takes and where they go, not how. */
export const NOT_IN_DEFAULTS = new Set<RouteStmt["kind"]>(["when", "to", "split", "reject"]);

/** The kind a later statement replaces, or undefined for the joined lists. */
function replaces(s: RouteStmt): string | undefined {
  switch (s.kind) {
    case "guard":
    case "budget":
    case "limit":
    case "use":
      return undefined;
    case "setting":
      return `setting:${nameOf(s.name) ?? ""}`;
    // each parameter and verb, and each header, is its own single statement: the route's own wins
    case "shape":
      return `shape:${s.verb}:${nameOf(s.param) ?? ""}`;
    case "upstream_header":
      return `upstream_header:${s.name.value.toLowerCase()}`;
    default:
      return s.kind;
  }
}

/** `layer` laid over `under`: `under` without what `layer` replaces, then `layer`. */
function overlay(under: readonly RouteStmt[], layer: readonly RouteStmt[]): RouteStmt[] {
  const replaced = new Set(layer.map(replaces).filter((k) => k !== undefined));
  return [...under.filter((s) => !replaced.has(replaces(s) ?? "")), ...layer];
}

export function expandDefaults(symbols: SymbolTable): { symbols: SymbolTable; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const inherited = new Map<RouteStmt, DefaultsDecl>();
  const flat = new Map<string, RouteStmt[]>();
  const reported = new Set<string>();
  let cycles = 0;

  /** What `use` of `names` brings, each block flattened; `path` is the blocks being expanded (for cycles). */
  function included(uses: readonly Ident[], path: readonly string[]): RouteStmt[] {
    let out: RouteStmt[] = [];
    for (const id of uses) {
      const name = nameOf(id);
      const decl = name === undefined ? undefined : symbols.defaults.get(name);
      if (name === undefined || decl === undefined) continue;
      const at = path.indexOf(name);
      if (at >= 0) {
        cycles++;
        const cycle = [...path.slice(at), name];
        const key = [...cycle.slice(0, -1)].sort().join(" ");
        if (!reported.has(key)) {
          reported.add(key);
          diagnostics.push(
            diagnostic("E310", `defaults \`${name}\` includes itself: ${cycle.map((n) => `\`${n}\``).join(" → ")}`, id.span, {
              related: { message: `\`${name}\` is declared here`, span: decl.name.span },
              help: "remove one `use` of the cycle",
            }),
          );
        }
        continue;
      }
      out = overlay(out, flatten(decl, [...path, name]));
    }
    return out;
  }

  function flatten(decl: DefaultsDecl, path: readonly string[]): RouteStmt[] {
    const name = decl.name.name;
    const done = flat.get(name);
    if (done) return done;
    const body = statements(decl);
    const own = body.filter((s) => s.kind !== "use" && !NOT_IN_DEFAULTS.has(s.kind));
    for (const s of own) inherited.set(s, decl);
    const before = cycles;
    const result = overlay(included(usesOf(body), path), own);
    // Flattened across a cycle, a block lacks the part the cycle cut, which depends on where it was entered: not kept.
    if (cycles === before) flat.set(name, result);
    return result;
  }

  const expand = (route: RouteDecl): RouteDecl => {
    const body = statements(route);
    const uses = usesOf(body);
    if (uses.length === 0) return route;
    const own = body.filter((s) => s.kind !== "use");
    return { ...route, body: overlay(included(uses, []), own) };
  };

  // Every block is flattened, used or not, so a cycle among unused blocks is still reported.
  for (const decl of symbols.defaults.values()) flatten(decl, [decl.name.name]);
  const routes = arr(symbols.routes).map(expand);
  const routesByName = new Map(routes.map((r) => [r.name.name, r] as const));
  return { symbols: { ...symbols, routes, routesByName, inherited }, diagnostics };
}

function usesOf(body: readonly RouteStmt[]): Ident[] {
  return body.flatMap((s) => (s.kind === "use" ? [...arr(s.names)] : []));
}
