/**
 * Name references: every place a policy names a declaration, with the kind
 * of declaration that place needs. One list feeds both `unknown-reference`
 * (does the name resolve?) and `unused` (is the declaration named anywhere?),
 * so the two can never disagree about what counts as a reference.
 */
import type { CacheStmt, Declaration, Expr, Ident } from "../../lang/ast.js";
import type { Span } from "../../lang/span.js";
import type { CompileContext, SymbolTable } from "../symbols.js";
import { arr, declarations, nameOf, statements } from "./walk.js";

/** The kinds of named declaration a reference can point at. */
export type DeclKind = "provider" | "model" | "budget" | "limit" | "guardrail" | "cache" | "health" | "defaults" | "route";

export interface Reference {
  kind: DeclKind;
  ident: Ident;
  file: string;
  /** True for references inside `test` blocks and invariants: they check the policy but do not make a declaration used. */
  inTest: boolean;
}

/** Several rules read the references; they are collected once per compile. */
const cache = new WeakMap<CompileContext, Reference[]>();

/** Every name reference in the policy, in source order. Missing identifiers (from error recovery) are skipped. */
export function collectReferences(ctx: CompileContext): Reference[] {
  let refs = cache.get(ctx);
  if (!refs) cache.set(ctx, (refs = gatherReferences(ctx)));
  return refs;
}

function gatherReferences(ctx: CompileContext): Reference[] {
  const out: Reference[] = [];
  for (const { file, decl } of declarations(ctx)) {
    const add = (kind: DeclKind, ident: Ident | null | undefined, inTest = false): void => {
      if (ident && nameOf(ident) !== undefined) out.push({ kind, ident, file, inTest });
    };
    // `budget_used("B")` in any condition names budget B.
    for (const e of conditionsOf(decl)) budgetUses(e, (ident) => add("budget", ident));
    switch (decl.kind) {
      case "model":
        add("provider", decl.provider);
        break;
      case "cache":
        addSemanticModel(decl.body, add);
        break;
      case "budget":
        // (`exceeded` in a `limit` is not a limit clause: E202, check-budgets.)
        for (const c of arr(decl.clauses)) if (c?.kind === "exceeded") add("model", c.model);
        break;
      case "route":
      case "defaults":
        for (const s of statements(decl)) {
          switch (s.kind) {
            case "to":
              add("model", s.target);
              break;
            case "split":
              for (const a of arr(s.arms)) add("model", a?.target);
              break;
            case "fallback":
              for (const t of arr(s.targets)) add("model", t);
              break;
            case "guard":
              for (const n of arr(s.names)) add("guardrail", n);
              break;
            case "budget":
              for (const n of arr(s.names)) add("budget", n);
              break;
            case "limit":
              for (const n of arr(s.names)) add("limit", n);
              break;
            case "cache":
              add("cache", s.name);
              if (s.body) addSemanticModel(s.body, add);
              break;
            case "health":
              add("health", s.name);
              break;
            case "use":
              for (const n of arr(s.names)) add("defaults", n);
              break;
            default:
              break;
          }
        }
        break;
      case "invariant":
        for (const s of arr(decl.body)) if (s?.kind === "require" && nameOf(s.what) === "guard") for (const n of arr(s.names)) add("guardrail", n, true);
        break;
      case "test":
        for (const s of arr(decl.body)) {
          if (s?.kind === "given" && s.given) {
            const g = s.given;
            if (g.kind === "split-picks" || g.kind === "fails" || g.kind === "ejected" || g.kind === "failures") add("model", g.target, true);
            else if (g.kind === "budget-spent") add("budget", g.budget, true);
            else if (g.kind === "limit-used") add("limit", g.limit, true);
          } else if (s?.kind === "expect" && s.expect) {
            const x = s.expect;
            if (x.kind === "route") add("route", x.route, true);
            else if (x.kind === "target") add("model", x.target, true);
            else if (x.kind === "target-in" || x.kind === "attempts") for (const t of arr(x.targets)) add("model", t, true);
            else if (x.kind === "blocked" || x.kind === "flagged") add("guardrail", x.guardrail, true);
          }
        }
        break;
      default:
        break;
    }
  }
  return out;
}

/** Every `when` condition a declaration holds (routes, defaults, guardrails, caches, invariants, budgets, limits). */
function conditionsOf(decl: Declaration): Expr[] {
  const out: Expr[] = [];
  const body: readonly unknown[] =
    decl.kind === "budget" || decl.kind === "limit" ? arr(decl.clauses) : decl.kind === "route" || decl.kind === "defaults" || decl.kind === "guardrail" || decl.kind === "cache" || decl.kind === "invariant" ? arr<unknown>(decl.body) : [];
  for (const s of body) {
    const stmt = s as { kind?: string; condition?: Expr; body?: readonly CacheStmt[] } | undefined;
    if (stmt?.kind === "when" && stmt.condition) out.push(stmt.condition);
    if (stmt?.kind === "cache") for (const c of arr(stmt.body)) if (c?.kind === "when" && c.condition) out.push(c.condition);
  }
  return out;
}

/** The budget names `budget_used("B")` reads in `e`, as identifiers at the string. */
function budgetUses(e: Expr | undefined, add: (ident: Ident) => void): void {
  if (!e) return;
  switch (e.kind) {
    case "and":
    case "or":
      budgetUses(e.left, add);
      budgetUses(e.right, add);
      return;
    case "not":
      budgetUses(e.operand, add);
      return;
    case "paren":
      budgetUses(e.inner, add);
      return;
    default:
      if (e.fact?.name?.name === "budget_used" && e.fact.arg) add({ kind: "ident", name: e.fact.arg.value, span: e.fact.arg.span });
  }
}

/** A cache's `semantic MODEL` names a model. */
function addSemanticModel(body: readonly CacheStmt[] | undefined, add: (kind: DeclKind, ident: Ident) => void): void {
  for (const s of arr(body)) if (s?.kind === "setting" && s.name?.name === "semantic" && s.value?.kind === "ident") add("model", s.value);
}

/** What every named declaration has. */
export interface NamedDecl {
  name: Ident;
  span: Span;
}

/** The table of declarations of one kind (empty when the table is missing). */
export function tableOf(symbols: SymbolTable, kind: DeclKind): ReadonlyMap<string, NamedDecl> {
  switch (kind) {
    case "provider":
      return symbols.providers ?? new Map();
    case "model":
      return symbols.models ?? new Map();
    case "budget":
      return symbols.budgets ?? new Map();
    case "limit":
      return symbols.limits ?? new Map();
    case "guardrail":
      return symbols.guardrails ?? new Map();
    case "cache":
      return symbols.caches ?? new Map();
    case "health":
      return symbols.health ?? new Map();
    case "defaults":
      return symbols.defaults ?? new Map();
    case "route":
      return symbols.routesByName ?? new Map();
  }
}

/** Every kind, in the order suggestions prefer when two candidates tie. */
export const DECL_KINDS: readonly DeclKind[] = ["model", "provider", "guardrail", "budget", "limit", "cache", "health", "defaults", "route"];
