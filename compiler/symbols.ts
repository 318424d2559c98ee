/**
 * The symbol table: every named declaration of a policy (across all its
 * files), by kind. Built by the resolve pass; read by checks, lints and
 * lowering. The first declaration of a name wins; later ones are reported as
 * duplicates and left out.
 */
import type {
  BudgetDecl,
  CacheDecl,
  GatewayDecl,
  GuardrailDecl,
  HealthDecl,
  InvariantDecl,
  JwtDecl,
  KeyEntry,
  LimitDecl,
  ModelDecl,
  ProviderDecl,
  RouteDecl,
  SourceFile,
  TestDecl,
} from "../lang/ast.js";

export interface SymbolTable {
  gateway?: GatewayDecl;
  providers: Map<string, ProviderDecl>;
  models: Map<string, ModelDecl>;
  budgets: Map<string, BudgetDecl>;
  limits: Map<string, LimitDecl>;
  guardrails: Map<string, GuardrailDecl>;
  caches: Map<string, CacheDecl>;
  health: Map<string, HealthDecl>;
  jwt: Map<string, JwtDecl>;
  /** In first-match order across files (see the loader for how files are ordered). */
  routes: RouteDecl[];
  /** Routes by name (first declaration wins). */
  routesByName: Map<string, RouteDecl>;
  keys: KeyEntry[];
  /** Organisation-wide rules `aigw check` proves over every route (compiler/invariants). */
  invariants: Map<string, InvariantDecl>;
  tests: TestDecl[];
}

/** What every pass and lint rule receives. */
export interface CompileContext {
  /** The policy's files in load order. */
  files: readonly SourceFile[];
  symbols: SymbolTable;
  /** The environment as seen at compile time (for `env("X")` warnings only; values are never stored). */
  env: Readonly<Record<string, string | undefined>>;
}
