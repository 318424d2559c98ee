/**
 * W507 shared-cache: a cache shared across callers (`scope global` or
 * `scope team`) on a route whose guardrails treat callers differently. A hit
 * replays a reply stored for another caller without running the route's
 * guardrails for the caller who gets it, so a guardrail that redacts, or one
 * whose condition reads who is calling (`key`, `team`, `user`, `label(…)`),
 * no longer decides per caller: one caller's reply, written from their
 * redacted prompt or under their rules, reaches another. A warning, not an
 * error: a team-wide cache in front of a team-wide redaction can be exactly
 * what the author wants, and `scope key` (the default) or `scope user` is
 * one word away.
 *
 * Where it points: at the route's `cache` statement, with the guardrail's
 * name and a related span at the rule that makes it per caller.
 */
import type { CacheStmt, Expr, GuardrailDecl, RouteDecl } from "../../lang/ast.js";
import { diagnostic, type Diagnostic } from "../../lang/diagnostics.js";
import type { Span } from "../../lang/span.js";
import type { SymbolTable } from "../symbols.js";
import type { Rule } from "./rule.js";
import { arr, nameOf, routesInOrder, statements, walkExpr } from "./walk.js";

const CALLER_FACTS = new Set(["key", "team", "user", "label"]);

/** The scope a cache body sets (`key` when it sets none). */
function scopeOf(body: readonly CacheStmt[]): string {
  for (const s of body) if (s.kind === "setting" && nameOf(s.name) === "scope" && s.value?.kind === "ident") return s.value.name;
  return "key";
}

function readsCaller(expr: Expr): boolean {
  let found = false;
  walkExpr(expr, (e) => {
    if ((e.kind === "compare" || e.kind === "in" || e.kind === "matches" || e.kind === "truthy") && CALLER_FACTS.has(e.fact.name.name)) found = true;
  });
  return found;
}

/** The first rule of `g` that makes it per caller: a redaction, or a condition on the caller. */
function perCallerRule(g: GuardrailDecl): { why: string; span: Span } | undefined {
  for (const s of arr(g.body)) {
    if (s.kind === "detect" && nameOf(s.action) === "redact") return { why: "redacts", span: s.span };
    if (s.kind === "when" && readsCaller(s.condition)) return { why: "decides by who is calling", span: s.span };
  }
  return undefined;
}

function check(route: RouteDecl, symbols: SymbolTable, out: Diagnostic[]): void {
  const stmts = statements(route);
  const stmt = stmts.find((s) => s.kind === "cache");
  if (stmt?.kind !== "cache") return;
  const named = nameOf(stmt.name);
  const body = named !== undefined ? symbols.caches.get(named)?.body : stmt.body;
  if (body === undefined) return;
  const scope = scopeOf(body);
  if (scope !== "global" && scope !== "team") return;
  for (const s of stmts) {
    if (s.kind !== "guard") continue;
    for (const n of arr(s.names)) {
      const g = symbols.guardrails.get(nameOf(n) ?? "");
      const rule = g && perCallerRule(g);
      if (!rule) continue;
      const cache = named !== undefined ? `cache \`${named}\`` : "the cache";
      out.push(
        diagnostic("W507", `${cache} of route \`${route.name.name}\` is shared by ${scope === "global" ? "every caller" : "a whole team"} (\`scope ${scope}\`), and guardrail \`${n.name}\` ${rule.why}: a hit serves one caller's reply to another`, stmt.span, {
          related: { message: `guardrail \`${n.name}\` ${rule.why} here`, span: rule.span },
          help: "use `scope key` (the default) or `scope user`, so each caller's replies stay theirs",
        }),
      );
      return;
    }
  }
}

export const sharedCache: Rule = {
  name: "shared-cache",
  codes: ["W507"],
  check(ctx) {
    const out: Diagnostic[] = [];
    for (const route of routesInOrder(ctx)) check(route, ctx.symbols, out);
    return out;
  },
};
