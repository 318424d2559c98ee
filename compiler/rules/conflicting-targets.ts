/**
 * E306 conflicting-targets: a route statement that can be given only once is
 * given twice, so which one applies would be a guess.
 * - `to` and `split` in the same route, two `to`s or two `split`s: the target;
 * - two `fallback` lines: the graph has one fallback list with one set of
 *   reasons, so two lines with different `on` reasons cannot both hold;
 * - two `when` lines: they might be meant as `and` or as `or`; say which.
 * The primary span is the second statement, the related span the first.
 */
import type { RouteDecl, RouteStmt } from "../../lang/ast.js";
import { diagnostic, type Diagnostic } from "../../lang/diagnostics.js";
import type { Rule } from "./rule.js";
import { nameOf, spanOf, statements, declarations } from "./walk.js";

type Group = "target" | "fallback" | "when";

function groupOf(s: RouteStmt): Group | undefined {
  if (s.kind === "to" || s.kind === "split" || s.kind === "reject") return "target";
  if (s.kind === "fallback" || s.kind === "when") return s.kind;
  return undefined;
}

function twoOf(s: RouteStmt): string {
  return s.kind === "to" ? "two `to` targets" : s.kind === "split" ? "two `split`s" : s.kind === "reject" ? "two `reject`s" : s.kind === "when" ? "two `when` conditions" : "two `fallback` lists";
}

const HELP: Record<Group, string> = {
  target: "keep one: `to <model>` for one target, one `split { … }` for several, or `reject` to refuse",
  fallback: "merge them into one `fallback` list",
  when: "combine them into one `when` with `and` (or `or`)",
};

function checkRoute(file: string, route: RouteDecl, out: Diagnostic[]): void {
  const first = new Map<Group, RouteStmt>();
  const routeName = nameOf(route.name);
  const where = routeName ? `route \`${routeName}\`` : "this route";
  for (const s of statements(route)) {
    const g = groupOf(s);
    if (!g) continue;
    const earlier = first.get(g);
    if (!earlier) {
      first.set(g, s);
      continue;
    }
    const message =
      g === "target" && earlier.kind !== s.kind
        ? `${where} has both \`${earlier.kind}\` and \`${s.kind}\``
        : `${where} has ${twoOf(s)}`;
    out.push(
      diagnostic("E306", message, spanOf(file, s, route), {
        related: { message: `the first \`${earlier.kind}\` is here`, span: spanOf(file, earlier, route) },
        help: HELP[g],
      }),
    );
  }
}

export const conflictingTargets: Rule = {
  name: "conflicting-targets",
  codes: ["E306"],
  check(ctx) {
    const out: Diagnostic[] = [];
    for (const { file, decl } of declarations(ctx)) if (decl.kind === "route") checkRoute(file, decl, out);
    return out;
  },
};
