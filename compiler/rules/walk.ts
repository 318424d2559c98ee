/**
 * Defensive traversal helpers shared by the rules. The parser recovers from
 * syntax errors, so the AST a rule sees may have holes (a missing name, an
 * undefined list); every helper here tolerates them so that no rule throws,
 * whatever tree it is given.
 */
import type {
  Declaration,
  DefaultsDecl,
  Expr,
  Ident,
  RegexLit,
  RouteDecl,
  RouteStmt,
  SourceFile,
  Value,
} from "../../lang/ast.js";
import { fileSpan, type Span } from "../../lang/span.js";
import type { CompileContext } from "../symbols.js";

/** `xs` when it is an array, else an empty one (recovered nodes may lack lists). */
export function arr<T>(xs: readonly T[] | null | undefined): readonly T[] {
  return Array.isArray(xs) ? xs : [];
}

/** The name an identifier spells, or undefined for a missing or empty one. */
export function nameOf(id: Ident | null | undefined): string | undefined {
  return id && typeof id.name === "string" && id.name !== "" ? id.name : undefined;
}

function isSpan(s: unknown): s is Span {
  return (
    typeof s === "object" && s !== null && typeof (s as Span).line === "number" && typeof (s as Span).column === "number"
  );
}

/** The first usable span among `candidates`, else a span at the start of `file`. */
export function spanOf(file: string, ...candidates: ({ span?: Span } | Span | null | undefined)[]): Span {
  for (const c of candidates) {
    if (isSpan(c)) return c;
    if (c && typeof c === "object" && isSpan((c as { span?: Span }).span)) return (c as { span: Span }).span;
  }
  return fileSpan(file);
}

/** Every declaration of every file, each with its file's path. */
export function* declarations(ctx: CompileContext): Generator<{ file: string; decl: Declaration }> {
  for (const f of arr<SourceFile>(ctx.files)) {
    if (!f || typeof f !== "object") continue;
    const file = typeof f.path === "string" ? f.path : "";
    for (const decl of arr(f.declarations)) {
      if (decl && typeof decl === "object") yield { file, decl };
    }
  }
}

/** The statements of a route (or a `defaults` block) that are well-formed enough to have a kind. */
export function statements(route: RouteDecl | DefaultsDecl): readonly RouteStmt[] {
  return arr(route.body).filter((s): s is RouteStmt => !!s && typeof s === "object" && typeof s.kind === "string");
}

/** Models a route can send to, before downgrades: its `to`, split arms and fallbacks, in order. */
export function routeModels(route: RouteDecl): string[] {
  const out: string[] = [];
  const add = (n: string | undefined): void => {
    if (n) out.push(n);
  };
  for (const s of statements(route)) {
    if (s.kind === "to") add(nameOf(s.target));
    else if (s.kind === "split") for (const a of arr(s.arms)) add(nameOf(a?.target));
    else if (s.kind === "fallback") for (const t of arr(s.targets)) add(nameOf(t));
  }
  return out;
}

/**
 * A route as it runs: with the statements its `use` brings (the symbol
 * table's copy, passes/expand-defaults.ts), or as written when the table has
 * no copy of this declaration (a duplicate, or a table built without the phase).
 */
export function asRun(ctx: CompileContext, route: RouteDecl): RouteDecl {
  const expanded = nameOf(route.name) === undefined ? undefined : ctx.symbols?.routesByName?.get(route.name.name);
  return expanded !== undefined && expanded.span === route.span ? expanded : route;
}

/** The routes of the policy in first-match order (the symbol table's order). */
export function routesInOrder(ctx: CompileContext): readonly RouteDecl[] {
  return arr(ctx.symbols?.routes).filter((r): r is RouteDecl => !!r && typeof r === "object");
}

/** Calls `visit` on `value` and every value nested in it (list items, call arguments). */
export function walkValue(value: Value | null | undefined, visit: (v: Value) => void): void {
  if (!value || typeof value !== "object") return;
  visit(value);
  if (value.kind === "list") for (const item of arr(value.items)) walkValue(item, visit);
  else if (value.kind === "call") for (const a of arr(value.args)) walkValue(a, visit);
}

/** Calls `visit` on every sub-expression of `expr`, outermost first. */
export function walkExpr(expr: Expr | null | undefined, visit: (e: Expr) => void): void {
  if (!expr || typeof expr !== "object") return;
  visit(expr);
  switch (expr.kind) {
    case "and":
    case "or":
      walkExpr(expr.left, visit);
      walkExpr(expr.right, visit);
      break;
    case "not":
      walkExpr(expr.operand, visit);
      break;
    case "paren":
      walkExpr(expr.inner, visit);
      break;
    default:
      break;
  }
}

/** Every value written inside `expr` (compared values, `in` lists, regex literals, fact arguments). */
export function exprValues(expr: Expr | null | undefined): Value[] {
  const out: Value[] = [];
  walkExpr(expr, (e) => {
    if (e.kind === "compare" && e.value) out.push(e.value);
    else if (e.kind === "in" && e.list) out.push(e.list);
    else if (e.kind === "matches" && e.regex) out.push(e.regex);
    if ("fact" in e && e.fact && e.fact.arg) out.push(e.fact.arg);
  });
  return out;
}

/**
 * Every value written anywhere in a declaration: settings, budget clauses,
 * route statements, `when` conditions, guardrail detectors and test blocks.
 * Each is reported once at its outermost position; use `walkValue` to reach
 * nested ones.
 */
export function declarationValues(decl: Declaration): readonly Value[] {
  let values = valuesCache.get(decl);
  if (!values) valuesCache.set(decl, (values = gatherValues(decl)));
  return values;
}

/** Several rules read every value; they are gathered once per declaration. */
const valuesCache = new WeakMap<Declaration, Value[]>();

function gatherValues(decl: Declaration): Value[] {
  const out: Value[] = [];
  const push = (v: Value | null | undefined): void => {
    if (v && typeof v === "object") out.push(v);
  };
  switch (decl.kind) {
    case "gateway":
    case "provider":
    case "health":
      for (const s of arr(decl.settings)) push(s?.value);
      break;
    case "model":
      push(decl.upstream);
      for (const s of arr(decl.settings)) push(s?.value);
      break;
    case "keys":
      for (const e of arr(decl.entries)) for (const s of arr(e?.labels)) push(s?.value);
      break;
    case "budget":
    case "limit":
      for (const c of arr(decl.clauses)) {
        if (c?.kind === "amount") {
          push(c.amount);
          push(c.window);
        } else if (c?.kind === "warn") push(c.at);
      }
      break;
    case "guardrail":
      for (const s of arr(decl.body)) {
        if (s?.kind === "when") exprValues(s.condition).forEach(push);
        else if (s?.kind === "detect")
          for (const d of arr(s.detectors)) {
            if (d?.kind === "pattern") push(d.regex);
            else if (d?.kind === "deny") push(d.words);
          }
      }
      break;
    case "route":
    case "defaults":
      for (const s of statements(decl)) {
        if (s.kind === "when") exprValues(s.condition).forEach(push);
        else if (s.kind === "fallback") arr(s.on).forEach(push);
        else if (s.kind === "retry") {
          push(s.count);
          push(s.backoff);
        } else if (s.kind === "timeout") push(s.duration);
        else if (s.kind === "reject") {
          push(s.status);
          push(s.message);
        }
        else if (s.kind === "split" && s.by?.arg) push(s.by.arg);
      }
      break;
    case "test":
      for (const s of arr(decl.body)) {
        if (s?.kind === "request") for (const f of arr(s.facts)) arr(f?.args).forEach(push);
        else if (s?.kind === "given" && s.given) {
          const g = s.given;
          if (g.kind === "fails") push(g.reason);
          else if (g.kind === "budget-spent" || g.kind === "limit-used") push(g.amount);
        } else if (s?.kind === "expect" && s.expect) {
          const x = s.expect;
          if (x.kind === "retries") push(x.count);
          else if (x.kind === "status") push(x.status);
          else if (x.kind === "redacted") push(x.text);
        }
      }
      break;
    case "import":
      push(decl.path);
      break;
  }
  return out;
}

/** Every regex literal in the policy, with the file it is in. */
export function* regexLiterals(ctx: CompileContext): Generator<{ file: string; regex: RegexLit }> {
  for (const { file, decl } of declarations(ctx)) {
    for (const v of declarationValues(decl)) {
      const found: RegexLit[] = [];
      walkValue(v, (x) => {
        if (x.kind === "regex") found.push(x);
      });
      for (const regex of found) yield { file, regex };
    }
  }
}
