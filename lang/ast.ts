/**
 * The AST of a `.route` file: what the parser's CST visitor builds, what the
 * formatter prints and what the compiler checks and lowers. Every node has a
 * `span`; quantities are already normalised to base units (see `Quantity`).
 */
import type { Span } from "./span.js";

// ---------------------------------------------------------------- values

/** A bare word: a declared name (`gpt-4o`), a fact (`team`) or an enum value (`openai`). */
export interface Ident {
  kind: "ident";
  name: string;
  span: Span;
}

export interface StringLit {
  kind: "string";
  /** The decoded value (escapes applied). */
  value: string;
  span: Span;
}

export interface BoolLit {
  kind: "bool";
  value: boolean;
  span: Span;
}

export interface RegexLit {
  kind: "regex";
  /** The pattern between the slashes, as written (escapes kept). */
  pattern: string;
  flags: string;
  span: Span;
}

/**
 * What a number's suffix says it measures.
 * - number: `3`, `429`, `0.5`
 * - duration: `250ms` `30s` `5m` `2h` `1d` (value in milliseconds)
 * - tokens: `100k` `1M` `1.5M` (value in tokens)
 * - money: `$200` `$2.50` (value in dollars)
 * - price: `$2.50/Mtok` `$0.002/ktok` `$0.000001/tok` (value in dollars per million tokens)
 * - percent: `80%` (value 0..100)
 * - status: `5xx` `4xx` (value is the class digit: 5 or 4)
 * - bytes: `512KB` `4MB` `1GB` (value in bytes, 1KB = 1024)
 */
export type Unit = "number" | "duration" | "tokens" | "money" | "price" | "percent" | "status" | "bytes";

export interface Quantity {
  kind: "quantity";
  unit: Unit;
  value: number;
  /** The literal as written, for messages and the formatter. */
  raw: string;
  span: Span;
}

/** `env("OPENAI_API_KEY")`, `sqlite(".aigw/state.db")`, `header("x-tier")`. */
export interface Call {
  kind: "call";
  callee: Ident;
  args: Value[];
  span: Span;
}

export interface ListLit {
  kind: "list";
  items: Value[];
  span: Span;
}

export type Value = Ident | StringLit | BoolLit | Quantity | Call | ListLit | RegexLit;

// ---------------------------------------------------------------- expressions (`when`)

/** A fact read from the request: `model`, `team`, `input_tokens`, `header("x-tier")`. */
export interface FactRef {
  kind: "fact";
  name: Ident;
  /** The argument of a function fact such as `header("x")` or `metadata("k")`. */
  arg?: StringLit;
  span: Span;
}

export type CompareOp = "==" | "!=" | "<" | ">" | "<=" | ">=";

export type Expr =
  | { kind: "and"; left: Expr; right: Expr; span: Span }
  | { kind: "or"; left: Expr; right: Expr; span: Span }
  | { kind: "not"; operand: Expr; span: Span }
  | { kind: "paren"; inner: Expr; span: Span }
  | { kind: "compare"; op: CompareOp; fact: FactRef; value: Value; span: Span }
  | { kind: "in"; fact: FactRef; list: ListLit; span: Span }
  | { kind: "matches"; fact: FactRef; regex: RegexLit; span: Span }
  /** A boolean fact on its own: `when stream`, `when tools`. */
  | { kind: "truthy"; fact: FactRef; span: Span };

// ---------------------------------------------------------------- generic settings

/** `name value` inside `gateway`, `provider`, `model` and `keys` entries: `timeout 30s`. */
export interface Setting {
  kind: "setting";
  name: Ident;
  value: Value;
  span: Span;
}

// ---------------------------------------------------------------- declarations

export interface ImportDecl {
  kind: "import";
  path: StringLit;
  span: Span;
}

export interface GatewayDecl {
  kind: "gateway";
  settings: Setting[];
  span: Span;
}

export interface ProviderDecl {
  kind: "provider";
  name: Ident;
  settings: Setting[];
  span: Span;
}

/** `health upstream { consecutive 5  eject 30s … }`: when a target is ejected and for how long. */
export interface HealthDecl {
  kind: "health";
  name: Ident;
  settings: Setting[];
  span: Span;
}

/** `jwt corp { issuer "https://login.example.com/"  audience "aigw"  jwks "https://…/jwks.json" }`: callers identified by signed tokens. */
export interface JwtDecl {
  kind: "jwt";
  name: Ident;
  settings: Setting[];
  span: Span;
}

/** `model gpt-4o = openai/"gpt-4o" { input $2.50/Mtok output $10/Mtok context 128k }` */
export interface ModelDecl {
  kind: "model";
  name: Ident;
  provider: Ident;
  upstream: StringLit;
  settings: Setting[];
  /** A wildcard model's (`provider/"*"`) price table; absent when the block has no entries. */
  prices?: PriceEntry[];
  span: Span;
}

/** The upstream name `WILDCARD` declares a wildcard model: the name sent upstream comes from the request. */
export const WILDCARD = "*";

/** One row of a wildcard model's price table: `"gpt-4o" input $2.50/Mtok output $10/Mtok`. */
export interface PriceEntry {
  kind: "price";
  name: StringLit;
  settings: Setting[];
  span: Span;
}

/** One caller in `keys { "sha256:…" team "search" user "ana" }`. */
export interface KeyEntry {
  kind: "key";
  hash: StringLit;
  labels: Setting[];
  span: Span;
}

export interface KeysDecl {
  kind: "keys";
  entries: KeyEntry[];
  span: Span;
}

/** `per day`, `per minute`, or a rolling window `per 24h`. */
export type Window = Ident | Quantity;

/**
 * A clause of a `budget` or `limit` body.
 * - `per team` (scope)
 * - `limit $200 per day`, `tokens 200k per minute`, `requests 600 per minute` (amount)
 * - `warn 80%`
 * - `exceeded reject` / `exceeded downgrade gpt-4o-mini`
 * - `when COND` (applies only to requests for which COND holds)
 */
export type BudgetClause =
  | { kind: "scope"; scope: Ident; /** `per label("project")`: the name in parentheses. */ arg?: StringLit; span: Span }
  | {
      kind: "amount";
      measure: Ident;
      /** The amount; with a table, its `default` entry's (a missing value when the table has none). */
      amount: Value;
      window: Window;
      /** `limit per month { "research" $500  default $100 }`: the entries as written, `default` included. */
      table?: AmountEntry[];
      span: Span;
    }
  | { kind: "warn"; at: Value; span: Span }
  /** `when team == "research"`: the budget or limit counts only requests for which this holds. */
  | { kind: "when"; condition: Expr; span: Span }
  /** `concurrent 10`: requests in flight at once (limits only). */
  | { kind: "concurrent"; count: Value; span: Span }
  | { kind: "exceeded"; action: Ident; model?: Ident; span: Span };

/** One entry of an amount table: `"research" $500` (a scope value) or `default $100` (`value` absent; `word` is the name written). */
export interface AmountEntry {
  value?: StringLit;
  /** The word written instead of a string: `default`, or a slip the compiler reports. */
  word?: Ident;
  amount: Value;
  span: Span;
}

export interface BudgetDecl {
  kind: "budget";
  name: Ident;
  clauses: BudgetClause[];
  span: Span;
}

export interface LimitDecl {
  kind: "limit";
  name: Ident;
  clauses: BudgetClause[];
  span: Span;
}

/** A detector named in a guardrail: `email`, `matches /re/`, `deny ["a", "b"]`. */
export type Detector =
  | { kind: "builtin"; name: Ident; span: Span }
  | { kind: "pattern"; regex: RegexLit; span: Span }
  | { kind: "deny"; words: ListLit; span: Span };

/**
 * A statement of a `guardrail` body.
 * - `on input` / `on output` / `on both`: what the following rules inspect (default input)
 * - `redact email, phone` / `block email` / `flag matches /x/`: detectors
 * - `block when text matches /x/i` / `flag when input_tokens > 100k`: a condition
 */
export type GuardrailStmt =
  | { kind: "on"; target: Ident; span: Span }
  /** `streams on` / `streams off`: whether the output rules inspect streamed replies (default on). */
  | { kind: "streams"; value: Ident; span: Span }
  /** `window 400`: the longest match (characters) of the guardrail's unbounded output patterns. */
  | { kind: "window"; size: Value; span: Span }
  | { kind: "detect"; action: Ident; detectors: Detector[]; span: Span }
  | { kind: "when"; action: Ident; condition: Expr; span: Span };

export interface GuardrailDecl {
  kind: "guardrail";
  name: Ident;
  body: GuardrailStmt[];
  span: Span;
}

/**
 * A statement of a cache body: `when CONDITION` (which requests may be
 * answered from the cache) or a setting (`ttl 1h`, `scope team`,
 * `bypass denied`, `charge hits`, `max_entry 256KB`).
 */
export type CacheStmt = Setting | { kind: "when"; condition: Expr; span: Span };

/** `cache answers { ttl 1h  scope team }`: a response cache routes refer to with `cache answers`. */
export interface CacheDecl {
  kind: "cache";
  name: Ident;
  body: CacheStmt[];
  span: Span;
}

export interface SplitArm {
  weight: Quantity;
  target: Ident;
  span: Span;
}

/** How a shaping statement changes a parameter. */
export type ShapeVerb = "set" | "default" | "cap";

export type RouteStmt =
  | { kind: "when"; condition: Expr; span: Span }
  | { kind: "to"; target: Ident; span: Span }
  /** `split fastest { … }`: the arm with the lower latency estimate of two drawn by weight (lang/SPEC.md §7.7). */
  /** `split cheapest { … }`: the arm with the cheapest worst case for the request, ties drawn by weight (lang/SPEC.md §7.9). */
  | { kind: "split"; by?: FactRef; fastest?: true; cheapest?: true; arms: SplitArm[]; span: Span }
  | { kind: "fallback"; targets: Ident[]; on: Value[]; span: Span }
  | { kind: "retry"; count: Value; backoff?: Value; span: Span }
  | { kind: "timeout"; duration: Value; span: Span }
  | { kind: "guard"; names: Ident[]; span: Span }
  | { kind: "budget"; names: Ident[]; span: Span }
  | { kind: "limit"; names: Ident[]; span: Span }
  /** `cache NAME` (a declared cache) or `cache { … }` (one of the route's own). */
  | { kind: "cache"; name?: Ident; body?: CacheStmt[]; span: Span }
  /** `health h`: the health policy that ejects this route's failing targets. */
  | { kind: "health"; name: Ident; span: Span }
  /** `reject 403 "model not allowed for this team"`: the route answers with this status and message, sending nothing upstream (lang/SPEC.md §4.8). */
  | { kind: "reject"; status: Value; message?: StringLit; span: Span }
  /**
   * Request shaping (lang/SPEC.md §4.8.2): `set P V` always, `default P V`
   * when the caller sent no `P`, `cap max_tokens N` lowers a larger ask.
   */
  | { kind: "shape"; verb: ShapeVerb; param: Ident; value: Value; span: Span }
  /** `upstream_header "x-team" "research"`: added to every upstream request of the route. */
  | { kind: "upstream_header"; name: StringLit; value: StringLit; span: Span }
  /** `use strict, eu`: the statements of these `defaults` blocks, under the route's own (lang/SPEC.md §4.13). */
  | { kind: "use"; names: Ident[]; span: Span }
  /** `max_latency 30s`, `max_cost $0.50`: a bound `aigw check` proves (lang/SPEC.md §4.8). */
  | Setting;

export interface RouteDecl {
  kind: "route";
  name: Ident;
  body: RouteStmt[];
  span: Span;
}

/** `defaults strict { guard pii, injection  retry 2 }`: route settings that routes include with `use strict`. */
export interface DefaultsDecl {
  kind: "defaults";
  name: Ident;
  body: RouteStmt[];
  span: Span;
}

/** `model "chat"`, `header "x-tier" "premium"`, `input_tokens 5k`. */
export interface RequestFact {
  name: Ident;
  args: Value[];
  span: Span;
}

export type Given =
  /** `given cache hit`: the route's cache holds an entry for the request. */
  | { kind: "cache-hit"; span: Span }
  | { kind: "split-picks"; target: Ident; span: Span }
  /** `given T fails R [once] [retry after D]`. */
  | { kind: "fails"; target: Ident; reason: Value; once?: true; retryAfter?: Value; span: Span }
  /** `given T latency D`: every try of `T` takes `D`. */
  | { kind: "latency"; target: Ident; latency: Value; span: Span }
  /** `given T ejected`: the route's health policy has just ejected `T`. */
  | { kind: "ejected"; target: Ident; span: Span }
  /** `given T failures F of N`: of `T`'s last `N` tries (all within the health interval), the latest `F` failed. */
  | { kind: "failures"; target: Ident; failures: Value; of: Value; span: Span }
  /** `given T answers "text"`: the reply of `T` says `text`. */
  | { kind: "answers"; target: Ident; text: StringLit; chunks?: Value; span: Span }
  | { kind: "budget-spent"; budget: Ident; amount: Value; span: Span }
  | { kind: "limit-used"; limit: Ident; amount: Value; span: Span };

export type Expect =
  | { kind: "route"; route: Ident; span: Span }
  | { kind: "no-route"; span: Span }
  | { kind: "target"; target: Ident; span: Span }
  | { kind: "target-in"; targets: Ident[]; span: Span }
  | { kind: "attempts"; targets: Ident[]; span: Span }
  | { kind: "retries"; count: Value; span: Span }
  | { kind: "blocked"; guardrail: Ident; span: Span }
  | { kind: "flagged"; guardrail: Ident; span: Span }
  /** `expect output redacted "…"`: the reply text after the output guardrails. */
  | { kind: "output-redacted"; text: StringLit; span: Span }
  /** `expect output blocked by G` / `expect output flagged by G`. */
  | { kind: "output-blocked" | "output-flagged"; guardrail: Ident; span: Span }
  /** `expect rejected by B`: budget or limit `B` refused the request; bare `expect rejected`: the route rejects it (`reject`). */
  | { kind: "rejected"; by?: Ident; span: Span }
  /** `expect warned by B`: budget `B` is in its warn zone. */
  | { kind: "warned"; budget: Ident; span: Span }
  | { kind: "status"; status: Value; span: Span }
  /** `expect cost <= $0.01` / `expect cost $0.002`: what the request is charged (absent `op`: equal). */
  | { kind: "cost"; op?: "==" | "<" | "<=" | ">" | ">="; amount: Value; span: Span }
  /** `expect shaped max_tokens 8k`: the parameter of the request sent, after the route's shaping (lang/SPEC.md §4.8.2). */
  | { kind: "shaped"; param: Ident; value: Value; span: Span }
  /** `expect cache hit` / `expect cache miss` / `expect cache bypass`. */
  | { kind: "cache"; result: Ident; span: Span }
  | { kind: "redacted"; text: StringLit; span: Span }
  /** `expect header "x-ratelimit-remaining-requests" "9"`: a header the answer carries; `word` is the word read as `header` (checked: E401). */
  | { kind: "header"; word: Ident; name: StringLit; value: StringLit; span: Span };

export type TestStmt =
  | { kind: "request"; facts: RequestFact[]; span: Span }
  | { kind: "given"; given: Given; span: Span }
  | { kind: "expect"; expect: Expect; span: Span };

export interface TestDecl {
  kind: "test";
  name: StringLit;
  body: TestStmt[];
  span: Span;
}

/**
 * A statement of an `invariant` body.
 * - `when CONDITION`: the requests the invariant speaks of (default: every request)
 * - `require guard a, b` / `require residency eu, ch` / `require price` / `require context`
 */
export type InvariantStmt =
  | { kind: "when"; condition: Expr; span: Span }
  /** `what` is `guard`, `residency`, `price` or `context` (the compiler checks the word); `names` follow `guard` and `residency`. */
  | { kind: "require"; what: Ident; names: Ident[]; span: Span };

/** `invariant eu-stays-in-eu { when header("x-data-region") == "eu"  require residency eu }`: a rule `aigw check` proves over every route. */
export interface InvariantDecl {
  kind: "invariant";
  name: Ident;
  body: InvariantStmt[];
  span: Span;
}

export type Declaration =
  | ImportDecl
  | GatewayDecl
  | ProviderDecl
  | ModelDecl
  | KeysDecl
  | BudgetDecl
  | LimitDecl
  | GuardrailDecl
  | CacheDecl
  | HealthDecl
  | JwtDecl
  | RouteDecl
  | DefaultsDecl
  | InvariantDecl
  | TestDecl;

/** A comment as written, kept for the formatter. */
export interface Comment {
  text: string;
  span: Span;
}

/** One parsed file. */
export interface SourceFile {
  kind: "file";
  path: string;
  declarations: Declaration[];
  comments: Comment[];
  span: Span;
  /** Set only when the file had syntax errors no repair explained (lang/recover.ts). */
  damage?: Damage;
}

/**
 * What a file's syntax errors leave unreliable, so the compiler can drop
 * what follows from them rather than report it (compiler/follow-on.ts).
 */
export interface Damage {
  /** The spans of declarations read only in part: checks over them would judge something not written. */
  broken: Span[];
  /** Some text was not read as any declaration (an unclosed comment, a skipped region, a broken import): a name may be declared or used there. */
  lost: boolean;
}
