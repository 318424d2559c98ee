/**
 * Canonical text of the AST's leaves: values, strings, expressions and the
 * one-line statements (settings, clauses, route, guardrail and test
 * statements). Knows nothing about comments or indentation; the layout in
 * format-layout.ts puts these strings on lines.
 */
import type * as A from "./ast.js";
import type { Span } from "./span.js";

/** Escapes that have a short form; everything else unprintable is written `\u{…}`. */
const SHORT_ESCAPES: Record<string, string> = { '"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r" };

/**
 * A string literal for `value`, quotes included. Printable characters are
 * written as themselves; control characters, line separators and lone
 * surrogates are escaped so the literal stays on one line and is valid text.
 */
export function stringLiteral(value: string): string {
  let out = '"';
  for (const ch of value) {
    const short = SHORT_ESCAPES[ch];
    if (short !== undefined) out += short;
    else if (needsEscape(ch)) out += `\\u{${ch.codePointAt(0)!.toString(16).toUpperCase()}}`;
    else out += ch;
  }
  return `${out}"`;
}

function needsEscape(ch: string): boolean {
  const code = ch.codePointAt(0)!;
  if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return true;
  if (code === 0x2028 || code === 0x2029 || code === 0xfeff) return true;
  // a lone surrogate iterates as a single UTF-16 unit
  return ch.length === 1 && code >= 0xd800 && code <= 0xdfff;
}

export function regexLiteral(r: A.RegexLit): string {
  return `/${r.pattern}/${r.flags}`;
}

export function value(v: A.Value): string {
  switch (v.kind) {
    case "ident":
      return v.name;
    case "string":
      return stringLiteral(v.value);
    case "bool":
      return v.value ? "true" : "false";
    case "quantity":
      return v.raw;
    case "call":
      return `${v.callee.name}(${v.args.map(value).join(", ")})`;
    case "list":
      return list(v);
    case "regex":
      return regexLiteral(v);
  }
}

export function list(l: A.ListLit): string {
  return `[${l.items.map(value).join(", ")}]`;
}

function names(ids: readonly A.Ident[]): string {
  return ids.map((i) => i.name).join(", ");
}

// ---------------------------------------------------------------- expressions

export function fact(f: A.FactRef): string {
  return f.arg ? `${f.name.name}(${stringLiteral(f.arg.value)})` : f.name.name;
}

/** Binding strength: `or` < `and` < `not` and atoms. */
function precedence(e: A.Expr): number {
  return e.kind === "or" ? 1 : e.kind === "and" ? 2 : 3;
}

/**
 * Prints an expression as parsed: explicit parentheses are `paren` nodes.
 * Parentheses are only added where a hand-built tree would otherwise read
 * differently (the parser's trees never need them: `and`/`or` are
 * left-associative and their right operands are never looser).
 */
export function expr(e: A.Expr): string {
  switch (e.kind) {
    case "or":
    case "and": {
      const p = precedence(e);
      const left = precedence(e.left) < p ? `(${expr(e.left)})` : expr(e.left);
      const right = precedence(e.right) <= p ? `(${expr(e.right)})` : expr(e.right);
      return `${left} ${e.kind} ${right}`;
    }
    case "not":
      return `not ${precedence(e.operand) < 3 ? `(${expr(e.operand)})` : expr(e.operand)}`;
    case "paren":
      return `(${expr(e.inner)})`;
    case "compare":
      return `${fact(e.fact)} ${e.op} ${value(e.value)}`;
    case "in":
      return `${fact(e.fact)} in ${list(e.list)}`;
    case "matches":
      return `${fact(e.fact)} matches ${regexLiteral(e.regex)}`;
    case "truthy":
      return fact(e.fact);
  }
}

/** One top-level clause of a condition, with the operator that joins it to the one before. */
export interface Clause {
  op?: "and" | "or";
  text: string;
  span: Span;
}

/**
 * A condition cut at its top-level `and`/`or`, the places where it may be
 * broken across lines: joining the clauses with their operators gives
 * `expr(e)`. A parenthesised part is one clause, never cut inside.
 */
export function clauses(e: A.Expr): Clause[] {
  if (e.kind !== "and" && e.kind !== "or") return [{ text: expr(e), span: e.span }];
  const p = precedence(e);
  const left = precedence(e.left) < p ? [{ text: `(${expr(e.left)})`, span: e.left.span }] : clauses(e.left);
  const [first, ...rest] = precedence(e.right) <= p ? [{ text: `(${expr(e.right)})`, span: e.right.span }] : clauses(e.right);
  return [...left, { ...first!, op: e.kind }, ...rest];
}

// ---------------------------------------------------------------- statements

export function setting(s: A.Setting): string {
  return `${s.name.name} ${value(s.value)}`;
}

export function keyEntry(k: A.KeyEntry): string {
  return [stringLiteral(k.hash.value), ...k.labels.map(setting)].join(" ");
}

export function priceEntry(e: A.PriceEntry): string {
  return [stringLiteral(e.name.value), ...e.settings.map(setting)].join(" ");
}

export function clause(c: A.BudgetClause): string {
  switch (c.kind) {
    case "scope":
      return c.arg === undefined ? `per ${c.scope.name}` : `per ${c.scope.name}(${stringLiteral(c.arg.value)})`;
    case "amount": {
      const window = c.window.kind === "ident" ? c.window.name : c.window.raw;
      if (c.table === undefined) return `${c.measure.name} ${value(c.amount)} per ${window}`;
      return `${amountHead(c)} ${amountTable(c.table)}`;
    }
    case "when":
      return `when ${expr(c.condition)}`;
    case "warn":
      return `warn ${value(c.at)}`;
    case "concurrent":
      return `concurrent ${value(c.count)}`;
    case "exceeded":
      return c.model ? `exceeded ${c.action.name} ${c.model.name}` : `exceeded ${c.action.name}`;
  }
}

/** An amount table on its clause's line, entries two spaces apart: `{ "research" $500  default $100 }`. */
function amountTable(entries: readonly A.AmountEntry[]): string {
  if (entries.length === 0) return "{}";
  return `{ ${entries.map(amountEntry).join("  ")} }`;
}

/** `"research" $500` or `default $100`. */
export function amountEntry(e: A.AmountEntry): string {
  return `${e.value ? stringLiteral(e.value.value) : (e.word?.name ?? "")} ${value(e.amount)}`;
}

/** The clause before its table: `limit per month`. */
export function amountHead(c: Extract<A.BudgetClause, { kind: "amount" }>): string {
  return `${c.measure.name} per ${c.window.kind === "ident" ? c.window.name : c.window.raw}`;
}

function detector(d: A.Detector): string {
  switch (d.kind) {
    case "builtin":
      return d.name.name;
    case "pattern":
      return `matches ${regexLiteral(d.regex)}`;
    case "deny":
      return `deny ${list(d.words)}`;
  }
}

export function guardrailStmt(s: A.GuardrailStmt): string {
  switch (s.kind) {
    case "on":
      return `on ${s.target.name}`;
    case "streams":
      return `streams ${s.value.name}`;
    case "window":
      return `window ${value(s.size)}`;
    case "detect":
      return `${s.action.name} ${s.detectors.map(detector).join(", ")}`;
    case "when":
      return `${s.action.name} when ${expr(s.condition)}`;
  }
}

export function cacheStmt(s: A.CacheStmt): string {
  return s.kind === "when" ? `when ${expr(s.condition)}` : setting(s);
}

/** An inline cache sits on its route statement's line: `cache { ttl 1h  scope team }`. */
function cache(s: Extract<A.RouteStmt, { kind: "cache" }>): string {
  if (s.name) return `cache ${s.name.name}`;
  const body = s.body ?? [];
  return body.length === 0 ? "cache {}" : `cache { ${body.map(cacheStmt).join("  ")} }`;
}

/** Split arms always sit on the split's line, two spaces apart: `split by key { 70% a  30% b }`. */
function split(s: Extract<A.RouteStmt, { kind: "split" }>): string {
  const head = s.by ? `split by ${fact(s.by)}` : s.fastest ? "split fastest" : s.cheapest ? "split cheapest" : "split";
  if (s.arms.length === 0) return `${head} {}`;
  return `${head} { ${s.arms.map((a) => `${a.weight.raw} ${a.target.name}`).join("  ")} }`;
}

export function routeStmt(s: A.RouteStmt): string {
  switch (s.kind) {
    case "when":
      return `when ${expr(s.condition)}`;
    case "to":
      return `to ${s.target.name}`;
    case "split":
      return split(s);
    case "fallback":
      return s.on.length ? `fallback ${names(s.targets)} on ${s.on.map(value).join(", ")}` : `fallback ${names(s.targets)}`;
    case "retry":
      return s.backoff ? `retry ${value(s.count)} backoff ${value(s.backoff)}` : `retry ${value(s.count)}`;
    case "timeout":
      return `timeout ${value(s.duration)}`;
    case "guard":
    case "budget":
    case "limit":
      return `${s.kind} ${names(s.names)}`;
    case "cache":
      return cache(s);
    case "health":
      return `health ${s.name.name}`;
    case "use":
      return `use ${names(s.names)}`;
    case "reject":
      return s.message ? `reject ${value(s.status)} ${stringLiteral(s.message.value)}` : `reject ${value(s.status)}`;
    case "shape":
      return `${s.verb} ${s.param.name} ${value(s.value)}`;
    case "upstream_header":
      return `upstream_header ${stringLiteral(s.name.value)} ${stringLiteral(s.value.value)}`;
    case "setting":
      return setting(s);
  }
}

// ---------------------------------------------------------------- tests

export function invariantStmt(s: A.InvariantStmt): string {
  if (s.kind === "when") return `when ${expr(s.condition)}`;
  return s.names.length ? `require ${s.what.name} ${names(s.names)}` : `require ${s.what.name}`;
}

export function requestFact(f: A.RequestFact): string {
  return [f.name.name, ...f.args.map(value)].join(" ");
}

function given(g: A.Given): string {
  switch (g.kind) {
    case "cache-hit":
      return "cache hit";
    case "split-picks":
      return `split picks ${g.target.name}`;
    case "fails":
      return `${g.target.name} fails ${value(g.reason)}${g.once ? " once" : ""}${g.retryAfter ? ` retry after ${value(g.retryAfter)}` : ""}`;
    case "latency":
      return `${g.target.name} latency ${value(g.latency)}`;
    case "ejected":
      return `${g.target.name} ejected`;
    case "failures":
      return `${g.target.name} failures ${value(g.failures)} of ${value(g.of)}`;
    case "answers":
      return `${g.target.name} answers ${stringLiteral(g.text.value)}${g.chunks ? ` streamed in chunks of ${value(g.chunks)}` : ""}`;
    case "budget-spent":
      return `budget ${g.budget.name} spent ${value(g.amount)}`;
    case "limit-used":
      return `limit ${g.limit.name} used ${value(g.amount)}`;
  }
}

function expectation(e: A.Expect): string {
  switch (e.kind) {
    case "route":
      return `route ${e.route.name}`;
    case "no-route":
      return "no route";
    case "target":
      return `target ${e.target.name}`;
    case "target-in":
      return `target in [${names(e.targets)}]`;
    case "attempts":
      return `attempts [${names(e.targets)}]`;
    case "retries":
      return `retries ${value(e.count)}`;
    case "blocked":
      return `blocked by ${e.guardrail.name}`;
    case "flagged":
      return `flagged by ${e.guardrail.name}`;
    case "output-redacted":
      return `output redacted ${stringLiteral(e.text.value)}`;
    case "output-blocked":
      return `output blocked by ${e.guardrail.name}`;
    case "output-flagged":
      return `output flagged by ${e.guardrail.name}`;
    case "rejected":
      return e.by ? `rejected by ${e.by.name}` : "rejected";
    case "warned":
      return `warned by ${e.budget.name}`;
    case "status":
      return `status ${value(e.status)}`;
    case "cost":
      return e.op ? `cost ${e.op} ${value(e.amount)}` : `cost ${value(e.amount)}`;
    case "shaped":
      return `shaped ${e.param.name} ${value(e.value)}`;
    case "cache":
      return `cache ${e.result.name}`;
    case "redacted":
      return `redacted input ${stringLiteral(e.text.value)}`;
    case "header":
      return `header ${stringLiteral(e.name.value)} ${stringLiteral(e.value.value)}`;
  }
}

/** A `given` or `expect` statement; `request` blocks are laid out as blocks. */
export function testLine(s: Exclude<A.TestStmt, { kind: "request" }>): string {
  return s.kind === "given" ? `given ${given(s.given)}` : `expect ${expectation(s.expect)}`;
}
